/**
 * The forward-auth listener (`--http-authz-address`): every request is one
 * check, answered by the runner through the HTTP front end. A peer outside
 * the trusted ranges is answered at once, before its body is read; a body is
 * read up to `maxBodyBytes` (what the gRPC listener accepts as a whole
 * CheckRequest), and a longer one is marked cut rather than buffered.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FrontEnd } from '../runner/check-input.ts';
import type { CheckRunner } from '../runner/check-runner.ts';
import { splitHostPort } from '../server/admin-server.ts';
import type { ForwardAuthRequest } from './forward-auth-request.ts';
import { failedAnswer, type HttpAnswer } from './http-answer.ts';
import type { TrustedPeers } from './trusted-peers.ts';

export interface HttpAuthzServerOptions {
  readonly address: string;
  readonly maxBodyBytes: number;
  /** Headers may carry a token up to `--max-token-bytes` and a DPoP proof besides. */
  readonly maxHeaderBytes: number;
}

/** A slow proxy (or a slow client behind one) may not hold a check open longer than this. */
const REQUEST_TIMEOUT_MS = 10_000;

interface Body {
  readonly bytes: Uint8Array | undefined;
  readonly cut: boolean;
}

function readBody(request: IncomingMessage, max: number): Promise<Body> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let length = 0;
    let done = false;
    const finish = (cut: boolean): void => {
      if (done) return;
      done = true;
      request.off('data', onData);
      resolve({ bytes: length === 0 ? undefined : Buffer.concat(chunks).subarray(0, max), cut });
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      length += chunk.length;
      if (length > max) {
        request.pause();
        finish(true);
      }
    };
    request.on('data', onData);
    request.once('end', () => { finish(false); });
    // An aborted body is no body at all: the check still gets a complete answer, if anyone is left to read it.
    request.once('error', () => { length = 0; finish(true); });
  });
}

/** Writes `answer`; one Node refuses to write (a header value it rejects, checked before anything is set) becomes the complete 500 deny. */
function send(response: ServerResponse, method: string | undefined, answer: HttpAnswer, fallback = failedAnswer()): void {
  let written = answer;
  try {
    response.writeHead(answer.status, { ...answer.headers, 'content-length': Buffer.byteLength(answer.body) });
  } catch {
    written = fallback;
    response.writeHead(fallback.status, { ...fallback.headers, 'content-length': Buffer.byteLength(fallback.body) });
  }
  response.end(method === 'HEAD' ? undefined : written.body);
}

export class HttpAuthzServer {
  readonly #server: Server;
  readonly #options: HttpAuthzServerOptions;

  constructor(
    runner: CheckRunner, frontEnd: FrontEnd<ForwardAuthRequest, HttpAnswer>, peers: TrustedPeers, options: HttpAuthzServerOptions,
  ) {
    this.#options = options;
    this.#server = createServer({ maxHeaderSize: options.maxHeaderBytes, requestTimeout: REQUEST_TIMEOUT_MS }, (request, response) => {
      void this.#check(runner, frontEnd, peers, request, response).catch(() => {
        if (!response.headersSent) send(response, request.method, frontEnd.failed());
      });
    });
  }

  async #check(
    runner: CheckRunner, frontEnd: FrontEnd<ForwardAuthRequest, HttpAnswer>, peers: TrustedPeers,
    request: IncomingMessage, response: ServerResponse,
  ): Promise<void> {
    const peerAddress = request.socket.remoteAddress;
    const body = peers.trusts(peerAddress) ? await readBody(request, this.#options.maxBodyBytes) : { bytes: undefined, cut: false };
    const answer = await runner.run(frontEnd, {
      peerAddress,
      peerPort: request.socket.remotePort,
      method: request.method ?? '',
      target: request.url ?? '',
      headers: request.headersDistinct,
      body: body.bytes,
      bodyCut: body.cut,
    });
    send(response, request.method, answer);
  }

  listen(): Promise<number> {
    const { host, port } = splitHostPort(this.#options.address);
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve((this.#server.address() as AddressInfo).port);
      });
    });
  }

  /** Stops accepting; checks in flight get `graceMs` to be answered, then every connection is closed. */
  close(graceMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.#server.closeAllConnections(); }, graceMs).unref();
      this.#server.close(() => { clearTimeout(timer); resolve(); });
      this.#server.closeIdleConnections();
    });
  }
}
