/**
 * A free TCP port on 127.0.0.1, for processes that must be told their port in
 * advance (nginx and Caddy configurations, an MCP resource URL that names the
 * proxy's port). The port is released before it is returned; another process
 * could take it in between, which on loopback in a test run is rare enough.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => { resolve(port); });
    });
  });
}
