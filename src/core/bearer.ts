/**
 * Credential extraction (docs/contract.md §2.1 step 2; RFC 6750 §2.1,
 * RFC 9449 §7.1, RFC 9110 §11). The `Bearer` and `DPoP` schemes carry a
 * token; which one the client used goes on to the binding step
 * (src/core/binding-step.ts), which refuses a DPoP-bound token sent as Bearer.
 *
 *   credentials = auth-scheme 1*SP token68     ; scheme compared case-insensitively
 *   token68     = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
 *
 * Envoy joins a repeated header with ",", which is not a token68 character, so
 * two Authorization headers arrive as one invalid value: `invalid_request`.
 * Tokens in the query string or body are never looked at.
 */

export type BearerExtraction =
  | { readonly kind: 'token'; readonly token: string; readonly scheme: CredentialScheme }
  | { readonly kind: 'missing' } // no header, or another scheme: challenge without error
  | { readonly kind: 'malformed' }; // Bearer with bad syntax, or a repeated header

export type CredentialScheme = 'bearer' | 'dpop';

const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;
const SCHEME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export function extractBearer(authorization: string | undefined): BearerExtraction {
  if (authorization === undefined || authorization === '') return { kind: 'missing' };
  if (authorization.includes(',')) return { kind: 'malformed' };
  const space = authorization.indexOf(' ');
  const scheme = space === -1 ? authorization : authorization.slice(0, space);
  const lowerScheme = scheme.toLowerCase();
  if (lowerScheme !== 'bearer' && lowerScheme !== 'dpop') {
    // Another auth scheme (Basic, Negotiate, ...) is "no usable credentials" (401 without error);
    // a value that is not even an auth-scheme is a malformed request.
    return SCHEME.test(scheme) ? { kind: 'missing' } : { kind: 'malformed' };
  }
  if (space === -1) return { kind: 'malformed' };
  let start = space;
  while (authorization.charCodeAt(start) === 0x20) start += 1;
  const token = authorization.slice(start);
  if (!TOKEN68.test(token)) return { kind: 'malformed' };
  return { kind: 'token', token, scheme: lowerScheme };
}
