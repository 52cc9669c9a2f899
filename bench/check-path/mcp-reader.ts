/**
 * Micro-benchmark of the per-tool-scopes body reader (src/core/mcp-message.ts)
 * against JSON.parse of the same body (UTF-8 decode, parse, pick method and
 * params.name), for a tools/call of 1 KiB and of 64 KiB. One process, tight
 * loops, interleaved rounds; prints the median time per body.
 *
 *   npx node bench/check-path/mcp-reader.ts [--rounds 7]
 */
import { parseArgs } from 'node:util';
import { readMcpMessage } from '../../src/core/mcp-message.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '7' } } });
const rounds = Number(values.rounds);

/** A tools/call of exactly `size` bytes: arguments of strings, numbers and nesting, padded with a note. */
function toolCall(size: number): Buffer {
  const items: unknown[] = [];
  const body = (note: string): string => JSON.stringify({
    jsonrpc: '2.0', id: 42, method: 'tools/call', params: { name: 'create_alert', arguments: { region: 'eu-west', items, note }, _meta: { progressToken: 'p-1' } },
  });
  const item = (id: number): unknown => ({ id, text: 'Heavy rain expected, elevation 1200 m', level: 3.5, tags: ['rain', 'wind'], active: true });
  while (body('').length + 120 < size) items.push(item(items.length));
  return Buffer.from(body('x'.repeat(size - body('').length)));
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });
function withJSONParse(bytes: Uint8Array): unknown {
  const message = JSON.parse(UTF8.decode(bytes)) as { method?: unknown; params?: { name?: unknown } };
  return [message.method, message.params?.name];
}

const readers = { 'readMcpMessage (scanner)': (bytes: Uint8Array): unknown => readMcpMessage(bytes), 'JSON.parse': withJSONParse } as const;
/** Microseconds per body, over enough iterations for about 4 MB of input, after a warm-up. */
function measure(read: (bytes: Uint8Array) => unknown, body: Buffer): number {
  const iterations = Math.max(200, Math.floor(4_000_000 / body.length));
  for (let index = 0; index < iterations / 4; index += 1) read(body);
  const started = process.hrtime.bigint();
  for (let index = 0; index < iterations; index += 1) read(body);
  return Number(process.hrtime.bigint() - started) / 1000 / iterations;
}

const median = (numbers: number[]): number => [...numbers].sort((a, b) => a - b)[Math.floor(numbers.length / 2)] ?? 0;

for (const size of [1024, 65_536]) {
  const body = toolCall(size);
  const results = new Map<string, number[]>();
  for (let round = 0; round < rounds; round += 1) {
    for (const [name, read] of Object.entries(readers)) results.set(name, [...(results.get(name) ?? []), measure(read, body)]);
  }
  for (const [name, times] of results) {
    process.stdout.write(`${String(body.length).padStart(6)} B  ${name.padEnd(26)} ${median(times).toFixed(2).padStart(8)} µs per body\n`);
  }
}
