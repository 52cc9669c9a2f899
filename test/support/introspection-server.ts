// Opaque access tokens and RFC 7662 introspection for the local authorization server
// (test/support/authorization-server.ts calls this when started with `introspection`):
// oidc-provider's own `features.introspection` and `features.revocation`, opaque tokens for
// the resources named, and the knobs the introspection tests need — a request counter, an
// outage (503), a garbled answer, and a gate that holds answers back until released.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { basicAuthorization, type LocalClient } from './authorization-server.ts';

/** oidc-provider's default routes (the server overrides only jwks and token). */
export const INTROSPECTION_PATH = '/token/introspection';
export const REVOCATION_PATH = '/token/revocation';

export interface IntrospectionOptions {
  /** Resources whose access tokens are opaque (`accessTokenFormat: 'opaque'`); the others stay JWTs. */
  readonly opaqueResources: readonly string[];
}

/** How the introspection endpoint answers: as oidc-provider does, 503, or 200 with something that is not an answer. */
export type IntrospectionMode = 'normal' | 'unavailable' | 'not_json' | 'active_not_boolean';

export interface IntrospectionControls {
  /** As advertised in discovery (`introspection_endpoint`). */
  readonly introspectionEndpoint: string;
  /** Requests that reached the introspection endpoint, whatever the outcome. */
  introspectionRequestCount(): number;
  setIntrospectionMode(mode: IntrospectionMode): void;
  /** From now on, answers wait until the returned function is called (then all go on as the mode says). */
  holdIntrospection(): () => void;
  /** RFC 7009 revocation at the server's own endpoint (client_secret_basic, default client `mcp-client`). */
  revoke(token: string, clientId?: string): Promise<void>;
}

export interface IntrospectionFeature {
  /** Merged into the provider's `features`. */
  readonly features: Record<string, unknown>;
  accessTokenFormat(resource: string): 'jwt' | 'opaque';
  /** Sees every request first; true when it answered it itself. */
  intercept(path: string, req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  controls(issuer: string, clients: readonly LocalClient[]): IntrospectionControls;
}

export function introspectionFeature(options: IntrospectionOptions): IntrospectionFeature {
  const opaque = new Set(options.opaqueResources);
  let requests = 0;
  let mode: IntrospectionMode = 'normal';
  let gate: Promise<void> | undefined;

  const answer = (res: ServerResponse, status: number, body: string): void => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(body);
  };

  return {
    features: {
      // Any confidential client of this server may introspect and revoke any of its tokens.
      introspection: { enabled: true, allowedPolicy: () => Promise.resolve(true) },
      revocation: { enabled: true, allowedPolicy: () => Promise.resolve(true) },
    },
    accessTokenFormat: (resource) => (opaque.has(resource) ? 'opaque' : 'jwt'),
    async intercept(path, req, res) {
      if (path !== INTROSPECTION_PATH || req.method !== 'POST') return false;
      requests += 1;
      if (gate !== undefined) await gate;
      if (req.destroyed) { // the caller gave up while the answer was held
        res.destroy();
        return true;
      }
      if (mode === 'normal') return false;
      for await (const _chunk of req as AsyncIterable<Buffer>) { /* drain the form, keep the connection usable */ }
      if (mode === 'unavailable') answer(res, 503, JSON.stringify({ error: 'temporarily_unavailable' }));
      else if (mode === 'not_json') answer(res, 200, '<html>maintenance</html>');
      else answer(res, 200, JSON.stringify({ active: 'true', aud: 'https://mcp.example.com/mcp', exp: Math.floor(Date.now() / 1000) + 300 }));
      return true;
    },
    controls: (issuer, clients) => ({
      introspectionEndpoint: `${issuer}${INTROSPECTION_PATH}`,
      introspectionRequestCount: () => requests,
      setIntrospectionMode(next) {
        mode = next;
      },
      holdIntrospection() {
        let release: () => void = () => undefined;
        gate = new Promise((resolve) => { release = resolve; });
        return () => {
          gate = undefined;
          release();
        };
      },
      async revoke(token, clientId = 'mcp-client') {
        const client = clients.find((candidate) => candidate.clientId === clientId);
        const response = await fetch(`${issuer}${REVOCATION_PATH}`, {
          method: 'POST',
          headers: {
            authorization: basicAuthorization(clientId, client?.clientSecret ?? 'not-a-registered-client'),
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
        });
        if (!response.ok) throw new Error(`revocation endpoint answered ${String(response.status)}`);
      },
    }),
  };
}
