/**
 * The only form in which a token may leave the core: the first 16 hex digits of
 * its SHA-256 (SPEC.md 3, `token_sha256`), enough to correlate log lines, far
 * too little to replay or reconstruct anything.
 */
import { createHash } from 'node:crypto';

export function tokenSHA256(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 16);
}
