/**
 * Memory per entry of the DPoP replay cache (src/dpop/replay-cache.ts): the
 * heap that N live entries — each a fresh 43-character digest key and its
 * expiry — add, after a full GC. Quoted in bench/README.md and behind the
 * README's figure for `--dpop-replay-cache-size`.
 *
 *   node --expose-gc bench/check-path/dpop-replay-memory.ts [--entries 200000]
 */
import { hash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { BoundedReplayCache } from '../../src/dpop/replay-cache.ts';

const { values } = parseArgs({ options: { entries: { type: 'string', default: '200000' } } });
const entries = Number(values.entries);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');
const cache = new BoundedReplayCache(entries, () => 1000);
gc();
const before = process.memoryUsage().heapUsed;
for (let index = 0; index < entries; index++) cache.remember(hash('sha256', `key.${String(index)}`, 'base64url'), 2000 + index);
gc();
const after = process.memoryUsage().heapUsed;
process.stdout.write(`${JSON.stringify({ entries: cache.size, bytesPerEntry: Math.round((after - before) / entries) })}\n`);
