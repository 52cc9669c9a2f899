/**
 * What every scenario of the check-path benchmark shares: the settings, the
 * work folder, the log, the local issuer, the server processes (all stopped
 * at the end), the pre-generated token pool and the load helpers.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LocalAuthorizationServer } from '../../test/support/authorization-server.ts';
import { runJSONChild } from '../common/child.ts';
import { MCP_RESOURCE } from '../common/fixtures.ts';
import { runH2load } from '../common/h2load.ts';
import { ServerProcess, startAudienceGuard, type ServerOptions } from '../common/servers.ts';
import { median, medianOf, type LoadResult } from '../common/stats.ts';
import type { Row } from './report.ts';

const script = (name: string): string => fileURLToPath(new URL(name, import.meta.url));
const NOOP_SERVER = script('./noop-server.ts');
const FRESH_TOKEN_LOAD = script('./fresh-token-load.ts');
const VERIFY_LOOP = script('./verify-loop.ts');

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

  #options(name: string, nodeArgs: readonly string[], root?: string): ServerOptions {
    return {
      logFile: join(this.work, `${name}.log`), nodeArgs: [...this.config.nodeArgs, ...nodeArgs],
      ...(this.#profileDir === undefined ? {} : { cpuProfileDir: this.#profileDir }), ...(root === undefined ? {} : { root }),
    };
  }

  async #track(server: Promise<ServerProcess>): Promise<ServerProcess> {
    const started = await server;
    this.#servers.push(started);
    return started;
  }

  /** audience-guard from src/ (`built`: from dist/, see startAudienceGuard). */
  guard(name: string, policyFile: string, extraArgs: readonly string[] = [], nodeArgs: readonly string[] = [], built = false): Promise<ServerProcess> {
    return this.#track(startAudienceGuard(name, policyFile, extraArgs, this.#options(name, nodeArgs), built));
  }

  /** audience-guard from src/ of another checkout (the A/B mode's worktree of another commit). */
  guardAt(root: string, name: string, policyFile: string): Promise<ServerProcess> {
    return this.#track(startAudienceGuard(name, policyFile, [], this.#options(name, [], root)));
  }

  /** The no-op grpc-js baseline (noop-server.ts); `ownCodecs` gives it audience-guard's Check codecs. */
  noop(name: string, ownCodecs = false): Promise<ServerProcess> {
    return this.#track(ServerProcess.start(name, NOOP_SERVER, ownCodecs ? ['--codecs', 'audience-guard'] : [], this.#options(name, [])));
  }

  /** One h2load run with a fixed body at full rate (or `rpsPerClient` per connection), and the server's CPU per call. */
  async h2load(server: ServerProcess, bodyFile: string, rpsPerClient?: number): Promise<Run> {
    const { config } = this;
    const cpuBefore = server.cpuSeconds();
    const result = await runH2load({
      port: server.grpcPort, bodyFile, clients: config.clients, streams: rpsPerClient === undefined ? config.streams : config.pacedStreams,
      durationSeconds: config.durationSeconds, warmUpSeconds: config.warmUpSeconds,
      logFile: join(this.work, 'h2load.log'), ...(rpsPerClient === undefined ? {} : { rpsPerClient }),
    });
    const calls = result.rps * (config.durationSeconds + config.warmUpSeconds);
    return { result, cpuMicros: ((server.cpuSeconds() - cpuBefore) / calls) * 1e6 };
  }

  /** Sends frames [start, start + count) of the pool once each (fresh-token-load.ts). */
  generator(server: ServerProcess, start: number, count: number): Promise<LoadResult & { wrong: number; sampled: number }> {
    return runJSONChild(FRESH_TOKEN_LOAD, [
      '--port', String(server.grpcPort), '--frames', this.pool.frames, '--start', String(start), '--count', String(count),
      '--connections', String(this.config.clients), '--streams', String(this.config.streams), '--expect', 'allow',
    ]);
  }

  /** A tight verification loop over the same pool slice (verify-loop.ts). */
  verifyLoop(mode: 'jose' | 'node', start: number, count: number): Promise<{ rps: number; cpuMicros: number }> {
    return runJSONChild(VERIFY_LOOP, ['--tokens', this.pool.tokens, '--jwk', this.pool.jwk, '--start', String(start), '--count', String(count), '--mode', mode, '--issuer', this.auth.issuer, '--audience', MCP_RESOURCE]);
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
