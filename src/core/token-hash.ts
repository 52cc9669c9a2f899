/**
 * The only forms in which a token may leave the core: its SHA-256. The first 16
 * hex digits are the log field `token_sha256` (docs/contract.md §3.3), enough
 * to correlate log lines, far too little to replay or reconstruct anything; the
 * whole digest keys the verified-token cache and, for token exchange, the
 * upstream token cache (src/upstream/upstream-cache-key.ts): never the token
 * itself.
 */
import { hash } from 'node:crypto';

/** SHA-256 of the token's UTF-8 bytes (for token68, its ASCII bytes); one-shot, no Hash object per call. */
export function tokenDigest(token: string): Buffer {
  return hash('sha256', token, 'buffer');
}

/** `token_sha256`: the first 16 hex digits of a token digest. */
export function digestLogId(digest: Buffer): string {
  return digest.toString('hex', 0, 8);
}

export function tokenSHA256(token: string): string {
  return digestLogId(tokenDigest(token));
}
