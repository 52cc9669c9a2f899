/**
 * Server processes under test, each started the same way: a child process of
 * this Node binary, listening on 127.0.0.1 port 0, stdout (the JSON log)
 * going to a file, ready once it logs `event: "listening"`. Peak RSS and CPU
 * time are read from /proc, so they cover the server process only. A server
 * runs from this checkout, or from another one (`root`: the A/B mode's
 * worktree of another commit).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CLOCK_TICKS_PER_SECOND = 100; // Linux USER_HZ

export interface ServerOptions {
  /** Where the server's stdout goes. */
  readonly logFile: string;
  /** Write a V8 CPU profile into this folder when the server exits (`node --cpu-prof`). */
  readonly cpuProfileDir?: string;
  /** Extra Node/V8 flags for the server process (e.g. `--max-semi-space-size=8`). */
  readonly nodeArgs?: readonly string[];
  /** The checkout the server runs from (its working directory); this repository by default. */
  readonly root?: string;
}

export class ServerProcess {
  readonly name: string;
  readonly grpcPort: number;
  readonly adminPort: number | undefined;
  readonly #child: ChildProcess;

  private constructor(name: string, child: ChildProcess, grpcPort: number, adminPort: number | undefined) {
    this.name = name;
    this.#child = child;
    this.grpcPort = grpcPort;
    this.adminPort = adminPort;
  }

  /** Starts `node <script> ...args` from the checkout's root and waits for its `listening` log line. */
  static async start(name: string, script: string, args: readonly string[], options: ServerOptions): Promise<ServerProcess> {
    const out = openSync(options.logFile, 'w');
    const profile = options.cpuProfileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`, `--cpu-prof-name=${name}.cpuprofile`];
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...profile, script, ...args], { cwd: options.root ?? REPO, stdio: ['ignore', out, 'inherit'] });
    closeSync(out);
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${name} exited with code ${String(child.exitCode)} before listening`);
      const line = readFileSync(options.logFile, 'utf8').split('\n').find((entry) => entry.includes('"event":"listening"'));
      if (line !== undefined) {
        const { grpc, admin } = JSON.parse(line) as { grpc: string; admin?: string };
        const port = (address: string): number => Number(address.slice(address.lastIndexOf(':') + 1));
        return new ServerProcess(name, child, port(grpc), admin === undefined ? undefined : port(admin));
      }
      if (Date.now() > deadline) throw new Error(`${name} did not start listening in time`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  #status(field: string): number {
    const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${String(this.#child.pid)}/status`, 'utf8'));
    return Number(match?.[1] ?? Number.NaN) / 1024;
  }

  /** Resident memory now, MiB. */
  rssMiB(): number {
    return this.#status('VmRSS');
  }

  /** Peak resident memory since the process started (VmHWM), MiB. */
  peakRssMiB(): number {
    return this.#status('VmHWM');
  }

  /** User + system CPU time the process has used, seconds. */
  cpuSeconds(): number {
    const stat = readFileSync(`/proc/${String(this.#child.pid)}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  }

  /** The admin server's Prometheus text (audience-guard only). */
  async metrics(): Promise<string> {
    if (this.adminPort === undefined) return '';
    return (await fetch(`http://127.0.0.1:${String(this.adminPort)}/metrics`)).text();
  }

  /** SIGTERM, then wait for a clean exit (the CPU profile is written on exit). */
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * audience-guard itself: from the TypeScript sources (what `npm start` runs),
 * or with `built` from `dist/` (what the container image runs; `npm run build`
 * first), which spares the memory of Node's TypeScript stripping.
 */
export function startAudienceGuard(name: string, policyFile: string, extraArgs: readonly string[], options: ServerOptions, built = false): Promise<ServerProcess> {
  return ServerProcess.start(name, built ? 'dist/cli/main.js' : 'src/cli/main.ts', [
    'serve', '--policy-file', policyFile, '--grpc-address', '127.0.0.1:0', '--admin-address', '127.0.0.1:0', ...extraArgs,
  ], options);
}
