/**
 * The real Caddy (Debian package) in front of an MCP server, configured from
 * deploy/caddy/Caddyfile with only the site address and the two upstream
 * addresses changed; `caddy run` in the foreground with HOME and the XDG
 * folders in a temporary folder (the shipped file turns the admin endpoint off).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary, startProxyProcess, type ProxyProcess } from './proxy-process.ts';

const SHIPPED = new URL('../../deploy/caddy/Caddyfile', import.meta.url);

export interface CaddyOptions {
  readonly port: number;
  /** host:port of audience-guard's HTTP forward-auth listener. */
  readonly authz: string;
  /** host:port of the MCP server. */
  readonly upstream: string;
}

export interface RunningCaddy extends ProxyProcess {
  readonly origin: string;
}

export const caddyBinary = (): string | undefined => findBinary('caddy');

function replaceAll(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`deploy/caddy/Caddyfile no longer contains ${from}`);
  return text.split(from).join(to);
}

export async function startCaddy(options: CaddyOptions): Promise<RunningCaddy> {
  const binary = caddyBinary();
  if (binary === undefined) throw new Error('caddy is not installed');
  const dir = await mkdtemp(join(tmpdir(), 'audience-guard-caddy-'));
  let caddyfile = await readFile(SHIPPED, 'utf8');
  caddyfile = replaceAll(caddyfile, '\n:8080 {', `\nhttp://127.0.0.1:${String(options.port)} {`);
  caddyfile = replaceAll(caddyfile, 'audience-guard:9002', options.authz);
  caddyfile = replaceAll(caddyfile, 'mcp-server:8080', options.upstream);
  const file = join(dir, 'Caddyfile');
  await writeFile(file, caddyfile);
  const env = { ...process.env, HOME: dir, XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') };
  let running: ProxyProcess;
  try {
    running = await startProxyProcess(binary, ['run', '--config', file, '--adapter', 'caddyfile'], options.port, env);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    origin: `http://127.0.0.1:${String(options.port)}`,
    output: () => running.output(),
    async stop() {
      await running.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
