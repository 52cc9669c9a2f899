/**
 * Heap bytes per verified-token cache entry: 100,000 entries of tokens shaped
 * like the benchmark's (oidc-provider claims, a fresh `jti` each), remembered
 * through the cache's own `lookup().remember()`, heap measured after full GCs.
 *
 *   npx node --expose-gc bench/check-path/cache-entry-heap.ts
 */
import { randomBytes } from 'node:crypto';
import { LRUVerifiedTokenCache } from '../../src/cache/verified-token-cache.ts';
import { tokenDigest } from '../../src/core/token-hash.ts';

const count = 100_000;
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');
const cache = new LRUVerifiedTokenCache({ maxEntries: count, maxBytes: count * 2048, now: () => 1 });
const claims = { sub: 'mcp-client', iat: 1764820000, exp: 1764823600, scope: 'mcp:tools', client_id: 'mcp-client', iss: 'http://127.0.0.1:40369', aud: 'https://mcp.example.com/mcp' };
gc();
gc();
const before = process.memoryUsage().heapUsed;
for (let index = 0; index < count; index++) {
  const jti = randomBytes(32).toString('base64url');
  // Parsed from JSON, as the verifier decodes them: every string its own copy.
  const header = JSON.parse('{"alg":"RS256","typ":"at+jwt","kid":"bench-key-1"}') as Record<string, unknown>;
  const payload = JSON.parse(JSON.stringify({ jti, ...claims })) as Record<string, unknown>;
  cache.lookup(tokenDigest(jti), 1).remember({ header, payload, keySetId: claims.iss }, 100);
}
gc();
gc();
const perEntry = (process.memoryUsage().heapUsed - before) / count;
process.stdout.write(`${String(cache.size)} entries: ${perEntry.toFixed(0)} bytes of heap each (the cache's own estimate: ${(cache.estimatedBytes / count).toFixed(0)})\n`);
