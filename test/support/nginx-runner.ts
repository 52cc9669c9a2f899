/**
 * The real nginx (Debian package) in front of an MCP server, configured from
 * deploy/nginx/ with only the listen port and the two upstream addresses
 * changed, plus a main configuration that keeps pid, logs and temp files in a
 * temporary folder (`nginx -p DIR -c nginx.conf -g 'daemon off;'`).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary, startProxyProcess, type ProxyProcess } from './proxy-process.ts';

const DEPLOY = new URL('../../deploy/nginx/', import.meta.url);

export interface NginxOptions {
  readonly port: number;
  /** host:port of audience-guard's HTTP forward-auth listener. */
  readonly authz: string;
  /** host:port of the MCP server. */
  readonly upstream: string;
}

export interface RunningNginx extends ProxyProcess {
  readonly origin: string;
  /** nginx's error log (it says why an auth subrequest became a 500). */
  errorLog(): Promise<string>;
}

export const nginxBinary = (): string | undefined => findBinary('nginx');

function replaceOnce(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`deploy/nginx no longer contains ${from}`);
  return text.replace(from, to);
}

export async function startNginx(options: NginxOptions): Promise<RunningNginx> {
  const binary = nginxBinary();
  if (binary === undefined) throw new Error('nginx is not installed');
  const dir = await mkdtemp(join(tmpdir(), 'audience-guard-nginx-'));
  await mkdir(join(dir, 'tmp'));
  const shipped = async (name: string): Promise<string> => readFile(new URL(name, DEPLOY), 'utf8');
  await writeFile(join(dir, 'mcp-server.conf'), replaceOnce(await shipped('mcp-server.conf'), 'listen 8080;', `listen 127.0.0.1:${String(options.port)};`));
  await writeFile(join(dir, 'upstreams.conf'), replaceOnce(replaceOnce(await shipped('upstreams.conf'), 'audience-guard:9002', options.authz), 'mcp-server:8080', options.upstream));
  await writeFile(join(dir, 'audience-guard-headers.conf'), await shipped('audience-guard-headers.conf'));
  await writeFile(join(dir, 'nginx.conf'), `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 128; }
http {
    access_log ${dir}/access.log;
    client_body_temp_path ${dir}/tmp/body;
    proxy_temp_path ${dir}/tmp/proxy;
    fastcgi_temp_path ${dir}/tmp/fastcgi;
    uwsgi_temp_path ${dir}/tmp/uwsgi;
    scgi_temp_path ${dir}/tmp/scgi;
    include upstreams.conf;
    include mcp-server.conf;
}
`);
  let running: ProxyProcess;
  try {
    running = await startProxyProcess(binary, ['-p', dir, '-e', `${dir}/error.log`, '-c', 'nginx.conf', '-g', 'daemon off;'], options.port);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    origin: `http://127.0.0.1:${String(options.port)}`,
    output: () => running.output(),
    errorLog: () => readFile(join(dir, 'error.log'), 'utf8'),
    async stop() {
      await running.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
