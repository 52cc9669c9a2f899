/**
 * The RFC 8705 §3.1 `x5t#S256` of a client certificate: base64url of the
 * SHA-256 of its DER encoding, from the PEM the proxy forwarded.
 */
import { hash, X509Certificate } from 'node:crypto';

/** Undefined when `pem` is not exactly one readable certificate. */
export function certificateThumbprint(pem: string): string | undefined {
  try {
    const certificate = new X509Certificate(pem);
    return hash('sha256', certificate.raw, 'base64url');
  } catch {
    return undefined;
  }
}
