/**
 * The AudiencePolicy `spec` as a self-contained JSON Schema (draft-07) for
 * validators outside the process, above all Helm's check of the chart's
 * values (charts/audience-guard/values.schema.json, rewritten by
 * `npm run chart:schema`). It comes from the same two sources as the
 * in-process validator and the CRD: the schema (src/policy/policy-schema.ts)
 * and the rule table (src/policy/policy-rules.ts), each rule folded into the
 * node it names as plain JSON Schema, so `helm template` refuses what the
 * service would refuse and names the field.
 *
 * Kept in the subset every validator Helm has used reads alike (Go's RE2
 * patterns, draft-07 keywords): unions of literals become `enum` (one readable
 * error instead of one per branch). Two rules cannot be said in draft-07:
 * `uniqueBy` (no two issuers alike) and `atMostOneWith` (one introspecting
 * issuer); such a policy is still refused by the service at start (file mode)
 * and by the API server's CEL rule (Kubernetes mode).
 */
import { nodeAt } from './crd-validation-rules.ts';
import { POLICY_RULES, type RuleCheck } from './policy-rules.ts';
import { PolicySpecSchema } from './policy-schema.ts';

type JSONSchema = Record<string, unknown>;

/** The JSON Schema form of one check, or `undefined` when JSON Schema cannot express it. */
export function jsonSchemaOfCheck(check: RuleCheck): JSONSchema | undefined {
  switch (check.kind) {
    case 'pattern':
      return check.matches ? { pattern: check.pattern } : { not: { pattern: check.pattern } };
    case 'exactlyOneOf':
      return { oneOf: check.fields.map((field) => ({ required: [field] })) };
    case 'uniqueBy':
    case 'atMostOneWith':
      return undefined;
    case 'keyLength':
      // Not `propertyNames`: Helm reports its failures without the map's location. A key
      // outside the length is an additional property, reported at the map.
      return { patternProperties: { [`^[\\s\\S]{${String(check.min)},${String(check.max)}}$`]: {} }, additionalProperties: false };
  }
}

/** Literal unions (`anyOf` of `const`) become `enum`, everywhere below `schema`. */
function withEnums(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withEnums);
  if (schema === null || typeof schema !== 'object') return schema;
  const node = Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, withEnums(value)]));
  const branches = node.anyOf;
  if (Array.isArray(branches) && branches.every((branch: JSONSchema) => typeof branch.const === 'string')) {
    delete node.anyOf;
    node.type = 'string';
    node.enum = branches.map((branch: JSONSchema) => branch.const);
  }
  return node;
}

/** The AudiencePolicy `spec` schema with every expressible rule of the table, in table order. */
export function policySpecJSONSchema(): JSONSchema {
  const spec = withEnums(JSON.parse(JSON.stringify(PolicySpecSchema))) as JSONSchema;
  for (const { at, check } of POLICY_RULES) {
    const rule = jsonSchemaOfCheck(check);
    if (rule === undefined) continue;
    const node = nodeAt(spec, at);
    node.allOf = [...((node.allOf ?? []) as JSONSchema[]), rule];
  }
  return spec;
}
