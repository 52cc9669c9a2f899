/**
 * The stand-in for an AudiencePolicy object that the service refused and that
 * has no accepted version to fall back on (new and invalid, or found invalid
 * after a restart). It claims what the object meant to claim, so that the
 * object's paths stay closed (503 `policy_unavailable`) instead of falling
 * through to a laxer policy. The claims are read best effort from the refused
 * object:
 *
 *   hosts     the well-formed entries of `spec.hosts`; none: the host of `spec.resource`
 *   prefixes  the well-formed entries of `spec.pathPrefixes`; none: the path of
 *             `spec.resource`; neither: `/` (the object's paths are unknown, so
 *             every path of its hosts that no longer prefix claims stays closed)
 *   metadata  the RFC 9728 path of `spec.resource`, when it parses
 *
 * Only hosts the object's namespace may claim are kept (`mayClaimHost`). No
 * host left: the object claims nothing (undefined). Nothing else of the object
 * is trusted: no issuer, audience or upstream of it is read or contacted.
 * Never throws, whatever the object holds.
 */
import { Ajv } from 'ajv';
import { DEFAULT_NAMESPACE, metadataPathFor, normalisePrefix, type CompileContext } from './compile-policy.ts';
import { LIMITS } from './policy-field-schemas.ts';
import { PolicySpecSchema } from './policy-schema.ts';
import type { RuntimePolicy } from '../core/runtime-policy.ts';
import { namespacedName } from '../core/namespaced-name.ts';

export interface PlaceholderContext extends CompileContext {
  /** The operator's host-ownership rule for the object's namespace (lower-case host or pattern). */
  readonly mayClaimHost: (host: string) => boolean;
}

// The same element rules the validator applies to `spec.hosts` and `spec.pathPrefixes`.
const ajv = new Ajv({ strict: false });
const wellFormedHost = ajv.compile<string>(PolicySpecSchema.properties.hosts.items);
const wellFormedPrefix = ajv.compile<string>(PolicySpecSchema.properties.pathPrefixes.items);

function record(value: unknown): Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : {};
}

/** The well-formed entries of a list field, at most `max` distinct ones. */
function wellFormed(value: unknown, accepts: (entry: unknown) => boolean, normalise: (entry: string) => string, max: number): string[] {
  if (!Array.isArray(value)) return [];
  const kept = new Set<string>();
  for (const entry of value as unknown[]) {
    if (kept.size >= max) break;
    if (accepts(entry)) kept.add(normalise(entry as string));
  }
  return [...kept];
}

function parsedResource(value: unknown): URL | undefined {
  if (typeof value !== 'string' || value.length > LIMITS.uriLength) return undefined;
  const url = URL.parse(value);
  return url === null || url.hostname === '' ? undefined : url;
}

/** A placeholder holding the refused object's claims, or undefined when it claims no host it may claim. */
export function unavailablePolicy(object: unknown, context: PlaceholderContext): RuntimePolicy | undefined {
  const metadata = record(record(object).metadata);
  const spec = record(record(object).spec);
  const resource = parsedResource(spec.resource);
  const resourcePath = resource === undefined ? undefined : resource.pathname === '' ? '/' : resource.pathname;

  const listed = wellFormed(spec.hosts, (entry) => wellFormedHost(entry), (host) => host.toLowerCase(), LIMITS.hosts);
  const candidates = listed.length > 0 ? listed : resource === undefined ? [] : [resource.hostname.toLowerCase()];
  const hosts = candidates.filter((host) => context.mayClaimHost(host));
  if (hosts.length === 0) return undefined;
  const prefixes = wellFormed(spec.pathPrefixes, (entry) => wellFormedPrefix(entry), normalisePrefix, LIMITS.pathPrefixes);
  const pathPrefixes = prefixes.length > 0 ? prefixes : [normalisePrefix(resourcePath ?? '/')];

  const namespace = typeof metadata.namespace === 'string' ? metadata.namespace : DEFAULT_NAMESPACE;
  const name = typeof metadata.name === 'string' ? metadata.name : '';
  // No metadata path when the resource does not parse: '' matches no request path.
  const metadataPath = resourcePath === undefined ? '' : metadataPathFor(resourcePath);
  return Object.freeze({
    id: namespacedName(namespace, name),
    identity: typeof metadata.uid === 'string' ? metadata.uid : `unavailable-${namespacedName(namespace, name)}`,
    namespace,
    name,
    generation: typeof metadata.generation === 'number' ? metadata.generation : 0,
    resource: resource === undefined ? '' : spec.resource as string,
    acceptedAudiences: new Set<string>(),
    hosts: Object.freeze(hosts),
    pathPrefixes: Object.freeze(pathPrefixes),
    issuers: new Map(),
    issuerList: Object.freeze([]),
    requiredScopes: Object.freeze([]),
    scopeImplications: new Map(),
    mode: 'Strict',
    clockSkewSeconds: 0,
    metadataUrl: resource === undefined ? '' : `${resource.protocol}//${resource.host}${metadataPath}`,
    metadataPath,
    metadataDocument: '',
    upstream: undefined,
    age: Object.freeze([context.createdAt, context.loadOrder] as const),
    unavailable: true,
  });
}
