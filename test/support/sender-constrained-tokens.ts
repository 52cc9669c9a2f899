/**
 * Sender-constrained access tokens from the local oidc-provider
 * (test/support/authorization-server.ts with `dpop: true` / `mtls: true`):
 * the provider's own `features.dPoP` (RFC 9449: a `DPoP` proof at the token
 * endpoint → `cnf.jkt`) and `features.mTLS.certificateBoundAccessTokens`
 * (RFC 8705 → `cnf["x5t#S256"]`). No TLS terminator runs here: the client
 * certificate reaches the provider in a test header, URL-encoded as Envoy
 * forwards it, standing in for the terminator. Proofs are built with jose.
 */
import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

/** Where the test puts the client certificate for the provider (the TLS terminator's job in production). */
export const CLIENT_CERTIFICATE_HEADER = 'x-test-client-certificate';

export interface SenderConstrainedOptions {
  /** RFC 9449 DPoP-bound tokens when the token request carries a proof. */
  readonly dpop?: boolean | undefined;
  /** RFC 8705: every client's tokens are bound to the certificate of its token request. */
  readonly mtls?: boolean | undefined;
}

/** The provider `features` to merge for `options`. */
export function senderConstrainedFeatures(options: SenderConstrainedOptions): Record<string, unknown> {
  return {
    // oidc-provider enables DPoP by default; say so explicitly when asked for.
    ...(options.dpop === true ? { dPoP: { enabled: true } } : {}),
    ...(options.mtls === true ? {
      mTLS: {
        enabled: true,
        certificateBoundAccessTokens: true,
        getCertificate: (ctx: { get(name: string): string }) => {
          const forwarded = ctx.get(CLIENT_CERTIFICATE_HEADER);
          return forwarded === '' ? undefined : decodeURIComponent(forwarded);
        },
      },
    } : {}),
  };
}

/** Client metadata to add to every registered client for `options`. */
export function senderConstrainedClientMetadata(options: SenderConstrainedOptions): Record<string, unknown> {
  return options.mtls === true ? { tls_client_certificate_bound_access_tokens: true } : {};
}

/** The extra token request headers: the DPoP proof for the token endpoint, the client certificate. */
export function senderConstrainedRequestHeaders(request: { dpopProof?: string | undefined; clientCertificate?: string | undefined }): Record<string, string> {
  return {
    ...(request.dpopProof === undefined ? {} : { dpop: request.dpopProof }),
    ...(request.clientCertificate === undefined ? {} : { [CLIENT_CERTIFICATE_HEADER]: encodeURIComponent(request.clientCertificate) }),
  };
}

/** A client's DPoP key pair, its public JWK and RFC 7638 thumbprint (what `cnf.jkt` names). */
export interface DpopClientKey {
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
  readonly thumbprint: string;
  readonly alg: string;
}

export async function dpopClientKey(alg = 'ES256'): Promise<DpopClientKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  return { privateKey, jwk, thumbprint: await calculateJwkThumbprint(jwk), alg };
}

/** A DPoP proof (RFC 9449 §4.2) built with jose; `claims` override or (with undefined) drop members. */
export function dpopProof(
  key: DpopClientKey,
  htm: string,
  htu: string,
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT({ htm, htu, iat: Math.floor(Date.now() / 1000), jti: randomUUID(), ...claims })
    .setProtectedHeader({ alg: key.alg, typ: 'dpop+jwt', jwk: key.jwk, ...header })
    .sign(key.privateKey);
}
