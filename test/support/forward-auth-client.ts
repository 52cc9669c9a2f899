/**
 * A forward-auth client: sends a check to the HTTP front end the way a proxy
 * does (node:http on loopback), with whatever headers the test gives, each
 * header possibly repeated, and reads back status, headers and body.
 */
import { request as httpRequest, type OutgoingHttpHeaders } from 'node:http';

export interface ForwardAuthResponse {
  readonly status: number;
  /** Lower-case names; repeated ones joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface ForwardAuthCall {
  readonly method?: string;
  readonly path?: string;
  /** Raw header lines, in order; a name may repeat. */
  readonly headers?: readonly (readonly [string, string])[];
  readonly body?: string | Uint8Array;
  /** The local address to connect from (loopback addresses other than 127.0.0.1 reach the listener too). */
  readonly localAddress?: string;
}

export function forwardAuth(port: number, call: ForwardAuthCall = {}): Promise<ForwardAuthResponse> {
  return new Promise((resolve, reject) => {
    const headers: string[] = [];
    for (const [name, value] of call.headers ?? []) headers.push(name, value);
    // Raw header lines get no Host of their own; HTTP/1.1 requires one (the listener's, as a proxy sends it).
    if (!(call.headers ?? []).some(([name]) => name.toLowerCase() === 'host')) headers.push('Host', `127.0.0.1:${String(port)}`);
    const request = httpRequest({
      host: '127.0.0.1', port, method: call.method ?? 'GET', path: call.path ?? '/',
      headers: headers as unknown as OutgoingHttpHeaders, agent: false,
      ...(call.localAddress === undefined ? {} : { localAddress: call.localAddress }),
    }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const received: Record<string, string> = {};
        for (const [name, value] of Object.entries(response.headers)) {
          if (value !== undefined) received[name] = Array.isArray(value) ? value.join(', ') : value;
        }
        resolve({ status: response.statusCode ?? 0, headers: received, body: Buffer.concat(chunks).toString('utf8') });
      });
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(call.body);
  });
}

/** The headers of the `forwarded` family (Traefik, Caddy) for a request to `https://<host><uri>`. */
export function forwardedFamily(method: string, host: string, uri: string): [string, string][] {
  return [['X-Forwarded-Method', method], ['X-Forwarded-Proto', 'https'], ['X-Forwarded-Host', host], ['X-Forwarded-Uri', uri]];
}
