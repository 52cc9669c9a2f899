/**
 * Unverified decoding of a compact JWS (docs/contract.md §2.1 step 3;
 * RFC 7515 §7.1).
 *
 * Only structure is checked here: three canonical base64url segments, a JSON object
 * header and payload. Nothing decoded here is trusted until the signature
 * verifies; the header is read only to choose the issuer's key and algorithm.
 * Encrypted tokens (five segments, or `enc` in the header) are malformed for us:
 * no decryption is configured (RFC 9068 §4 step 2).
 */

export interface DecodedJWS {
  readonly header: Readonly<Record<string, unknown>>;
  readonly payload: Readonly<Record<string, unknown>>;
}

export type JWSDecoding =
  | { readonly kind: 'decoded'; readonly jws: DecodedJWS }
  | { readonly kind: 'too_large' }
  | { readonly kind: 'malformed' };

const BASE64URL = /^[A-Za-z0-9_-]+$/;
// Claims and header must be UTF-8 (RFC 7519 §7.2 step 10): invalid bytes are an error, not U+FFFD.
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The 6-bit value of each base64url character, by char code (RFC 4648 §5); read only after BASE64URL matched. */
const SEXTET = new Uint8Array(128);
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
for (let value = 0; value < ALPHABET.length; value += 1) SEXTET[ALPHABET.charCodeAt(value)] = value;

/**
 * Canonical base64url without padding (RFC 7515 §2, RFC 4648 §3.5 and §5):
 * only the base64url alphabet, no `=`, a length other than 4n+1 (not an
 * encoding at all; Node's decoder would silently drop the last character), and
 * pad bits that are zero. Node's decoder ignores non-zero pad bits, so without
 * this check one token would have up to 15 more accepted spellings, each with
 * its own SHA-256 — the verified-token cache key and the logs' token_sha256.
 */
export function isCanonicalBase64url(segment: string): boolean {
  const rest = segment.length % 4;
  if (rest === 1 || !BASE64URL.test(segment)) return false;
  if (rest === 0) return true;
  // The last group is 2 characters for 1 byte (4 pad bits) or 3 for 2 bytes (2 pad bits).
  const last = SEXTET[segment.charCodeAt(segment.length - 1)] ?? 0b111111;
  return (last & (rest === 2 ? 0b1111 : 0b11)) === 0;
}

function decodeJSONObject(segment: string): Record<string, unknown> | undefined {
  if (!isCanonicalBase64url(segment)) return undefined;
  try {
    const value: unknown = JSON.parse(UTF8.decode(Buffer.from(segment, 'base64url')));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** `maxBytes` caps the token before any decoding work (token68 is ASCII: length = bytes). */
export function decodeCompactJWS(token: string, maxBytes: number): JWSDecoding {
  if (token.length > maxBytes) return { kind: 'too_large' };
  const segments = token.split('.');
  if (segments.length !== 3) return { kind: 'malformed' };
  const [headerSegment = '', payloadSegment = '', signatureSegment = ''] = segments;
  // An empty signature is structurally valid (an unsecured JWS); step 4 refuses its `alg`.
  if (signatureSegment !== '' && !isCanonicalBase64url(signatureSegment)) return { kind: 'malformed' };
  const header = decodeJSONObject(headerSegment);
  const payload = decodeJSONObject(payloadSegment);
  if (header === undefined || payload === undefined || 'enc' in header) return { kind: 'malformed' };
  return { kind: 'decoded', jws: { header, payload } };
}
