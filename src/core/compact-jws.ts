/**
 * Unverified decoding of a compact JWS (SPEC.md 2.1 step 3; RFC 7515 §7.1).
 *
 * Only structure is checked here: three base64url segments, a JSON object
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

function decodeJSONObject(segment: string): Record<string, unknown> | undefined {
  if (!BASE64URL.test(segment)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
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
  if (signatureSegment !== '' && !BASE64URL.test(signatureSegment)) return { kind: 'malformed' };
  const header = decodeJSONObject(headerSegment);
  const payload = decodeJSONObject(payloadSegment);
  if (header === undefined || payload === undefined || 'enc' in header) return { kind: 'malformed' };
  return { kind: 'decoded', jws: { header, payload } };
}
