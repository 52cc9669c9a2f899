/**
 * Validates Kubernetes manifests against upstream schemas:
 *   - kubernetes-models (+ @kubernetes-models/istio, /gateway-api, /prometheus-operator):
 *     the upstream OpenAPI schemas (types, enums, required fields, formats);
 *   - for built-in kinds also the field names, walked against @kubernetes/client-node's
 *     generated models, because those OpenAPI schemas allow unknown fields (the API
 *     server would drop a misspelt `readOnlyRootFilesytem` with a warning);
 *   - AudiencePolicy with the service's own validator (the one behind the CRD);
 *   - Envoy Gateway's SecurityPolicy and ClientTrafficPolicy have no npm model: their fields
 *     are checked against Envoy Gateway's documented API (securityPolicyProblems,
 *     clientTrafficPolicyProblems).
 * A kind with no validator is an error, so every manifest we ship is checked.
 */
import * as k8s from '@kubernetes/client-node';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { Gateway } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/Gateway';
import { GatewayClass } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/GatewayClass';
import { HTTPRoute } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute';
import { ReferenceGrant } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1beta1/ReferenceGrant';
import { IstioOperator } from '@kubernetes-models/istio/install.istio.io/v1alpha1/IstioOperator';
import { Gateway as IstioGateway } from '@kubernetes-models/istio/networking.istio.io/v1/Gateway';
import { VirtualService } from '@kubernetes-models/istio/networking.istio.io/v1/VirtualService';
import { AuthorizationPolicy } from '@kubernetes-models/istio/security.istio.io/v1/AuthorizationPolicy';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { validatePolicy } from '../../src/policy/validate-policy.ts';
import { ingressRouteProblems, middlewareProblems } from './traefik-schemas.ts';

export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly [key: string]: unknown };
  readonly [key: string]: unknown;
}

type Validator = (manifest: Manifest) => void;

/** `new Model(object).validate()` for a kubernetes-models class. */
function model(Model: new (data: never) => { validate(): void }): Validator {
  return (manifest) => {
    new Model(manifest as never).validate();
  };
}

/** Built-in kinds: the upstream schema, then every field name against client-node's model. */
function builtIn(Model: new (data: never) => { validate(): void }, clientModel: string): Validator {
  return (manifest) => {
    new Model(manifest as never).validate();
    const problems = unknownFields(manifest, clientModel, '');
    if (problems.length > 0) throw new Error(`unknown fields: ${problems.join(', ')}`);
  };
}

interface AttributeType {
  readonly baseName: string;
  readonly type: string;
}
type ClientModels = Record<string, { getAttributeTypeMap?: () => AttributeType[] } | undefined>;
const CLIENT_MODELS = k8s as unknown as ClientModels;

/** JSON paths of fields that the client-node model `typeName` does not have. */
export function unknownFields(value: unknown, typeName: string, path: string): string[] {
  const array = /^Array<(.+)>$/.exec(typeName);
  if (array !== null) return Array.isArray(value) ? value.flatMap((item, index) => unknownFields(item, array[1]!, `${path}[${String(index)}]`)) : [];
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(typeName);
  if (map !== null) {
    return value !== null && typeof value === 'object' ? Object.entries(value).flatMap(([key, item]) => unknownFields(item, map[1]!, `${path}.${key}`)) : [];
  }
  const attributes = CLIENT_MODELS[typeName]?.getAttributeTypeMap?.();
  if (attributes === undefined || value === null || typeof value !== 'object' || Array.isArray(value)) return [];
  const byName = new Map(attributes.map((attribute) => [attribute.baseName, attribute.type]));
  return Object.entries(value).flatMap(([key, item]) => {
    const type = byName.get(key);
    return type === undefined ? [`${path}.${key}`] : unknownFields(item, type, `${path}.${key}`);
  });
}

function audiencePolicy(manifest: Manifest): void {
  const result = validatePolicy(manifest);
  if (!result.valid) throw new Error(result.problems.map((problem) => `${problem.path}: ${problem.message}`).join('; '));
}

const EXT_AUTH_FIELDS = new Set(['grpc', 'http', 'headersToExtAuth', 'bodyToExtAuth', 'timeout', 'failOpen', 'recomputeRoute', 'includeRouteMetadata', 'contextExtensions', 'statusOnError']);
const BACKEND_REF_FIELDS = new Set(['group', 'kind', 'name', 'namespace', 'port', 'weight', 'fallback']);
const TARGET_REF_FIELDS = new Set(['group', 'kind', 'name', 'sectionName']);
const DURATION = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;

function keysOutside(value: unknown, allowed: ReadonlySet<string>, path: string): string[] {
  if (value === null || typeof value !== 'object') return [`${path} must be an object`];
  return Object.keys(value).filter((key) => !allowed.has(key)).map((key) => `${path}.${key} is not a field`);
}

/**
 * Envoy Gateway's SecurityPolicy (gateway.envoyproxy.io/v1alpha1), the parts we ship: targetRefs
 * and extAuth with a gRPC backend. Field names follow Envoy Gateway's API reference (ExtAuth,
 * GRPCExtAuthService, BackendRef, LocalPolicyTargetReferenceWithSectionName).
 */
export function securityPolicyProblems(manifest: Manifest): string[] {
  const spec = manifest.spec as Record<string, unknown> | undefined;
  if (spec === undefined) return ['spec is required'];
  const problems = keysOutside(spec, new Set(['targetRefs', 'targetSelectors', 'extAuth', 'jwt', 'oidc', 'basicAuth', 'apiKeyAuth', 'cors', 'authorization']), 'spec');
  const targetRefs = spec.targetRefs;
  if (!Array.isArray(targetRefs) || targetRefs.length === 0) problems.push('spec.targetRefs must list at least one target');
  else {
    targetRefs.forEach((ref: unknown, index) => {
      problems.push(...keysOutside(ref, TARGET_REF_FIELDS, `spec.targetRefs[${String(index)}]`));
      const { group, kind, name } = ref as Record<string, unknown>;
      if (group !== 'gateway.networking.k8s.io' || !['Gateway', 'HTTPRoute', 'GRPCRoute'].includes(String(kind)) || typeof name !== 'string') {
        problems.push(`spec.targetRefs[${String(index)}] must name a Gateway API Gateway or route`);
      }
    });
  }
  const extAuth = spec.extAuth as Record<string, unknown> | undefined;
  if (extAuth === undefined) return problems;
  problems.push(...keysOutside(extAuth, EXT_AUTH_FIELDS, 'spec.extAuth'));
  if ((extAuth.grpc === undefined) === (extAuth.http === undefined)) problems.push('spec.extAuth needs exactly one of grpc and http');
  if (extAuth.timeout !== undefined && (typeof extAuth.timeout !== 'string' || !DURATION.test(extAuth.timeout))) problems.push('spec.extAuth.timeout must be a Gateway API Duration');
  if (extAuth.failOpen !== undefined && typeof extAuth.failOpen !== 'boolean') problems.push('spec.extAuth.failOpen must be a boolean');
  const grpc = extAuth.grpc as Record<string, unknown> | undefined;
  if (grpc !== undefined) {
    problems.push(...keysOutside(grpc, new Set(['backendRef', 'backendRefs', 'backendSettings']), 'spec.extAuth.grpc'));
    const refs = grpc.backendRefs;
    if (!Array.isArray(refs) || refs.length === 0) problems.push('spec.extAuth.grpc.backendRefs must list the service');
    else {
      refs.forEach((ref: unknown, index) => {
        const at = `spec.extAuth.grpc.backendRefs[${String(index)}]`;
        problems.push(...keysOutside(ref, BACKEND_REF_FIELDS, at));
        const { name, port } = ref as Record<string, unknown>;
        if (typeof name !== 'string' || name === '') problems.push(`${at}.name is required`);
        if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) problems.push(`${at}.port must be a port number`);
      });
    }
  }
  return problems;
}

const CLIENT_TRAFFIC_FIELDS = new Set(['targetRef', 'targetRefs', 'targetSelectors', 'tcpKeepalive', 'enableProxyProtocol', 'proxyProtocol', 'clientIPDetection', 'tls', 'path', 'headers', 'timeout', 'connection', 'http1', 'http2', 'http3', 'healthCheck']);
const ESCAPED_SLASHES_ACTIONS = ['KeepUnchanged', 'RejectRequest', 'UnescapeAndForward', 'UnescapeAndRedirect'];

/**
 * Envoy Gateway's ClientTrafficPolicy, the parts we ship: targetRefs to a Gateway and `path`
 * (PathSettings: escapedSlashesAction, disableMergeSlashes), per Envoy Gateway's API reference.
 */
export function clientTrafficPolicyProblems(manifest: Manifest): string[] {
  const spec = manifest.spec as Record<string, unknown> | undefined;
  if (spec === undefined) return ['spec is required'];
  const problems = keysOutside(spec, CLIENT_TRAFFIC_FIELDS, 'spec');
  const targetRefs = spec.targetRefs;
  if (!Array.isArray(targetRefs) || targetRefs.length === 0) problems.push('spec.targetRefs must list at least one Gateway');
  else {
    targetRefs.forEach((ref: unknown, index) => {
      problems.push(...keysOutside(ref, TARGET_REF_FIELDS, `spec.targetRefs[${String(index)}]`));
      const { group, kind, name } = ref as Record<string, unknown>;
      if (group !== 'gateway.networking.k8s.io' || kind !== 'Gateway' || typeof name !== 'string') problems.push(`spec.targetRefs[${String(index)}] must name a Gateway`);
    });
  }
  const path = spec.path as Record<string, unknown> | undefined;
  if (path === undefined) return problems;
  problems.push(...keysOutside(path, new Set(['escapedSlashesAction', 'disableMergeSlashes']), 'spec.path'));
  if (path.escapedSlashesAction !== undefined && (typeof path.escapedSlashesAction !== 'string' || !ESCAPED_SLASHES_ACTIONS.includes(path.escapedSlashesAction))) problems.push(`spec.path.escapedSlashesAction must be one of ${ESCAPED_SLASHES_ACTIONS.join(', ')}`);
  if (path.disableMergeSlashes !== undefined && typeof path.disableMergeSlashes !== 'boolean') problems.push('spec.path.disableMergeSlashes must be a boolean');
  return problems;
}

function clientTrafficPolicy(manifest: Manifest): void {
  const problems = clientTrafficPolicyProblems(manifest);
  if (problems.length > 0) throw new Error(problems.join('; '));
}

function securityPolicy(manifest: Manifest): void {
  const problems = securityPolicyProblems(manifest);
  if (problems.length > 0) throw new Error(problems.join('; '));
}

/** A structural check (`(manifest) => problems`) as a Validator. */
function structural(problemsOf: (manifest: Manifest) => string[]): Validator {
  return (manifest) => {
    const problems = problemsOf(manifest);
    if (problems.length > 0) throw new Error(problems.join('; '));
  };
}

const VALIDATORS: Readonly<Record<string, Validator>> = {
  'v1/Namespace': builtIn(Namespace, 'V1Namespace'),
  'v1/ServiceAccount': builtIn(ServiceAccount, 'V1ServiceAccount'),
  'v1/Service': builtIn(Service, 'V1Service'),
  'v1/ConfigMap': builtIn(ConfigMap, 'V1ConfigMap'),
  'apps/v1/Deployment': builtIn(Deployment, 'V1Deployment'),
  'policy/v1/PodDisruptionBudget': builtIn(PodDisruptionBudget, 'V1PodDisruptionBudget'),
  'autoscaling/v2/HorizontalPodAutoscaler': builtIn(HorizontalPodAutoscaler, 'V2HorizontalPodAutoscaler'),
  'networking.k8s.io/v1/NetworkPolicy': builtIn(NetworkPolicy, 'V1NetworkPolicy'),
  'networking.k8s.io/v1/Ingress': builtIn(Ingress, 'V1Ingress'),
  'traefik.io/v1alpha1/Middleware': structural(middlewareProblems),
  'traefik.io/v1alpha1/IngressRoute': structural(ingressRouteProblems),
  'rbac.authorization.k8s.io/v1/ClusterRole': builtIn(ClusterRole, 'V1ClusterRole'),
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': builtIn(ClusterRoleBinding, 'V1ClusterRoleBinding'),
  'rbac.authorization.k8s.io/v1/Role': builtIn(Role, 'V1Role'),
  'rbac.authorization.k8s.io/v1/RoleBinding': builtIn(RoleBinding, 'V1RoleBinding'),
  'apiextensions.k8s.io/v1/CustomResourceDefinition': builtIn(CustomResourceDefinition, 'V1CustomResourceDefinition'),
  'monitoring.coreos.com/v1/ServiceMonitor': model(ServiceMonitor),
  'monitoring.coreos.com/v1/PrometheusRule': model(PrometheusRule),
  'security.istio.io/v1/AuthorizationPolicy': model(AuthorizationPolicy),
  'install.istio.io/v1alpha1/IstioOperator': model(IstioOperator),
  'networking.istio.io/v1/Gateway': model(IstioGateway),
  'networking.istio.io/v1/VirtualService': model(VirtualService),
  'gateway.networking.k8s.io/v1/GatewayClass': model(GatewayClass),
  'gateway.networking.k8s.io/v1/Gateway': model(Gateway),
  'gateway.networking.k8s.io/v1/HTTPRoute': model(HTTPRoute),
  'gateway.networking.k8s.io/v1beta1/ReferenceGrant': model(ReferenceGrant),
  'gateway.envoyproxy.io/v1alpha1/SecurityPolicy': securityPolicy,
  'gateway.envoyproxy.io/v1alpha1/ClientTrafficPolicy': clientTrafficPolicy,
  'audienceguard.dev/v1alpha1/AudiencePolicy': audiencePolicy,
};

/** Throws with the manifest's kind and name when it does not validate, or when no validator knows its kind. */
export function validateManifest(manifest: Manifest): void {
  const key = `${manifest.apiVersion}/${manifest.kind}`;
  const validator = VALIDATORS[key];
  if (validator === undefined) throw new Error(`no schema known for ${key} (${manifest.metadata.name}): add one to test/support/manifest-schemas.ts`);
  try {
    validator(manifest);
  } catch (error) {
    throw new Error(`${key} ${manifest.metadata.namespace ?? ''}/${manifest.metadata.name}: ${(error as Error).message}`, { cause: error });
  }
}
