/**
 * The load generator for fixed request bodies: h2load (Debian `nghttp2-client`)
 * over cleartext HTTP/2, one pre-encoded gRPC frame as the body of every
 * request. Throughput comes from h2load's summary, p50/p99 from its
 * per-request log (`--log-file`), so the percentiles are exact, not estimated.
 */
import { spawnSync } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { percentile, type LoadResult } from './stats.ts';
import { CHECK_PATH } from './grpc-frames.ts';

export const H2LOAD_INSTALL = 'apt-get update && apt-get install -y nghttp2-client';

function hasH2load(): boolean {
  return spawnSync('h2load', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Makes sure h2load is on PATH. As root with apt-get available it installs
 * `nghttp2-client` itself; otherwise it throws with the exact command to run.
 */
export function ensureH2load(log: (line: string) => void): void {
  if (hasH2load()) return;
  const root = process.getuid?.() === 0;
  const apt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  if (root && apt) {
    log(`h2load not found; installing it: ${H2LOAD_INSTALL}`);
    const install = spawnSync('sh', ['-c', `${H2LOAD_INSTALL} >/dev/null`], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (install.status === 0 && hasH2load()) return;
  }
  throw new Error(`h2load (Debian package nghttp2-client) is required. Install it with:\n  ${root ? '' : 'sudo '}${H2LOAD_INSTALL}`);
}

export interface H2loadRun {
  readonly port: number;
  /** File holding one complete gRPC frame (flag byte, length, CheckRequest). */
  readonly bodyFile: string;
  readonly clients: number;
  readonly streams: number;
  readonly durationSeconds: number;
  readonly warmUpSeconds: number;
  /** Requests per second per client; unset = as fast as the server answers. */
  readonly rpsPerClient?: number;
  /** Where h2load writes its per-request log (deleted after reading). */
  readonly logFile: string;
}

export async function runH2load(run: H2loadRun): Promise<LoadResult> {
  const args = [
    '-c', String(run.clients), '-m', String(run.streams), '-t', '1',
    '-D', String(run.durationSeconds), `--warm-up-time=${String(run.warmUpSeconds)}`,
    '-d', run.bodyFile, '-H', 'content-type: application/grpc', '-H', 'te: trailers',
    `--log-file=${run.logFile}`,
    ...(run.rpsPerClient === undefined ? [] : [`--rps=${String(run.rpsPerClient)}`]),
    `http://127.0.0.1:${String(run.port)}${CHECK_PATH}`,
  ];
  const result = spawnSync('h2load', args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`h2load failed (${String(result.status)}): ${result.stderr || result.stdout}`);
  const out = result.stdout;
  const finished = /finished in ([\d.]+)(m?s), ([\d.]+) req\/s/.exec(out);
  const requests = /requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(out);
  if (finished === null || requests === null) throw new Error(`cannot read h2load output:\n${out}`);
  const latencies = await readLatencies(run.logFile);
  const done = Number(requests[2]);
  return {
    rps: Number(finished[3]),
    p50Ms: percentile(latencies, 50) / 1000,
    p99Ms: percentile(latencies, 99) / 1000,
    requests: done,
    failed: Number(requests[4]) + Number(requests[5]),
  };
}

/** Microseconds until end of response (third column), ascending. */
async function readLatencies(file: string): Promise<Float64Array> {
  const text = await readFile(file, 'utf8');
  await rm(file, { force: true });
  const values: number[] = [];
  for (const line of text.split('\n')) {
    const column = line.split('\t')[2];
    if (column !== undefined) values.push(Number(column));
  }
  return Float64Array.from(values).sort();
}
