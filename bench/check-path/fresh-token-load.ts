/**
 * Load generator for scenario (b), a fresh token on every request: h2load
 * sends one fixed body, so this Node client writes a different pre-encoded
 * gRPC frame (a CheckRequest with its own token) on each request, over a
 * minimal HTTP/2 connection (bench/common/raw-h2.ts; Node's http2 client was the
 * bottleneck).
 * It keeps `--connections` × `--streams` calls in flight, sends each frame of
 * its slice exactly once, and prints one JSON line: throughput, p50/p99, and
 * how many calls failed or (in a decoded sample) got the wrong decision.
 *
 *   node bench/check-path/fresh-token-load.ts --port P --frames FILE --start 0 --count 20000 --expect allow
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { CHECK_PATH, decodeCheckResponse } from '../common/grpc-frames.ts';
import { grpcRequestHeaderBlock, RawHttp2Connection } from '../common/raw-h2.ts';
import { percentile } from '../common/stats.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string' }, frames: { type: 'string' }, start: { type: 'string', default: '0' }, count: { type: 'string' },
    connections: { type: 'string', default: '4' }, streams: { type: 'string', default: '32' },
    expect: { type: 'string', default: 'allow' }, 'sample-every': { type: 'string', default: '50' },
  },
});
const port = Number(values.port);
const all = readFileSync(values.frames ?? '');
const offsets: number[] = [];
for (let offset = 0; offset < all.length; offset += 5 + all.readUInt32BE(offset + 1)) offsets.push(offset);
const start = Number(values.start);
const count = Math.min(Number(values.count ?? offsets.length - start), offsets.length - start);
const frames = Array.from({ length: count }, (_, index) => {
  const offset = offsets[start + index]!;
  return all.subarray(offset, offset + 5 + all.readUInt32BE(offset + 1));
});
const sampleEvery = Number(values['sample-every']);
const headerBlock = grpcRequestHeaderBlock(`127.0.0.1:${String(port)}`, CHECK_PATH);

const latencies = new Float64Array(count);
let next = 0;
let done = 0;
let failed = 0;
let sampled = 0;
let wrong = 0;

function isExpected(message: Buffer): boolean {
  const response = decodeCheckResponse(message);
  const allowed = (response.status?.code ?? 0) === 0;
  return values.expect === 'allow' ? allowed && response.ok_response !== undefined : !allowed && response.denied_response !== undefined;
}

const connections: RawHttp2Connection[] = [];
const finished = new Promise<void>((resolve, reject) => {
  function issue(connection: RawHttp2Connection): void {
    if (next >= count) return;
    const index = next++;
    const began = performance.now();
    connection.call(frames[index]!, ({ message }) => {
      latencies[index] = performance.now() - began;
      done += 1;
      if (message === undefined) failed += 1;
      else if (index % sampleEvery === 0) {
        sampled += 1;
        if (!isExpected(message)) wrong += 1;
      }
      if (done === count) resolve();
      else issue(connection);
    });
  }
  for (let c = 0; c < Number(values.connections); c++) {
    const connection = new RawHttp2Connection(port, headerBlock, reject);
    connections.push(connection);
    for (let s = 0; s < Number(values.streams); s++) issue(connection);
  }
});

const began = performance.now();
await finished;
const seconds = (performance.now() - began) / 1000;
for (const connection of connections) connection.close();
latencies.sort();
const cpu = process.cpuUsage();
process.stdout.write(`${JSON.stringify({ generatorCpuMicrosPerCall: (cpu.user + cpu.system) / count, rps: count / seconds, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), requests: count, failed, sampled, wrong })}\n`);
