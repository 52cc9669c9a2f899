/**
 * `WWW-Authenticate` challenges (docs/contract.md §2.5; RFC 6750 §3, RFC 9728
 * §5.1, RFC 9449 §7.1, MCP authorization). Each auth-param appears at most
 * once per challenge; values are quoted strings built only from configuration
 * and the fixed description table, so no request or token content can reach
 * a header. `offline_access` is never named in a challenge (src/core/scopes.ts).
 *
 * A policy that accepts DPoP offers both schemes in one header, Bearer first
 * (while Bearer is accepted) so that clients reading only the first challenge
 * for `resource_metadata` keep working (ADR 0011); the `error` goes in the
 * challenge of the scheme the client used, or in the DPoP one for a proof
 * error or when only DPoP is accepted.
 */
import { acceptedProofAlgorithms, proofOfPossessionOf } from './binding-defaults.ts';
import type { CredentialScheme } from './bearer.ts';
import { REASON_TABLE, type ChallengeKind, type Reason } from './reasons.ts';
import type { RuntimePolicy } from './runtime-policy.ts';
import { advertisedScopes } from './scopes.ts';

function quoted(value: string): string {
  // Descriptions are fixed ASCII without `"` or `\`; metadata URLs and scopes come
  // from validated configuration. Escape anyway so a future table entry cannot break the header.
  return `"${value.replace(/["\\]/g, (character) => `\\${character}`)}"`;
}

export interface DpopOffer {
  /** The `algs` of the DPoP challenge (RFC 9449 §7.1); empty: DPoP is not offered. */
  readonly algorithms: readonly string[];
  /** False when the policy accepts only DPoP (`dpop: Required`). */
  readonly bearerAccepted: boolean;
}

const DPOP_ERRORS: ReadonlySet<ChallengeKind> = new Set(['invalid_dpop_proof', 'use_dpop_nonce']);

/** The challenge for a deny, or `undefined` when the reason carries none. Without `dpop`: Bearer only. */
export function wwwAuthenticate(
  reason: Reason,
  metadataUrl: string | undefined,
  scopes: readonly string[],
  dpop?: DpopOffer,
  scheme?: CredentialScheme,
): string | undefined {
  const spec = REASON_TABLE[reason];
  if (spec.challenge === 'none' || metadataUrl === undefined) return undefined;
  const scope = advertisedScopes(scopes).join(' ');
  const errorParams: string[] = [];
  if (spec.challenge !== 'no_error') {
    errorParams.push(`error=${quoted(spec.challenge)}`);
    if (spec.challenge === 'insufficient_scope' && scope !== '') errorParams.push(`scope=${quoted(scope)}`);
    errorParams.push(`error_description=${quoted(spec.description)}`);
  }
  const resourceParams = [`resource_metadata=${quoted(metadataUrl)}`];
  if (spec.challenge === 'no_error' && scope !== '') resourceParams.push(`scope=${quoted(scope)}`);

  const offersDpop = dpop !== undefined && dpop.algorithms.length > 0;
  const offersBearer = !offersDpop || dpop.bearerAccepted;
  if (!offersDpop) return `Bearer ${[...errorParams, ...resourceParams].join(', ')}`;
  const errorInDpop = DPOP_ERRORS.has(spec.challenge) || scheme === 'dpop' || !offersBearer;
  const challenges: string[] = [];
  if (offersBearer) challenges.push(`Bearer ${[...(errorInDpop ? [] : errorParams), ...resourceParams].join(', ')}`);
  const dpopParams = [...(errorInDpop ? errorParams : []), ...(offersBearer ? [] : resourceParams)];
  dpopParams.push(`algs=${quoted(dpop.algorithms.join(' '))}`);
  challenges.push(`DPoP ${dpopParams.join(', ')}`);
  return challenges.join(', ');
}

/** What `policy` offers in its challenges: DPoP with its algorithms unless `dpop: Disabled`. */
export function dpopOfferOf(policy: RuntimePolicy): DpopOffer {
  const { dpop } = proofOfPossessionOf(policy);
  return { algorithms: dpop === 'Disabled' ? [] : acceptedProofAlgorithms(policy), bearerAccepted: dpop !== 'Required' };
}

/** The challenge of a deny under `policy` (none without a policy), for a credential sent with `scheme`. */
export function challengeFor(
  reason: Reason,
  policy: RuntimePolicy | undefined,
  scopes: readonly string[],
  scheme?: CredentialScheme,
): string | undefined {
  if (policy === undefined) return undefined;
  return wwwAuthenticate(reason, policy.metadataUrl, scopes, dpopOfferOf(policy), scheme);
}
