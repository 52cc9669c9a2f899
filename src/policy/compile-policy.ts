/**
 * Compiles a validated AudiencePolicy document into its frozen runtime form:
 * defaults applied (the schema's, POLICY_DEFAULTS), audiences canonicalised, hosts lower-cased, scope
 * implications closed transitively, the RFC 9728 URL and document built once.
 */
import { canonicalAudience } from '../core/audience.ts';
import { compileMcp } from './compile-mcp.ts';
import { POLICY_DEFAULTS } from './policy-defaults.ts';
import type { AudiencePolicyDocument } from './policy-schema.ts';
import type { UpstreamSpec } from './upstream-schema.ts';
import type { ClientSecretSource, RuntimeIssuer, RuntimePolicy, RuntimeUpstream } from '../core/runtime-policy.ts';
import { compileIntrospection } from './compile-introspection.ts';
import { protectedResourceMetadata } from './protected-resource-metadata.ts';
import { namespacedName } from '../core/namespaced-name.ts';

export const DEFAULT_NAMESPACE = 'default';
/** The RFC 9728 §3 well-known path segment of protected resource metadata. */
export const PROTECTED_RESOURCE_WELL_KNOWN = '/.well-known/oauth-protected-resource';

/** Path of the RFC 9728 metadata document of a resource with this path (§3.1: the well-known segment goes first). */
export function metadataPathFor(resourcePath: string): string {
  return resourcePath === '/' ? PROTECTED_RESOURCE_WELL_KNOWN : `${PROTECTED_RESOURCE_WELL_KNOWN}${resourcePath}`;
}

export function normalisePrefix(prefix: string): string {
  return prefix.length > 1 && prefix.endsWith('/') ? prefix.replace(/\/+$/, '') || '/' : prefix;
}

function closeImplications(record: Readonly<Record<string, readonly string[]>>): Map<string, readonly string[]> {
  // A Map, not the plain object: scope names such as "constructor" or "__proto__"
  // are valid scope-tokens and must not reach Object.prototype.
  const direct = new Map(Object.entries(record));
  const closed = new Map<string, readonly string[]>();
  for (const [scope, implied] of direct) {
    const reached = new Set<string>();
    const pending = [...implied];
    while (pending.length > 0) {
      const next = pending.pop() as string;
      if (reached.has(next)) continue;
      reached.add(next);
      pending.push(...(direct.get(next) ?? []));
    }
    closed.set(scope, Object.freeze([...reached]));
  }
  return closed;
}

export interface CompileContext {
  /** Creation time in ms (oldest wins conflicts); load order breaks ties. */
  readonly createdAt: number;
  readonly loadOrder: number;
  /** The object's identity (RuntimePolicy.identity); absent: this compilation is a new object of its own. */
  readonly identity?: string | undefined;
}

let anonymousObjects = 0;

export function compilePolicy(document: AudiencePolicyDocument, context: CompileContext): RuntimePolicy {
  const { spec, metadata } = document;
  const namespace = metadata.namespace ?? DEFAULT_NAMESPACE;
  const resourceURL = new URL(spec.resource);
  const resourcePath = resourceURL.pathname === '' ? '/' : resourceURL.pathname;

  const issuers = new Map<string, RuntimeIssuer>();
  for (const issuer of spec.issuers) {
    issuers.set(issuer.issuer, Object.freeze({
      issuer: issuer.issuer,
      jwksUri: issuer.jwksUri,
      algorithms: Object.freeze([...(issuer.algorithms ?? POLICY_DEFAULTS.algorithms)]),
      profile: issuer.profile ?? POLICY_DEFAULTS.profile,
      keySetId: `${issuer.issuer} ${issuer.jwksUri ?? '(discovered)'}`,
      introspection: compileIntrospection(issuer.issuer, issuer.introspection, namespace),
    }));
  }

  const accepted = new Set<string>();
  for (const audience of [spec.resource, ...(spec.audiences ?? [])]) {
    const canonical = canonicalAudience(audience);
    if (canonical !== undefined) accepted.add(canonical);
  }

  const metadataPath = metadataPathFor(resourcePath);
  const metadataUrl = `${resourceURL.protocol}//${resourceURL.host}${metadataPath}`;
  const requiredScopes = Object.freeze([...(spec.requiredScopes ?? [])]);

  return Object.freeze({
    id: namespacedName(namespace, metadata.name),
    namespace,
    name: metadata.name,
    generation: metadata.generation ?? 0,
    identity: context.identity ?? `compiled-${String(++anonymousObjects)}`,
    resource: spec.resource,
    acceptedAudiences: accepted,
    hosts: Object.freeze([...new Set(spec.hosts?.map((host) => host.toLowerCase()) ?? [resourceURL.hostname.toLowerCase()])]),
    pathPrefixes: Object.freeze([...new Set(spec.pathPrefixes?.map(normalisePrefix) ?? [normalisePrefix(resourcePath)])]),
    issuers,
    issuerList: Object.freeze([...issuers.values()]),
    requiredScopes,
    scopeImplications: closeImplications(spec.scopeImplications ?? {}),
    mode: spec.mode ?? POLICY_DEFAULTS.mode,
    clockSkewSeconds: spec.clockSkewSeconds ?? POLICY_DEFAULTS.clockSkewSeconds,
    metadataUrl,
    metadataPath,
    metadataDocument: JSON.stringify(protectedResourceMetadata(spec)),
    upstream: compileUpstream(spec.upstream, namespace),
    mcp: compileMcp(spec.mcp, requiredScopes),
    proofOfPossession: Object.freeze({
      dpop: spec.proofOfPossession?.dpop ?? POLICY_DEFAULTS.dpop,
      mtls: spec.proofOfPossession?.mtls ?? POLICY_DEFAULTS.mtls,
      proofMaxAgeSeconds: spec.proofOfPossession?.proofMaxAgeSeconds ?? POLICY_DEFAULTS.proofMaxAgeSeconds,
      dpopAlgorithms: spec.proofOfPossession?.dpopAlgorithms === undefined
        ? undefined : Object.freeze([...spec.proofOfPossession.dpopAlgorithms]),
    }),
    age: Object.freeze([context.createdAt, context.loadOrder] as const),
  });
}

function compileUpstream(upstream: UpstreamSpec | undefined, namespace: string): RuntimeUpstream | undefined {
  if (upstream === undefined) return undefined;
  const exchange = upstream.tokenExchange;
  const grant = exchange ?? upstream.clientCredentials;
  if (grant === undefined) return undefined; // validation requires exactly one
  const clientSecret: ClientSecretSource = grant.clientSecretRef === undefined
    ? { kind: 'file', path: grant.clientSecretFile ?? '', namespace }
    : { kind: 'secret', namespace, name: grant.clientSecretRef.name, key: grant.clientSecretRef.key };
  return Object.freeze({
    grant: exchange === undefined ? 'client_credentials' : 'token_exchange',
    tokenEndpoint: grant.tokenEndpoint,
    issuer: grant.issuer,
    audience: grant.audience,
    resource: grant.resource,
    scopes: Object.freeze([...(grant.scopes ?? [])]),
    clientId: grant.clientId,
    clientSecret: Object.freeze(clientSecret),
    header: (upstream.header ?? POLICY_DEFAULTS.upstreamHeader).toLowerCase(),
  });
}
