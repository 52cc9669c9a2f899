/**
 * The soak's gRPC client: unary Check calls with pre-encoded request frames
 * (bench/common/grpc-frames.ts) over node:http2, spread over a few connections
 * the way Envoy keeps several to one upstream.
 *
 * Unlike the throughput benchmark's raw client it reads the response headers
 * and trailers, so every call ends with its real `grpc-status`, and it lives
 * through the server's connection lifecycle: audience-guard sets
 * `grpc.max_connection_age_ms` (5 minutes from the CLI), so within a
 * 10-minute soak every connection gets a GOAWAY. A connection that received
 * one takes no new calls and is replaced; a call the server refused because
 * of the GOAWAY (stream above its last stream id, or REFUSED_STREAM) never
 * reached the service and is sent once more on a fresh connection, as Envoy
 * does (up to three times: the next connection may be about to age out
 * too). Those are counted as `goawayRetries`, not as RPC errors.
 */
import { connect, constants, type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';
import { performance } from 'node:perf_hooks';
import { CHECK_PATH } from '../common/grpc-frames.ts';

export interface CallResult {
  /** `grpc-status` of the call; undefined when the stream failed before it ended. */
  readonly grpcStatus: string | undefined;
  /** The response message without its 5-byte gRPC prefix, when one complete message came back. */
  readonly message: Buffer | undefined;
  /** What went wrong at the transport level, if anything. */
  readonly error: string | undefined;
  /** performance.now() when the request was handed to the connection (the first attempt's, after a retry). */
  readonly sentAt: number;
  readonly answeredAt: number;
}

const MAX_RETRIES = 3;

const REQUEST_HEADERS = {
  [constants.HTTP2_HEADER_METHOD]: 'POST',
  [constants.HTTP2_HEADER_PATH]: CHECK_PATH,
  'content-type': 'application/grpc',
  te: 'trailers',
};

interface Connection {
  readonly session: ClientHttp2Session;
  /** Got a GOAWAY or an error: takes no new calls. */
  draining: boolean;
}

export class SoakGrpcClient {
  readonly #authority: string;
  readonly #connections: Connection[] = [];
  #next = 0;
  #closed = false;
  goawayRetries = 0;
  goaways = 0;
  reconnects = 0;

  constructor(port: number, connections: number) {
    this.#authority = `http://127.0.0.1:${String(port)}`;
    for (let index = 0; index < connections; index++) this.#connections.push(this.#open());
  }

  /** One Check call with a complete gRPC frame as its body; never rejects. */
  call(frame: Buffer, done: (result: CallResult) => void): void {
    this.#attempt(frame, performance.now(), MAX_RETRIES, done);
  }

  close(): void {
    this.#closed = true;
    for (const connection of this.#connections) connection.session.close();
  }

  #open(): Connection {
    const session = connect(this.#authority, { peerMaxConcurrentStreams: 1000 });
    const connection: Connection = { session, draining: false };
    session.on('goaway', () => {
      this.goaways += 1;
      connection.draining = true;
      // close() lets the calls already on this connection finish.
      session.close();
    });
    session.on('error', () => { connection.draining = true; });
    session.on('close', () => { connection.draining = true; });
    return connection;
  }

  /** A connection that takes calls, replacing drained ones in place. */
  #connection(): Connection {
    const index = this.#next;
    this.#next = (this.#next + 1) % this.#connections.length;
    let connection = this.#connections[index]!;
    if (connection.draining || connection.session.closed || connection.session.destroyed) {
      connection = this.#open();
      this.#connections[index] = connection;
      this.reconnects += 1;
    }
    return connection;
  }

  #attempt(frame: Buffer, sentAt: number, retries: number, done: (result: CallResult) => void): void {
    if (this.#closed) {
      done({ grpcStatus: undefined, message: undefined, error: 'client closed', sentAt, answeredAt: performance.now() });
      return;
    }
    const connection = this.#connection();
    let stream: ClientHttp2Stream;
    try {
      stream = connection.session.request(REQUEST_HEADERS);
    } catch (error) {
      // The session went away between the check above and now (ERR_HTTP2_GOAWAY_SESSION and the like).
      connection.draining = true;
      if (retries > 0) {
        this.goawayRetries += 1;
        this.#attempt(frame, sentAt, retries - 1, done);
      } else {
        done({ grpcStatus: undefined, message: undefined, error: (error as Error).message, sentAt, answeredAt: performance.now() });
      }
      return;
    }
    const chunks: Buffer[] = [];
    let grpcStatus: string | undefined;
    let streamError: string | undefined;
    stream.on('response', (headers) => {
      // A trailers-only answer (an RPC error) carries grpc-status in the headers block.
      const status = headers['grpc-status'];
      if (status !== undefined) grpcStatus = String(status);
    });
    stream.on('trailers', (trailers: Record<string, string | string[] | undefined>) => {
      const status = trailers['grpc-status'];
      if (status !== undefined) grpcStatus = String(status);
    });
    stream.on('data', (chunk: Buffer) => { chunks.push(chunk); });
    stream.on('error', (error: Error) => { streamError = error.message; });
    stream.on('close', () => {
      const answeredAt = performance.now();
      const refused = stream.rstCode === constants.NGHTTP2_REFUSED_STREAM || (streamError !== undefined && /GOAWAY/i.test(streamError));
      if (grpcStatus === undefined && chunks.length === 0 && refused && retries > 0) {
        connection.draining = true;
        this.goawayRetries += 1;
        this.#attempt(frame, sentAt, retries - 1, done);
        return;
      }
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      const complete = body.length >= 5 && body.length === 5 + body.readUInt32BE(1);
      const error = streamError ?? (grpcStatus === undefined ? `stream closed without grpc-status (rst code ${String(stream.rstCode)})` : undefined);
      done({ grpcStatus, message: complete ? body.subarray(5) : undefined, error, sentAt, answeredAt });
    });
    stream.end(frame);
  }
}
