/**
 * One credential step for every token kind: a compact JWS (three
 * dot-separated parts) is a JWT and keeps the JWT path; any other token goes
 * to introspection when the policy has an introspecting issuer, and is
 * otherwise the JWT path's `malformed_token`. Tokens over the size cap are
 * refused by the JWT path before anything is sent anywhere.
 */
import { introspectingIssuer } from './introspection-verifier.ts';
import type { PresentedToken, TokenVerification, TokenVerifier, VerificationContext } from './token-verifier.ts';

/** Three parts: the shape of a compact JWS (RFC 7515 §7.1). A JWE has five and is not one. */
export function hasCompactJWSShape(token: string): boolean {
  const first = token.indexOf('.');
  const second = first < 0 ? -1 : token.indexOf('.', first + 1);
  return second > 0 && !token.includes('.', second + 1);
}

export class DispatchingTokenVerifier implements TokenVerifier {
  readonly #jwt: TokenVerifier;
  readonly #introspection: TokenVerifier;
  readonly #maxTokenBytes: number;

  constructor(jwt: TokenVerifier, introspection: TokenVerifier, maxTokenBytes: number) {
    this.#jwt = jwt;
    this.#introspection = introspection;
    this.#maxTokenBytes = maxTokenBytes;
  }

  verify(token: PresentedToken, context: VerificationContext): Promise<TokenVerification> {
    const opaque = !hasCompactJWSShape(token.value) && token.value.length <= this.#maxTokenBytes
      && introspectingIssuer(context.policy) !== undefined;
    return (opaque ? this.#introspection : this.#jwt).verify(token, context);
  }
}
