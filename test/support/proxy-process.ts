/**
 * Runs a real reverse proxy binary (nginx, Caddy) as the test's own
 * unprivileged foreground process: found on PATH (or /usr/sbin, where Debian
 * puts nginx), started with a configuration in a temporary folder, ready once
 * its loopback port accepts connections, stopped by its own pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { connect } from 'node:net';
import { delimiter, join } from 'node:path';

/** The binary's path, or undefined when it is not installed. */
export function findBinary(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const dir of dirs.filter((entry) => entry !== '')) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The banner a test prints before skipping because a proxy binary is missing. */
export function missingBinaryBanner(name: string, packageName: string): string {
  const line = '!'.repeat(78);
  return `${line}\n!! SKIPPED: ${name} is not installed, so the end-to-end tests through the real ${name} do not run.\n` +
    `!! Install it with: apt-get install -y ${packageName}   (.ci/run does this when it runs as root)\n${line}`;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => { resolve(false); });
  });
}

export interface ProxyProcess {
  /** Everything the process printed (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

export async function startProxyProcess(binary: string, args: readonly string[], port: number, env: NodeJS.ProcessEnv = process.env, timeoutMs = 10_000): Promise<ProxyProcess> {
  const child: ChildProcess = spawn(binary, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let printed = '';
  const state = { exited: false };
  child.stdout?.on('data', (chunk: Buffer) => { printed += chunk.toString('utf8'); });
  child.stderr?.on('data', (chunk: Buffer) => { printed += chunk.toString('utf8'); });
  const exit = new Promise<void>((resolve) => { child.once('exit', () => { state.exited = true; resolve(); }); });
  const stop = async (): Promise<void> => {
    if (!state.exited) child.kill('SIGTERM');
    await exit;
  };
  const deadline = Date.now() + timeoutMs;
  // Polls the port until the proxy listens (or exits, or the deadline passes).
  while (!(await accepts(port))) {
    if (state.exited || Date.now() > deadline) {
      await stop();
      throw new Error(`${binary} did not start listening on 127.0.0.1:${String(port)}:\n${printed}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return { output: () => printed, stop };
}
