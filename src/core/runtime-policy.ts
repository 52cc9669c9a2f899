/**
 * The compiled, frozen form of an AudiencePolicy that the decision core reads.
 * Wire objects (CRD, YAML) never reach the core: src/policy/compile-policy.ts
 * validates them and precomputes everything here once per change.
 */
import type { RuntimeMcp } from './mcp-policy.ts';
import type { TokenProfile } from './token-profile.ts';

export type PolicyMode = 'Strict' | 'Permissive';

export interface RuntimeIssuer {
  /** Exact `iss` value. */
  readonly issuer: string;
  /** Explicit JWKS URI; when absent the key source discovers it from the issuer. */
  readonly jwksUri: string | undefined;
  readonly algorithms: readonly string[];
  readonly profile: TokenProfile;
  /** Identity of the key set (issuer + JWKS URI): policies that share it share keys. */
  readonly keySetId: string;
  /** Set when this issuer's opaque tokens are introspected (RFC 7662); at most one issuer of a policy has it. */
  readonly introspection?: RuntimeIntrospection | undefined;
}

/** How an issuer's opaque access tokens are introspected (RFC 7662). */
export interface RuntimeIntrospection {
  /** Explicit endpoint; when absent it is discovered (`introspection_endpoint` of the issuer's metadata). */
  readonly endpoint: string | undefined;
  readonly clientId: string;
  readonly clientSecret: ClientSecretSource;
  /** Longest reuse of an active answer, in seconds (never past its `exp`). */
  readonly cacheSeconds: number;
  /**
   * Which endpoint and client this is (issuer, endpoint, client id; never the
   * secret): answers are remembered and requests limited per this identity.
   */
  readonly endpointId: string;
}

/** Where an upstream client secret comes from. */
export type ClientSecretSource =
  | { readonly kind: 'secret'; readonly namespace: string; readonly name: string; readonly key: string }
  | { readonly kind: 'file'; readonly path: string; readonly namespace: string };

/** How the upstream gets its own token (docs/contract.md §2.8). */
export interface RuntimeUpstream {
  readonly grant: 'token_exchange' | 'client_credentials';
  /** Either an explicit token endpoint or an issuer to discover it from. */
  readonly tokenEndpoint: string | undefined;
  readonly issuer: string | undefined;
  readonly audience: string | undefined;
  readonly resource: string | undefined;
  readonly scopes: readonly string[];
  readonly clientId: string;
  readonly clientSecret: ClientSecretSource;
  /** Lower-case header set (with overwrite) to `Bearer <token>`. */
  readonly header: string;
}

/** `spec.proofOfPossession`: which sender-constrained tokens are accepted (RFC 9449, RFC 8705). */
export type BindingMode = 'Allowed' | 'Required' | 'Disabled';

export interface RuntimeProofOfPossession {
  readonly dpop: BindingMode;
  readonly mtls: BindingMode;
  readonly proofMaxAgeSeconds: number;
  /** Accepted proof algorithms; undefined: the token issuer's `algorithms`. */
  readonly dpopAlgorithms: readonly string[] | undefined;
}

export interface RuntimePolicy {
  /** `NAMESPACE/NAME` (src/core/namespaced-name.ts). */
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly generation: number;
  /**
   * Which object this is, not which name: the Kubernetes `uid`, or for a file
   * the load in which the policy appeared. A deleted and re-created policy has
   * a new one, so nothing cached for the old object (upstream tokens) carries over.
   */
  readonly identity: string;
  /** The canonical resource identifier, exactly as configured. */
  readonly resource: string;
  /** `resource` + `audiences`, each in canonical form (src/core/audience.ts). */
  readonly acceptedAudiences: ReadonlySet<string>;
  /** Lower-case host patterns; `*.example.com` matches any subdomain. */
  readonly hosts: readonly string[];
  /** Path prefixes matched at segment boundaries. */
  readonly pathPrefixes: readonly string[];
  readonly issuers: ReadonlyMap<string, RuntimeIssuer>;
  /** The same issuers as a list, for header checks before the issuer is known. */
  readonly issuerList: readonly RuntimeIssuer[];
  readonly requiredScopes: readonly string[];
  /** Scope → every scope it implies, closed transitively. */
  readonly scopeImplications: ReadonlyMap<string, readonly string[]>;
  readonly mode: PolicyMode;
  readonly clockSkewSeconds: number;
  /** RFC 9728 metadata URL of this resource (the `resource_metadata` challenge parameter). */
  readonly metadataUrl: string;
  /** Path of `metadataUrl`, answered for GET/HEAD on the policy's hosts. */
  readonly metadataPath: string;
  /** RFC 9728 document, serialised once. */
  readonly metadataDocument: string;
  /** Set when the upstream gets a token of its own instead of nothing. */
  readonly upstream: RuntimeUpstream | undefined;
  /** Per-method and per-tool scopes (`spec.mcp`); absent when the policy has no such rules, and then no body is read. */
  readonly mcp?: RuntimeMcp | undefined;
  /** Absent (hand-built policies): the defaults, src/core/binding-defaults.ts. */
  readonly proofOfPossession?: RuntimeProofOfPossession | undefined;
  /** Sort key for "the oldest policy wins" (creation time, then load order). */
  readonly age: readonly [number, number];
  /**
   * Set on a stand-in for an object that has no accepted version
   * (src/policy/unavailable-policy.ts): it holds the object's claims so they
   * never fall through to a laxer policy, and every request it is selected for
   * is denied 503 `policy_unavailable`.
   */
  readonly unavailable?: true;
  /**
   * Set when a decision under this policy reads more of the request than its
   * token (e.g. rules on the request body or headers): its checks are then
   * never answered from, nor remembered in, the decision cache
   * (src/core/decision-cache.ts).
   */
  readonly uncacheableDecisions?: true;
}
