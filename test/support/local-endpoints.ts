/**
 * Local endpoints for the endpoint-guard tests, all on loopback port 0:
 *   - an https server with the test certificate (test/fixtures/tls: self-signed,
 *     for localhost, 127.0.0.1 and ::1, valid until 2126 — a test-only key);
 *   - a listener that only counts TCP connections, on every local address
 *     (`::` takes IPv4 too where the host has IPv6), to prove that something
 *     was never contacted.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHTTPSServer } from 'node:https';
import { createServer as createTCPServer, type AddressInfo, type Server } from 'node:net';

/** The test certificate, to trust it (it is its own CA). */
export const TEST_CA = readFileSync(new URL('../fixtures/tls/endpoint-cert.pem', import.meta.url), 'utf8');
const TEST_KEY = readFileSync(new URL('../fixtures/tls/endpoint-key.pem', import.meta.url), 'utf8');

export interface TLSServer {
  /** `https://127.0.0.1:PORT`. */
  readonly origin: string;
  /** Method and path of every request received, in order. */
  readonly requests: string[];
  close(): Promise<void>;
}

export async function startTLSServer(handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<TLSServer> {
  const requests: string[] = [];
  const server = createHTTPSServer({ key: TEST_KEY, cert: TEST_CA }, (request, response) => {
    requests.push(`${request.method ?? ''} ${request.url ?? ''}`);
    handler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `https://127.0.0.1:${String((server.address() as AddressInfo).port)}`,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.close(() => { resolve(); });
      server.closeAllConnections();
    }),
  };
}

export interface ConnectionCounter {
  readonly port: number;
  /** Whether the listener takes IPv6 (and IPv4-mapped) connections too. */
  readonly dualStack: boolean;
  /** TCP connections accepted so far (each is closed at once). */
  connections(): number;
  close(): Promise<void>;
}

function listen(server: Server, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    server.once('error', () => { resolve(false); });
    server.listen({ port: 0, host, ipv6Only: false }, () => { resolve(true); });
  });
}

export async function startConnectionCounter(): Promise<ConnectionCounter> {
  let count = 0;
  const make = (): Server => createTCPServer((socket) => {
    count += 1;
    socket.destroy();
  });
  let server = make();
  const dualStack = await listen(server, '::');
  if (!dualStack) {
    server = make();
    if (!await listen(server, '127.0.0.1')) throw new Error('cannot listen on loopback');
  }
  return {
    port: (server.address() as AddressInfo).port,
    dualStack,
    connections: () => count,
    close: () => new Promise<void>((resolve) => { server.close(() => { resolve(); }); }),
  };
}
