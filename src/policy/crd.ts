/**
 * Generates the AudiencePolicy CustomResourceDefinition from the one schema
 * source (src/policy/policy-schema.ts). The JSON Schema is rewritten into the
 * structural OpenAPI v3 subset Kubernetes accepts:
 *   - `additionalProperties: false` dropped (the API server prunes unknown fields);
 *   - records (`patternProperties`) become `additionalProperties: <schema>`;
 *   - unions of string literals become `enum`, `const` becomes a one-value enum;
 *   - `uniqueItems` becomes `x-kubernetes-list-type: set`;
 *   - metadata is left to the API server.
 * Defaults come with the schema (its `default:` keywords). Printer columns,
 * the status and its subresource are added here, and the CEL rules of the rule table (src/policy/policy-rules.ts) on the nodes they name.
 * `audience-guard crd` prints it; test/unit/policy/crd.test.ts fails when the
 * checked-in copy under charts/ drifts from this output.
 */
import { stringify } from 'yaml';
import { API_GROUP, API_VERSION, KIND, PLURAL, SHORT_NAMES, SINGULAR } from './policy-resource-names.ts';
import { PolicySpecSchema } from './policy-schema.ts';
import { addValidationRules } from './crd-validation-rules.ts';

type JSONSchema = Record<string, unknown>;

function structural(schema: JSONSchema): JSONSchema {
  const out: JSONSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    switch (key) {
      case 'additionalProperties':
        if (typeof value === 'object') out.additionalProperties = structural(value as JSONSchema);
        break;
      case 'patternProperties': {
        const [only] = Object.values(value as Record<string, JSONSchema>);
        if (only !== undefined) out.additionalProperties = structural(only);
        break;
      }
      case 'properties':
        out.properties = Object.fromEntries(
          Object.entries(value as Record<string, JSONSchema>).map(([name, child]) => [name, structural(child)]),
        );
        break;
      case 'items':
        out.items = structural(value as JSONSchema);
        break;
      case 'anyOf': {
        const branches = value as JSONSchema[];
        if (branches.every((branch) => typeof branch.const === 'string')) {
          const values = branches.map((branch) => branch.const as string);
          out.type = 'string';
          out.enum = values;
          // Bounds the CEL cost estimate of any rule that reads the value.
          out.maxLength = Math.max(...values.map((value) => value.length));
        } else {
          out.anyOf = branches.map(structural);
        }
        break;
      }
      case 'const':
        out.enum = [value];
        break;
      case 'uniqueItems':
        if (value === true) out['x-kubernetes-list-type'] = 'set';
        break;
      case '$id':
        break;
      default:
        out[key] = value;
    }
  }
  return out;
}

const CONDITION_SCHEMA: JSONSchema = {
  type: 'object',
  description: 'Standard Kubernetes condition.',
  required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'],
  properties: {
    type: { type: 'string', maxLength: 316, description: 'Accepted, Ready, Conflicted or AudienceOverlap.' },
    status: { type: 'string', enum: ['True', 'False', 'Unknown'], description: 'Status of the condition.' },
    observedGeneration: { type: 'integer', format: 'int64', minimum: 0, description: 'Generation the condition was computed for.' },
    lastTransitionTime: { type: 'string', format: 'date-time', description: 'When the status last changed.' },
    reason: { type: 'string', maxLength: 1024, description: 'Machine-readable CamelCase reason.' },
    message: { type: 'string', maxLength: 32768, description: 'What happened and what to do about it.' },
  },
};

const STATUS_SCHEMA: JSONSchema = {
  type: 'object',
  description: 'What audience-guard made of the policy.',
  properties: {
    observedGeneration: {
      type: 'integer', format: 'int64',
      description: 'The generation of the spec the status describes: the last one processed, accepted or not.',
    },
    servingGeneration: {
      type: 'integer', format: 'int64', minimum: 0,
      description: 'The generation that decides requests: observedGeneration when it was accepted, ' +
        'else the last accepted one, which stays in force. Absent when none serves ' +
        '(no accepted generation is known: requests on the policy\'s hosts and paths get 503 policy_unavailable).',
    },
    conditions: {
      type: 'array',
      description: 'Accepted (schema and semantic validation), Ready (issuer keys loaded), ' +
        'Conflicted (another policy claims the same host and path prefix), ' +
        'AudienceOverlap (another policy accepts one of the same audiences).',
      items: CONDITION_SCHEMA,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
    },
  },
};

export function audiencePolicySchema(): JSONSchema {
  const spec = structural(JSON.parse(JSON.stringify(PolicySpecSchema)) as JSONSchema);
  addValidationRules(spec);
  return {
    type: 'object',
    description: 'AudiencePolicy binds a protected service to the access tokens issued for it (RFC 8707, RFC 9068).',
    required: ['spec'],
    properties: {
      apiVersion: { type: 'string', description: 'APIVersion of this object.' },
      kind: { type: 'string', description: 'Kind of this object.' },
      metadata: { type: 'object' },
      spec,
      status: STATUS_SCHEMA,
    },
  };
}

export function audiencePolicyCRD(): JSONSchema {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${PLURAL}.${API_GROUP}`,
      labels: { 'app.kubernetes.io/name': 'audience-guard', 'app.kubernetes.io/component': 'crd' },
    },
    spec: {
      group: API_GROUP,
      scope: 'Namespaced',
      names: {
        kind: KIND, listKind: `${KIND}List`, plural: PLURAL, singular: SINGULAR,
        shortNames: [...SHORT_NAMES], categories: ['audience-guard'],
      },
      versions: [{
        name: API_VERSION,
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: [
          { name: 'Resource', type: 'string', jsonPath: '.spec.resource' },
          { name: 'Mode', type: 'string', jsonPath: '.spec.mode' },
          { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
          { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
        ],
        schema: { openAPIV3Schema: audiencePolicySchema() },
      }],
    },
  };
}

export function audiencePolicyCRDYAML(): string {
  const header = '# Generated by `audience-guard crd` from src/policy/policy-schema.ts and src/policy/policy-rules.ts — do not edit.';
  return `${header}\n${stringify(audiencePolicyCRD(), { lineWidth: 0 })}`;
}
