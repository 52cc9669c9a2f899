/**
 * One DPoP proof against one request (RFC 9449 §4.3): every check a resource
 * server makes of the `DPoP` header, except the replay check and the token's
 * `cnf.jkt`, which src/core/binding-step.ts makes with this result.
 *
 *   exactly one header (Envoy comma-joins repeats; a compact JWS has no `,`),
 *   a compact JWS with `typ` `dpop+jwt`, an asymmetric `alg` from the allow-list,
 *   a public `jwk` in the header that verifies the signature,
 *   `htm` = the method, `htu` = the addressed URL (src/core/dpop-htu.ts),
 *   `iat` no older than the window and no further ahead than the clock skew,
 *   a `jti`, `ath` = base64url(SHA-256(token)), and a current nonce when nonces are on.
 */
import { algorithmKey } from './algorithms.ts';
import type { DpopNonces } from './binding-environment.ts';
import { decodeCompactJWS } from './compact-jws.ts';
import { expectedTarget, htuMatches } from './dpop-htu.ts';
import type { HttpRequestView } from './http-request.ts';
import { publicProofKey } from './jwk-thumbprint.ts';
import { signatureVerifies } from './signature.ts';

/** A proof is a few hundred bytes; an RSA 4096 jwk makes it about 1.5 kB. */
const MAX_PROOF_BYTES = 8192;
const MAX_JTI_LENGTH = 256;

export interface ProofCheck {
  readonly proof: string | undefined;
  readonly request: HttpRequestView;
  readonly authority: string | undefined;
  /** The policy's `resource`: its scheme is the scheme of `htu`. */
  readonly resource: string;
  readonly algorithms: readonly string[];
  /** SHA-256 of the access token. */
  readonly tokenDigest: Buffer;
  readonly now: number;
  readonly maxAgeSeconds: number;
  readonly skewSeconds: number;
  readonly nonces: DpopNonces | undefined;
}

export type ProofVerdict =
  | { readonly kind: 'valid'; readonly thumbprint: string; readonly jti: string; readonly iat: number }
  | { readonly kind: 'invalid' }
  | { readonly kind: 'nonce_required' };

const INVALID: ProofVerdict = Object.freeze({ kind: 'invalid' });

export async function checkProof(check: ProofCheck): Promise<ProofVerdict> {
  const { proof } = check;
  if (proof === undefined || proof.includes(',')) return INVALID;
  const decoded = decodeCompactJWS(proof, MAX_PROOF_BYTES);
  if (decoded.kind !== 'decoded') return INVALID;
  const { header, payload } = decoded.jws;
  if (typeof header.typ !== 'string' || header.typ.toLowerCase() !== 'dpop+jwt') return INVALID;
  // Asymmetric only, whatever the list says: `none` and HS* are never in the algorithm table.
  if (typeof header.alg !== 'string' || algorithmKey(header.alg) === undefined || !check.algorithms.includes(header.alg)) return INVALID;
  const key = publicProofKey(header.jwk);
  if (key === undefined) return INVALID;
  if (!(await signatureVerifies(proof, header, key.key, check.algorithms))) return INVALID;

  if (payload.htm !== check.request.method) return INVALID;
  const target = expectedTarget(check.resource, check.authority, check.request.path);
  if (target === undefined || !htuMatches(payload.htu, target)) return INVALID;
  const { iat, jti } = payload;
  if (typeof iat !== 'number' || !Number.isFinite(iat)) return INVALID;
  if (check.now - iat > check.maxAgeSeconds || iat - check.now > check.skewSeconds) return INVALID;
  if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) return INVALID;
  if (payload.ath !== check.tokenDigest.toString('base64url')) return INVALID;
  // Last: a client learns the nonce only from a proof that is otherwise good.
  if (check.nonces !== undefined && (typeof payload.nonce !== 'string' || !check.nonces.accepts(payload.nonce))) {
    return { kind: 'nonce_required' };
  }
  return { kind: 'valid', thumbprint: key.thumbprint, jti, iat };
}
