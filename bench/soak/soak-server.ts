/**
 * audience-guard as the soak runs it: the real CLI (`bin/audience-guard.js
 * serve`) as a child process of this Node binary, on loopback ports chosen
 * here (at `--log-level warn` the `listening` line is not printed), its stdout
 * and stderr drained line by line into the log monitor and the leak scanner,
 * its resident memory read from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LeakScanner } from './soak-leaks.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

export type ServerEntryMode = 'auto' | 'bin' | 'src';

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * The script to run. `bin/audience-guard.js` runs `dist/` when it exists and
 * the TypeScript sources otherwise; `auto` takes the bin unless `dist/` is
 * older than `src/` (a stale build would soak old code), in which case it runs
 * what the bin runs without `dist/`: `src/cli/main.ts`.
 */
export function serverEntry(mode: ServerEntryMode): { script: string; note: string } {
  const bin = join(REPO, 'bin/audience-guard.js');
  const sources = join(REPO, 'src/cli/main.ts');
  const compiled = join(REPO, 'dist/cli/main.js');
  if (mode === 'src') return { script: sources, note: 'src/cli/main.ts (--server src)' };
  if (mode === 'bin' || !existsSync(compiled)) return { script: bin, note: `bin/audience-guard.js (runs ${existsSync(compiled) ? 'dist/' : 'the TypeScript sources'})` };
  const stale = newestMtime(join(REPO, 'src')) > statSync(compiled).mtimeMs;
  return stale
    ? { script: sources, note: 'src/cli/main.ts: dist/ is older than src/, so bin/audience-guard.js would run a stale build (npm run build, or --server bin to soak it anyway)' }
    : { script: bin, note: 'bin/audience-guard.js (runs dist/, which is newer than src/)' };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => { resolve(port); });
    });
  });
}

/** What the server printed, by event and level; no line is kept whole (it could hold a leaked token). */
export class LogMonitor {
  readonly events = new Map<string, number>();
  readonly levels = new Map<string, number>();
  /** error and fatal lines other than the expected `policy_rejected`: event and msg only. */
  readonly unexpected: string[] = [];
  unexpectedCount = 0;
  notJSON = 0;
  stderrLines = 0;
  readonly stderrSample: string[] = [];
  readonly #scanner: LeakScanner;
  readonly #waiters: { event: string; count: number; resolve: () => void }[] = [];

  constructor(scanner: LeakScanner) {
    this.#scanner = scanner;
  }

  count(event: string): number {
    return this.events.get(event) ?? 0;
  }

  /** Resolves once `event` has been seen more than `after` times, or after `timeoutMs` (false). */
  waitFor(event: string, after: number, timeoutMs: number): Promise<boolean> {
    if (this.count(event) > after) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = { event, count: after, resolve: () => { clearTimeout(timer); resolve(true); } };
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        resolve(false);
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  stdout(line: string): void {
    if (line === '') return;
    const leaksBefore = this.#scanner.leaks;
    this.#scanner.scan(line);
    let record: { level?: unknown; event?: unknown; msg?: unknown };
    try {
      record = JSON.parse(line) as typeof record;
    } catch {
      this.notJSON += 1;
      return;
    }
    const level = String(record.level);
    const event = typeof record.event === 'string' ? record.event : '(none)';
    this.levels.set(level, (this.levels.get(level) ?? 0) + 1);
    this.events.set(event, (this.events.get(event) ?? 0) + 1);
    if ((level === 'error' || level === 'fatal' || level === '50' || level === '60') && event !== 'policy_rejected') {
      this.unexpectedCount += 1;
      if (this.unexpected.length < 20 && this.#scanner.leaks === leaksBefore) this.unexpected.push(`${level} ${event}: ${String(record.msg).slice(0, 200)}`);
    }
    for (const waiter of [...this.#waiters]) {
      if (waiter.event === event && this.count(event) > waiter.count) {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  }

  stderr(line: string): void {
    if (line === '') return;
    const leaksBefore = this.#scanner.leaks;
    this.#scanner.scan(line);
    this.stderrLines += 1;
    if (this.stderrSample.length < 10 && this.#scanner.leaks === leaksBefore) this.stderrSample.push(line.slice(0, 300));
  }
}

function lines(stream: NodeJS.ReadableStream, each: (line: string) => void): void {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop() ?? '';
    for (const part of parts) each(part);
  });
  stream.on('end', () => { if (rest !== '') each(rest); });
}

export interface SoakServerOptions {
  readonly script: string;
  readonly policyDir: string;
  readonly monitor: LogMonitor;
}

export class SoakServer {
  readonly grpcPort: number;
  readonly adminPort: number;
  readonly #child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(child: ChildProcess, grpcPort: number, adminPort: number) {
    this.#child = child;
    this.grpcPort = grpcPort;
    this.adminPort = adminPort;
    this.exited = new Promise((resolve) => { child.once('exit', (code, signal) => { resolve({ code, signal }); }); });
  }

  get pid(): number {
    return this.#child.pid ?? 0;
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  static async start(options: SoakServerOptions): Promise<SoakServer> {
    const grpcPort = await freePort();
    const adminPort = await freePort();
    const child = spawn(process.execPath, [
      options.script, 'serve',
      '--policy-file', options.policyDir,
      '--grpc-address', `127.0.0.1:${String(grpcPort)}`,
      '--admin-address', `127.0.0.1:${String(adminPort)}`,
      '--log-level', 'warn',
    ], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    lines(child.stdout, (line) => { options.monitor.stdout(line); });
    lines(child.stderr, (line) => { options.monitor.stderr(line); });
    const server = new SoakServer(child, grpcPort, adminPort);
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (!server.running) throw new Error(`audience-guard exited with code ${String(child.exitCode)} before it was ready`);
      try {
        const response = await fetch(`http://127.0.0.1:${String(adminPort)}/readyz`);
        await response.text();
        if (response.status === 200) return server;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error('audience-guard was not ready within 60 s');
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /**
   * Stops reading the server's stdout, as a stalled log pipeline does: this
   * side's buffer and the pipe fill, and the server's writes then wait.
   */
  stallLogs(): void {
    this.#child.stdout?.pause();
  }

  /** Reads the server's stdout again (what it kept for stdout arrives now). */
  resumeLogs(): void {
    this.#child.stdout?.resume();
  }

  /** VmRSS of the server process, MiB (NaN once it has exited). */
  rssMiB(): number {
    return this.#status('VmRSS');
  }

  /** VmHWM: the peak resident memory so far, MiB. */
  peakRssMiB(): number {
    return this.#status('VmHWM');
  }

  #status(field: string): number {
    try {
      const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${String(this.pid)}/status`, 'utf8'));
      return Number(match?.[1] ?? Number.NaN) / 1024;
    } catch {
      return Number.NaN;
    }
  }

  /** The admin server's Prometheus text; empty when it cannot be had. */
  async metrics(): Promise<string> {
    try {
      return await (await fetch(`http://127.0.0.1:${String(this.adminPort)}/metrics`)).text();
    } catch {
      return '';
    }
  }

  /** SIGKILL now, without waiting (for an exit path that cannot wait). */
  kill(): void {
    if (this.running) this.#child.kill('SIGKILL');
  }

  /** SIGTERM and wait (SIGKILL after 30 s); resolves with the exit code. */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.running) {
      this.#child.kill('SIGTERM');
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), 30_000);
      const result = await this.exited;
      clearTimeout(timer);
      return result;
    }
    return this.exited;
  }
}
