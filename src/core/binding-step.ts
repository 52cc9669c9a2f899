/**
 * The binding step (docs/contract.md, sender-constrained tokens): right after
 * the credential step, for every kind of verified token, the token's `cnf`
 * against what the request proves.
 *
 *   - `cnf.jkt` (RFC 9449): the token must come with the `DPoP` scheme and a
 *     proof (src/core/dpop-proof.ts) by the key it names, not seen before on
 *     this replica; sent as `Bearer` it is refused (RFC 9449 §7.2).
 *   - `cnf["x5t#S256"]` (RFC 8705 §3): the client certificate the proxy saw
 *     must have that SHA-256 thumbprint.
 *   - any other `cnf` member, or a `cnf` that is not an object: refused — a
 *     binding this service does not check is never treated as no binding.
 *   - `Required` refuses tokens without the binding, `Disabled` tokens with it.
 */
import type { CredentialScheme } from './bearer.ts';
import type { BindingEnvironment } from './binding-environment.ts';
import { proofOfPossessionOf } from './binding-defaults.ts';
import { certificateThumbprint } from './certificate-thumbprint.ts';
import { checkProof } from './dpop-proof.ts';
import type { HttpRequestView } from './http-request.ts';
import type { Reason } from './reasons.ts';
import type { RequestExtras } from './request-extras.ts';
import type { RuntimePolicy, RuntimeProofOfPossession } from './runtime-policy.ts';
import { hash } from 'node:crypto';

export type BindingRefusal = Extract<Reason,
  'invalid_dpop_proof' | 'dpop_replayed' | 'dpop_required' | 'dpop_nonce_required' | 'dpop_unavailable' | 'token_binding_mismatch'>;

export type BindingVerdict =
  | { readonly kind: 'confirmed' }
  /** `nonce`: the `DPoP-Nonce` to send with a `dpop_nonce_required` answer. */
  | { readonly kind: 'refused'; readonly reason: BindingRefusal; readonly nonce?: string | undefined };

export interface BindingInput {
  readonly claims: Readonly<Record<string, unknown>>;
  /** The verifying issuer's `algorithms`: the proof algorithms when the policy names none. */
  readonly issuerAlgorithms: readonly string[];
  readonly token: { readonly digest: Buffer };
  readonly scheme: CredentialScheme;
  readonly request: HttpRequestView;
  readonly extras: RequestExtras;
  readonly policy: RuntimePolicy;
}

const CHECKED_MEMBERS: ReadonlySet<string> = new Set(['jkt', 'x5t#S256']);
const CONFIRMED: BindingVerdict = Object.freeze({ kind: 'confirmed' });

function refused(reason: BindingRefusal, nonce?: string): BindingVerdict {
  return nonce === undefined ? { kind: 'refused', reason } : { kind: 'refused', reason, nonce };
}

export async function checkBinding(input: BindingInput, env: BindingEnvironment | undefined): Promise<BindingVerdict> {
  const { cnf } = input.claims;
  const pop = proofOfPossessionOf(input.policy);
  let jkt: unknown;
  let x5t: unknown;
  if (cnf !== undefined) {
    if (typeof cnf !== 'object' || cnf === null || Array.isArray(cnf)) return refused('token_binding_mismatch');
    const members = Object.keys(cnf);
    if (members.length === 0 || members.some((member) => !CHECKED_MEMBERS.has(member))) return refused('token_binding_mismatch');
    ({ jkt, 'x5t#S256': x5t } = cnf as Record<string, unknown>);
  }

  if (jkt === undefined) {
    if (pop.dpop === 'Required') return refused('dpop_required');
    // The DPoP scheme names a token bound to the proof's key; an unbound one is not (RFC 9449 §7.1).
    if (input.scheme === 'dpop') return refused('token_binding_mismatch');
  } else {
    if (typeof jkt !== 'string' || pop.dpop === 'Disabled' || input.scheme !== 'dpop') return refused('token_binding_mismatch');
    const dpop = await confirmDpop(input, jkt, pop, env);
    if (dpop !== undefined) return dpop;
  }

  if (x5t === undefined) {
    if (pop.mtls === 'Required') return refused('token_binding_mismatch');
  } else {
    if (typeof x5t !== 'string' || pop.mtls === 'Disabled') return refused('token_binding_mismatch');
    const certificate = input.extras.clientCertificate;
    if (certificate === undefined || certificateThumbprint(certificate) !== x5t) return refused('token_binding_mismatch');
  }
  return CONFIRMED;
}

/** Undefined when the proof holds and was recorded; else the refusal. */
async function confirmDpop(
  input: BindingInput,
  jkt: string,
  pop: RuntimeProofOfPossession,
  env: BindingEnvironment | undefined,
): Promise<BindingVerdict | undefined> {
  if (env === undefined) return refused('dpop_unavailable'); // no replay cache: a proof cannot be judged
  const proof = await checkProof({
    proof: input.extras.dpopProof,
    request: input.request,
    authority: input.extras.authority,
    resource: input.policy.resource,
    algorithms: pop.dpopAlgorithms ?? input.issuerAlgorithms,
    tokenDigest: input.token.digest,
    now: env.now(),
    maxAgeSeconds: pop.proofMaxAgeSeconds,
    skewSeconds: input.policy.clockSkewSeconds,
    nonces: env.nonces,
  });
  if (proof.kind === 'invalid') return refused('invalid_dpop_proof');
  if (proof.kind === 'nonce_required') return refused('dpop_nonce_required', env.nonces?.current());
  if (proof.thumbprint !== jkt) return refused('token_binding_mismatch');
  // Recorded only once everything else held, so a stream of bad proofs cannot fill the cache.
  const key = hash('sha256', `${proof.thumbprint}.${proof.jti}`, 'base64url');
  switch (env.replay.remember(key, proof.iat + pop.proofMaxAgeSeconds)) {
    case 'fresh': return undefined;
    case 'replayed': return refused('dpop_replayed');
    case 'full': return refused('dpop_unavailable');
  }
}
