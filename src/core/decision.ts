/**
 * The typed outcome of the decision core. Adapters turn it into a CheckResponse,
 * a log line and metric increments; the core itself never does.
 */
import type { CredentialScheme } from './bearer.ts';
import type { ClaimName } from './claims.ts';
import type { TypCategory } from './jws-header.ts';
import type { Reason } from './reasons.ts';
import type { RuntimePolicy } from './runtime-policy.ts';

/** Claims of a token whose signature verified; safe to log (docs/contract.md §3.3). */
export interface VerifiedPrincipal {
  readonly issuer: string;
  readonly subject: string | undefined;
  readonly clientId: string | undefined;
  readonly audiences: readonly string[];
}

/**
 * Facts from closed sets that make a deny actionable without any token
 * content (the deny log's `missing_claim`, `typ` and `granted_scopes`).
 */
export interface DenyDetail {
  /** `missing_claim`: the claim that is absent or malformed (src/core/claims.ts `claimAtFault`, `aud`, `scope`/`scp`). */
  readonly missingClaim?: ClaimName | undefined;
  /** `unsupported_token_type`: the category of the `typ` header seen (src/core/jws-header.ts `typCategory`). */
  readonly typ?: TypCategory | undefined;
  /** `insufficient_scope`: the verified token's granted scopes (src/core/scopes.ts `grantedScopeList`). */
  readonly grantedScopes?: readonly string[] | undefined;
}

/**
 * The MCP method and tool of a request, as label values: a name the policy's
 * `spec.mcp` rules mention, else `other` (never raw request text). Set only
 * for policies with `mcp` rules whose request was read.
 */
export interface McpLabels {
  readonly method: string;
  readonly tool: string;
}

/** A header the upstream request gets instead of the client's token. A secret: never logged. */
export interface UpstreamCredential {
  readonly header: string;
  readonly value: string;
}

export type Decision =
  | {
      readonly kind: 'allow';
      readonly policy: RuntimePolicy;
      readonly principal: VerifiedPrincipal;
      /** Set (with overwrite) on the upstream request when the policy has `spec.upstream`. */
      readonly upstreamCredential: UpstreamCredential | undefined;
      /** Permissive mode: the audience check failed and was not enforced (docs/contract.md §2.4). */
      readonly notEnforced: Extract<Reason, 'audience_mismatch'> | undefined;
      /** Set when `notEnforced` is, for the audit log line. */
      readonly tokenSHA256: string | undefined;
      readonly mcp?: McpLabels | undefined;
    }
  | {
      readonly kind: 'deny';
      readonly reason: Reason;
      readonly policy: RuntimePolicy | undefined;
      /** Scopes for an `insufficient_scope` challenge. */
      readonly challengeScopes: readonly string[];
      /** First 16 hex digits of the SHA-256 of the presented token, when there was one. */
      readonly tokenSHA256: string | undefined;
      /** Verified claims, when the signature verified before a later check failed. */
      readonly principal: VerifiedPrincipal | undefined;
      /** Why, in closed-set terms, for the reasons that have such detail. */
      readonly detail?: DenyDetail | undefined;
      readonly mcp?: McpLabels | undefined;
      /** The scheme the token came with: a `DPoP` challenge carries the error for a DPoP request. */
      readonly scheme?: CredentialScheme | undefined;
      /** `dpop_nonce_required`: the `DPoP-Nonce` header of the answer (RFC 9449 §9). */
      readonly dpopNonce?: string | undefined;
    }
  | {
      /** An RFC 9728 metadata request answered directly (docs/contract.md §2.1 step 1). */
      readonly kind: 'metadata';
      readonly policy: RuntimePolicy;
    };
