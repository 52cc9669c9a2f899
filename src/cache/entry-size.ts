/**
 * The estimated heap size of a verified-token cache entry: what the cache's
 * `maxBytes` bound counts (src/cache/verified-token-cache.ts).
 */
import type { RememberedToken } from '../core/verified-token-cache.ts';

/**
 * Fixed cost of one entry (key string, entry objects, lru-cache's slots),
 * measured with 100,000 oidc-provider tokens on Node 24 (bench/README.md).
 */
const ENTRY_OVERHEAD_BYTES = 400;

/**
 * Rough size of a nested claim, walked with an explicit stack: a claim may be
 * nested thousands deep (within the token size cap), which would overflow the
 * call stack of a recursive walk or of JSON.stringify.
 */
function nestedBytes(root: object): number {
  let bytes = 0;
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value === 'string') bytes += 16 + value.length;
    else if (Array.isArray(value)) {
      bytes += 16;
      for (const item of value as unknown[]) pending.push(item);
    } else if (typeof value === 'object' && value !== null) {
      bytes += 16;
      for (const [name, child] of Object.entries(value)) {
        bytes += 16 + name.length;
        pending.push(child);
      }
    } else bytes += 16;
  }
  return bytes;
}

/** Rough heap size of a remembered token: fixed overhead plus the characters of its claim and header values. */
export function estimatedEntryBytes(token: RememberedToken): number {
  let bytes = ENTRY_OVERHEAD_BYTES;
  for (const part of [token.header, token.payload]) {
    for (const [name, value] of Object.entries(part)) {
      bytes += 16 + name.length;
      if (typeof value === 'string') bytes += value.length;
      else if (Array.isArray(value)) for (const item of value as unknown[]) bytes += 16 + (typeof item === 'string' ? item.length : 16);
      else if (typeof value === 'object' && value !== null) bytes += 64 + nestedBytes(value);
    }
  }
  return bytes;
}
