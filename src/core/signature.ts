/**
 * Signature verification (SPEC.md 2.1 step 6) with `jose`, restricted to the
 * issuer's algorithm allow-list. jose also refuses unknown `crit` headers and a
 * key whose type does not fit the algorithm (RFC 8725 §3.1: one key, one
 * algorithm family).
 */
import { compactVerify } from 'jose';
import type { KeyObject } from 'node:crypto';

export async function signatureVerifies(
  token: string,
  key: KeyObject | Uint8Array,
  algorithms: readonly string[],
): Promise<boolean> {
  try {
    await compactVerify(token, key, { algorithms: [...algorithms] });
    return true;
  } catch {
    return false;
  }
}
