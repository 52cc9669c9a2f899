/**
 * What every scenario of the check-path benchmark shares: the settings, the
 * work folder, the log, the local issuer, the server processes (all stopped
 * at the end), the pre-generated token pool and the load helpers.
 */
import { join } from 'node:path';
import type { LocalAuthorizationServer } from '../../test/support/authorization-server.ts';
import { runJSONChild } from './child.ts';
import { MCP_RESOURCE } from './fixtures.ts';
import { startAudienceGuard, startNoopServer, type ServerOptions, type ServerProcess } from './servers.ts';
import { median, medianOf, type LoadResult } from './stats.ts';
import type { Row } from './report.ts';

export interface BenchConfig {
  readonly runs: number;
  readonly durationSeconds: number;
  readonly warmUpSeconds: number;
  /** Fresh tokens per (b) run; each is sent once. */
  readonly freshPerRun: number;
  readonly warmUpTokens: number;
  readonly rssTokens: number;
  readonly rssPolicies: number;
  readonly clients: number;
  readonly streams: number;
  /** Streams per connection when the rate is held: h2load's --rps sends a tick's requests at once, up to this many. */
  readonly pacedStreams: number;
  readonly nodeArgs: readonly string[];
  readonly memoryNodeArgs: readonly string[];
}

/** One measurement: client-side result and server CPU per call (µs), when the server is ours to read. */
export interface Run {
  readonly result: LoadResult;
  readonly cpuMicros?: number;
}

export interface PoolFiles {
  readonly tokens: string;
  readonly frames: string;
  readonly jwk: string;
}

export class BenchContext {
  readonly config: BenchConfig;
  readonly work: string;
  readonly auth: LocalAuthorizationServer;
  readonly pool: PoolFiles;
  readonly log: (line: string) => void;
  readonly #servers: ServerProcess[] = [];
  readonly #profileDir: string | undefined;

  constructor(config: BenchConfig, work: string, auth: LocalAuthorizationServer, log: (line: string) => void, profileDir: string | undefined) {
    this.config = config;
    this.work = work;
    this.auth = auth;
    this.log = log;
    this.#profileDir = profileDir;
    this.pool = { tokens: join(work, 'tokens.txt'), frames: join(work, 'frames.bin'), jwk: join(work, 'jwk.json') };
  }

  #options(name: string, nodeArgs: readonly string[]): ServerOptions {
    return { logFile: join(this.work, `${name}.log`), nodeArgs: [...this.config.nodeArgs, ...nodeArgs], ...(this.#profileDir === undefined ? {} : { cpuProfileDir: this.#profileDir }) };
  }

  /** audience-guard from src/ (`built`: from dist/, see startAudienceGuard). */
  async guard(name: string, policyFile: string, extraArgs: readonly string[] = [], nodeArgs: readonly string[] = [], built = false): Promise<ServerProcess> {
    const server = await startAudienceGuard(name, policyFile, extraArgs, this.#options(name, nodeArgs), built);
    this.#servers.push(server);
    return server;
  }

  async noop(name: string, ownCodecs = false): Promise<ServerProcess> {
    const server = await startNoopServer(name, this.#options(name, []), ownCodecs);
    this.#servers.push(server);
    return server;
  }

  /** Sends frames [start, start + count) of the pool once each (bench/fresh-token-load.ts). */
  generator(server: ServerProcess, start: number, count: number): Promise<LoadResult & { wrong: number; sampled: number }> {
    return runJSONChild('bench/fresh-token-load.ts', [
      '--port', String(server.grpcPort), '--frames', this.pool.frames, '--start', String(start), '--count', String(count),
      '--connections', String(this.config.clients), '--streams', String(this.config.streams), '--expect', 'allow',
    ]);
  }

  /** A tight verification loop over the same pool slice (bench/verify-loop.ts). */
  verifyLoop(mode: 'jose' | 'node', start: number, count: number): Promise<{ rps: number }> {
    return runJSONChild('bench/verify-loop.ts', ['--tokens', this.pool.tokens, '--jwk', this.pool.jwk, '--start', String(start), '--count', String(count), '--mode', mode, '--issuer', this.auth.issuer, '--audience', MCP_RESOURCE]);
  }

  async stopAll(): Promise<void> {
    for (const server of this.#servers) await server.stop();
  }
}

/** Medians of several runs of one scenario as a table row. */
export function rowOf(label: string, runs: readonly Run[], server: ServerProcess | undefined): Row {
  return {
    label,
    result: medianOf(runs.map((run) => run.result)),
    runs: runs.map((run) => run.result.rps),
    cpuMicros: runs[0]?.cpuMicros === undefined ? undefined : median(runs.map((run) => run.cpuMicros ?? Number.NaN)),
    peakRssMiB: server?.peakRssMiB(),
  };
}
