// Small loopback HTTP servers and a bounded poll for the adapter tests
// (key fetching, discovery, admin server). Everything binds 127.0.0.1 port 0.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Handler = (request: IncomingMessage, response: ServerResponse) => void;

export interface LocalServer {
  /** `http://127.0.0.1:PORT`. */
  readonly origin: string;
  /** The path of every request received, in order. */
  readonly requests: string[];
  close(): Promise<void>;
}

export async function startLocalServer(handler: Handler): Promise<LocalServer> {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(request.url ?? '');
    handler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.close(() => { resolve(); });
      server.closeAllConnections();
    }),
  };
}

/** A loopback URL on which nothing listens (the port was bound, then released). */
export async function refusedURL(): Promise<string> {
  const server = await startLocalServer(() => undefined);
  await server.close();
  return `${server.origin}/jwks`;
}

export function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** Polls `condition` until it holds, failing after `timeoutMs` (a bound, not a sleep). */
export async function eventually(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
