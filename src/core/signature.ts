/**
 * Signature verification (docs/contract.md §2.1 step 6; RFC 7515 §5.2, RFC 7518 §3,
 * RFC 8037 §3.1) with node:crypto, on libuv's thread pool (the callback form
 * of crypto.verify): the RSA/EC math leaves the event loop, as it did with
 * jose.compactVerify, but without jose's WebCrypto path, which cost about
 * twice the CPU per token (bench/README.md, ADR 0005).
 *
 * One table maps each allowed `alg` to its hash and padding; the only key
 * types it may be used with come from src/core/algorithms.ts (RFC 8725 §3.1:
 * one key, one algorithm family), the table the JWKS side reads too.
 * The algorithm is checked against the issuer's allow-list again here, RSA
 * keys must have at least 2048 bits, ECDSA signatures must be exactly R||S
 * of the curve's size, the signature segment must be canonical base64url,
 * and a token with a `crit` header is refused: this
 * service understands no JWS extension (RFC 7515 §4.1.11).
 */
import { constants, verify, type KeyObject } from 'node:crypto';
import { ALGORITHM_KEYS, ASYMMETRIC_ALGORITHMS, type AlgorithmKey, type AsymmetricAlgorithm } from './algorithms.ts';
import { isCanonicalBase64url } from './compact-jws.ts';

interface SignatureScheme {
  /** Digest for node:crypto, or null for EdDSA (the hash is part of the scheme). */
  readonly hash: string | null;
  /** ECDSA: bytes of the JWS signature (R||S, RFC 7518 §3.4). */
  readonly signatureBytes?: number;
  readonly pss?: true;
}

interface AlgorithmSpec extends SignatureScheme {
  /** `KeyObject.asymmetricKeyType` values this algorithm may be used with. */
  readonly keyTypes: readonly string[];
  /** EC: the `asymmetricKeyDetails.namedCurve` values allowed. */
  readonly curves?: readonly string[];
}

/** One entry per allowed algorithm: the type makes the compiler keep this table and algorithms.ts in step. */
const SCHEMES: Readonly<Record<AsymmetricAlgorithm, SignatureScheme>> = {
  RS256: { hash: 'sha256' },
  RS384: { hash: 'sha384' },
  RS512: { hash: 'sha512' },
  PS256: { hash: 'sha256', pss: true },
  PS384: { hash: 'sha384', pss: true },
  PS512: { hash: 'sha512', pss: true },
  ES256: { hash: 'sha256', signatureBytes: 64 },
  ES384: { hash: 'sha384', signatureBytes: 96 },
  ES512: { hash: 'sha512', signatureBytes: 132 },
  EdDSA: { hash: null },
  Ed25519: { hash: null },
};

/** OpenSSL's names for the JWK curves of NIST P-256/384/521 (RFC 7518 §6.2.1.1). */
const OPENSSL_EC_CURVES: Readonly<Record<string, string>> = { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1' };

function openSSLCurve(crv: string): string {
  const name = OPENSSL_EC_CURVES[crv];
  if (name === undefined) throw new Error(`no OpenSSL name for the curve ${crv}`); // a table edit without its name here
  return name;
}

/** The key family of ALGORITHM_KEYS in KeyObject terms. An RSA-PSS key serves only the PS family. */
function keyObjectFamily(key: AlgorithmKey, pss: boolean): Pick<AlgorithmSpec, 'keyTypes' | 'curves'> {
  switch (key.kty) {
    case 'RSA': return { keyTypes: pss ? ['rsa', 'rsa-pss'] : ['rsa'] };
    case 'EC': return { keyTypes: ['ec'], curves: key.curves.map(openSSLCurve) };
    case 'OKP': return { keyTypes: key.curves.map((crv) => crv.toLowerCase()) }; // ed25519, ed448
  }
}

const ALGORITHMS: Readonly<Record<string, AlgorithmSpec>> = Object.freeze(Object.fromEntries(ASYMMETRIC_ALGORITHMS.map((alg) => {
  const scheme = SCHEMES[alg];
  return [alg, { ...scheme, ...keyObjectFamily(ALGORITHM_KEYS[alg], scheme.pss === true) }];
})));

const MIN_RSA_BITS = 2048;

interface KeyFacts {
  readonly type: string | undefined;
  readonly curve: string | undefined;
  readonly bits: number | undefined;
}

/** Key properties read once per KeyObject (reading them from OpenSSL allocates each time). */
const keyFacts = new WeakMap<KeyObject, KeyFacts>();

function factsOf(key: KeyObject): KeyFacts {
  let facts = keyFacts.get(key);
  if (facts === undefined) {
    const details = key.asymmetricKeyDetails;
    facts = { type: key.asymmetricKeyType, curve: details?.namedCurve, bits: details?.modulusLength };
    keyFacts.set(key, facts);
  }
  return facts;
}

function keyFits(spec: AlgorithmSpec, key: KeyObject): boolean {
  if (key.type !== 'public') return false;
  const facts = factsOf(key);
  if (facts.type === undefined || !spec.keyTypes.includes(facts.type)) return false;
  if (spec.curves !== undefined && (facts.curve === undefined || !spec.curves.includes(facts.curve))) return false;
  if (facts.type.startsWith('rsa') && (facts.bits ?? 0) < MIN_RSA_BITS) return false;
  return true;
}

/**
 * Resolves true when the compact JWS `token` carries a valid signature by
 * `key` under the header's `alg`, and that `alg` is in `algorithms`. Never
 * rejects: every error is a `false`.
 */
export function signatureVerifies(
  token: string,
  header: Readonly<Record<string, unknown>>,
  key: KeyObject | Uint8Array,
  algorithms: readonly string[],
): Promise<boolean> {
  const { alg } = header;
  if (typeof alg !== 'string' || !algorithms.includes(alg) || header.crit !== undefined) return Promise.resolve(false);
  const spec = Object.hasOwn(ALGORITHMS, alg) ? ALGORITHMS[alg] : undefined;
  // A symmetric key (Uint8Array) is never acceptable: only asymmetric algorithms are configured.
  if (spec === undefined || key instanceof Uint8Array || !keyFits(spec, key)) return Promise.resolve(false);
  const dot = token.lastIndexOf('.');
  const signatureSegment = token.slice(dot + 1);
  // Only the one canonical spelling of a signature verifies (Buffer's decoder would accept 16).
  if (!isCanonicalBase64url(signatureSegment)) return Promise.resolve(false);
  const signingInput = Buffer.from(token.slice(0, dot), 'latin1');
  const signature = Buffer.from(signatureSegment, 'base64url');
  if (spec.signatureBytes !== undefined && signature.length !== spec.signatureBytes) return Promise.resolve(false);
  const verifyKey = spec.pss === true
    ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
    : spec.signatureBytes === undefined ? key : { key, dsaEncoding: 'ieee-p1363' as const };
  return new Promise((resolve) => {
    try {
      verify(spec.hash, signingInput, verifyKey, signature, (error, valid) => { resolve(error === null && valid); });
    } catch {
      resolve(false);
    }
  });
}
