/**
 * The client certificate a forward-auth proxy passes in the one header the
 * operator names (`--http-authz-client-cert-header`), which the shipped proxy
 * configurations always overwrite. Accepted spellings, one certificate only:
 *   - URL-encoded PEM: nginx `$ssl_client_escaped_cert`, Envoy's
 *     `%DOWNSTREAM_PEER_CERT%` and the `Cert=` of `x-forwarded-client-cert`;
 *   - base64 DER (optionally URL-encoded): Caddy's
 *     `{http.request.tls.client.certificate_der_base64}`, Traefik's
 *     `X-Forwarded-Tls-Client-Cert` (passTLSClientCert.pem).
 * Anything else, a chain of several, or a value that does not decode is no
 * certificate at all: a certificate-bound token is then refused.
 */
const PEM_CERTIFICATE = /^-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\r?\n?$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export function certificateFromHeader(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(value.replace(/^"|"$/g, '')).trim();
  } catch {
    return undefined;
  }
  if (decoded.startsWith('-----BEGIN')) return PEM_CERTIFICATE.test(`${decoded}\n`) ? `${decoded}\n` : undefined;
  if (!BASE64.test(decoded)) return undefined;
  const lines = decoded.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}
