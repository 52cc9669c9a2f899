/**
 * The admin HTTP listener: `/metrics` (Prometheus), `/healthz` (liveness),
 * `/readyz` (ready after the first complete policy load, not during shutdown),
 * and the RFC 9728 documents at `/.well-known/oauth-protected-resource/<host><path>`
 * for setups that route the well-known path here instead of through Envoy.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { asciiLower } from '../core/audience.ts';
import type { Metrics } from '../obs/metrics.ts';
import { PROTECTED_RESOURCE_WELL_KNOWN } from '../policy/compile-policy.ts';
import type { PolicyStore } from '../policy/policy-store.ts';

/** `…/<host><path>`: the host comes first here, since one listener serves every resource. */
const WELL_KNOWN = `${PROTECTED_RESOURCE_WELL_KNOWN}/`;

export interface AdminState {
  ready(): boolean;
}

export class AdminServer {
  readonly #server: Server;
  readonly #address: string;

  constructor(address: string, metrics: Metrics, store: PolicyStore, state: AdminState) {
    this.#address = address;
    this.#server = createServer((request, response) => {
      void this.#route(request, response, metrics, store, state).catch(() => {
        if (!response.headersSent) response.writeHead(500).end();
      });
    });
  }

  async #route(request: IncomingMessage, response: ServerResponse, metrics: Metrics, store: PolicyStore, state: AdminState): Promise<void> {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const text = (status: number, body: string): void => {
      response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(request.method === 'HEAD' ? undefined : body);
    };
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/healthz') {
      text(200, 'ok\n');
      return;
    }
    if (path === '/readyz') {
      if (state.ready()) text(200, 'ready\n');
      else text(503, 'not ready\n');
      return;
    }
    if (path === '/metrics') {
      const body = await metrics.registry.metrics();
      response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(request.method === 'HEAD' ? undefined : body);
      return;
    }
    if (path.startsWith(WELL_KNOWN)) {
      const rest = path.slice(WELL_KNOWN.length);
      const slash = rest.indexOf('/');
      // ASCII only, as for Envoy's requests (src/envoy/check-request.ts): no Kelvin sign → "k".
      const host = asciiLower(slash === -1 ? rest : rest.slice(0, slash));
      const resourcePath = slash === -1 ? '' : rest.slice(slash);
      const metadataPath = `${PROTECTED_RESOURCE_WELL_KNOWN}${resourcePath}`;
      // The same selection Envoy's requests go through, so wildcard hosts resolve alike.
      const selection = store.current().select({
        method: 'GET', host, path: metadataPath, authorization: undefined, policyReference: undefined,
      });
      const policy = selection?.metadataRequest === true ? selection.policy : undefined;
      if (policy?.unavailable === true) {
        text(503, 'policy unavailable\n');
        return;
      }
      if (policy !== undefined) {
        response.writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*', 'cache-control': 'max-age=300' })
          .end(request.method === 'HEAD' ? undefined : policy.metadataDocument);
        return;
      }
    }
    text(404, 'not found\n');
  }

  listen(): Promise<number> {
    const { host, port } = splitHostPort(this.#address);
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve((this.#server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => { resolve(); });
      this.#server.closeAllConnections();
    });
  }
}

export function splitHostPort(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(address.slice(colon + 1)) };
}
