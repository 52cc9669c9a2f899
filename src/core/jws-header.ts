/**
 * Protected-header rules (SPEC.md 2.1 step 4; RFC 9068 §4 step 1, RFC 8725
 * §3.1 and §3.11). Before the issuer is known (step 5 decides that), `typ`
 * must fit some profile and `alg` some asymmetric algorithm, so the first
 * failing step is still the one reported. `jku`, `x5u`, `jwk` and `x5c` are
 * not read at all: keys come only from the issuer's configured key set.
 */
import { isAsymmetricAlgorithm } from './algorithms.ts';
import type { Reason } from './reasons.ts';
import { TOKEN_PROFILES, typeAccepted } from './token-profile.ts';
import type { RuntimeIssuer } from '../policy/runtime-policy.ts';

export type HeaderVerdict = 'ok' | Extract<Reason, 'malformed_token' | 'unsupported_token_type' | 'disallowed_algorithm'>;

export function checkHeader(header: Readonly<Record<string, unknown>>, issuer: RuntimeIssuer | undefined): HeaderVerdict {
  const { alg, typ, kid } = header;
  if (typeof alg !== 'string' || (kid !== undefined && typeof kid !== 'string')) return 'malformed_token';
  const typeOk = issuer === undefined
    ? TOKEN_PROFILES.some((profile) => typeAccepted(profile, typ))
    : typeAccepted(issuer.profile, typ);
  if (!typeOk) return 'unsupported_token_type';
  const algOk = issuer === undefined ? isAsymmetricAlgorithm(alg) : issuer.algorithms.includes(alg);
  return algOk ? 'ok' : 'disallowed_algorithm';
}
