/**
 * A deliberately minimal HTTP/2 client for load generation (RFC 9113): one TCP
 * connection, prior knowledge (h2c), requests written as two pre-built frames
 * (HEADERS with a fixed HPACK block, DATA with a pre-encoded gRPC frame).
 * Node's own http2 client spends ~200 µs of CPU per stream on this machine and
 * would cap the benchmark below the server's rate; this one spends a few.
 *
 * What it does not do, on purpose: it never decodes the server's header
 * blocks (no HPACK state is needed for that), so a call counts as answered
 * when its stream ends after a DATA frame carrying a whole gRPC message — a
 * failed gRPC call is trailers-only and has none. It honours the server's
 * connection send window, answers SETTINGS and PING, and returns receive
 * window as it reads.
 */
import { connect, type Socket } from 'node:net';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const DATA = 0x0;
const HEADERS = 0x1;
const RST_STREAM = 0x3;
const SETTINGS = 0x4;
const PING = 0x6;
const GOAWAY = 0x7;
const WINDOW_UPDATE = 0x8;
const END_STREAM = 0x1;
const ACK = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const RECEIVE_WINDOW = 1 << 30;

function frameHeader(length: number, type: number, flags: number, streamId: number): Buffer {
  const header = Buffer.allocUnsafe(9);
  header.writeUIntBE(length, 0, 3);
  header.writeUInt8(type, 3);
  header.writeUInt8(flags, 4);
  header.writeUInt32BE(streamId, 5);
  return header;
}

function literal(name: string, value: string): Buffer {
  // HPACK "literal header field without indexing, new name", no Huffman (RFC 7541 §6.2.2); names/values < 127 bytes.
  return Buffer.concat([Buffer.from([0x00, name.length]), Buffer.from(name, 'latin1'), Buffer.from([value.length]), Buffer.from(value, 'latin1')]);
}

/** The fixed HPACK block of a gRPC unary call; it uses no dynamic table, so it can be sent again and again. */
export function grpcRequestHeaderBlock(authority: string, path: string): Buffer {
  return Buffer.concat([
    Buffer.from([0x83, 0x86]), // indexed :method POST, :scheme http
    Buffer.from([0x04, path.length]), Buffer.from(path, 'latin1'), // :path, indexed name 4
    Buffer.from([0x01, authority.length]), Buffer.from(authority, 'latin1'), // :authority, indexed name 1
    literal('content-type', 'application/grpc'),
    literal('te', 'trailers'),
  ]);
}

export interface CallOutcome {
  /** The response message bytes (gRPC frame without its 5-byte prefix), when the call returned one. */
  readonly message: Buffer | undefined;
}

interface PendingCall {
  readonly chunks: Buffer[];
  readonly done: (outcome: CallOutcome) => void;
}

export class RawHttp2Connection {
  readonly #socket: Socket;
  readonly #headerBlock: Buffer;
  readonly #calls = new Map<number, PendingCall>();
  readonly #queue: { frame: Buffer; done: (outcome: CallOutcome) => void }[] = [];
  #nextStreamId = 1;
  #sendWindow = 65_535;
  #received = 0;
  #pending: Buffer = Buffer.alloc(0);
  #closed = false;

  constructor(port: number, headerBlock: Buffer, onError: (error: Error) => void) {
    this.#headerBlock = headerBlock;
    this.#socket = connect(port, '127.0.0.1');
    this.#socket.setNoDelay(true);
    this.#socket.on('error', onError);
    this.#socket.on('close', () => { if (!this.#closed) onError(new Error('connection closed by the server')); });
    this.#socket.on('data', (chunk: Buffer) => { this.#read(chunk); });
    // Our settings: no push, a large stream window; then open the connection window as far as it goes.
    const settings = Buffer.alloc(12);
    settings.writeUInt16BE(0x2, 0); settings.writeUInt32BE(0, 2);
    settings.writeUInt16BE(0x4, 6); settings.writeUInt32BE(RECEIVE_WINDOW, 8);
    this.#socket.write(Buffer.concat([PREFACE, frameHeader(settings.length, SETTINGS, 0, 0), settings, this.#windowUpdate(RECEIVE_WINDOW - 65_535)]));
  }

  /** Sends one unary call whose request body is `grpcFrame`; `done` runs when its stream ends. */
  call(grpcFrame: Buffer, done: (outcome: CallOutcome) => void): void {
    if (this.#sendWindow < grpcFrame.length || this.#queue.length > 0) {
      this.#queue.push({ frame: grpcFrame, done });
      return;
    }
    this.#send(grpcFrame, done);
  }

  close(): void {
    this.#closed = true;
    this.#socket.destroy();
  }

  #send(grpcFrame: Buffer, done: (outcome: CallOutcome) => void): void {
    const streamId = this.#nextStreamId;
    this.#nextStreamId += 2;
    this.#sendWindow -= grpcFrame.length;
    this.#calls.set(streamId, { chunks: [], done });
    this.#socket.write(Buffer.concat([
      frameHeader(this.#headerBlock.length, HEADERS, END_HEADERS, streamId), this.#headerBlock,
      frameHeader(grpcFrame.length, DATA, END_STREAM, streamId), grpcFrame,
    ]));
  }

  #windowUpdate(increment: number): Buffer {
    const payload = Buffer.allocUnsafe(4);
    payload.writeUInt32BE(increment, 0);
    return Buffer.concat([frameHeader(4, WINDOW_UPDATE, 0, 0), payload]);
  }

  #read(chunk: Buffer): void {
    let buffer = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    this.#socket.cork();
    while (buffer.length >= 9) {
      const length = buffer.readUIntBE(0, 3);
      if (buffer.length < 9 + length) break;
      this.#frame(buffer.readUInt8(3), buffer.readUInt8(4), buffer.readUInt32BE(5) & 0x7fffffff, buffer.subarray(9, 9 + length));
      buffer = buffer.subarray(9 + length);
    }
    this.#pending = buffer;
    while (this.#queue.length > 0 && this.#sendWindow >= (this.#queue[0]?.frame.length ?? 0)) {
      const next = this.#queue.shift()!;
      this.#send(next.frame, next.done);
    }
    this.#socket.uncork();
  }

  #frame(type: number, flags: number, streamId: number, payload: Buffer): void {
    switch (type) {
      case DATA: {
        this.#received += payload.length;
        if (this.#received > RECEIVE_WINDOW / 2) {
          this.#socket.write(this.#windowUpdate(this.#received));
          this.#received = 0;
        }
        const data = (flags & PADDED) === 0 ? payload : payload.subarray(1, payload.length - payload.readUInt8(0));
        this.#calls.get(streamId)?.chunks.push(Buffer.from(data));
        if ((flags & END_STREAM) !== 0) this.#finish(streamId);
        return;
      }
      case HEADERS:
        if ((flags & END_STREAM) !== 0) this.#finish(streamId);
        return;
      case RST_STREAM: {
        const call = this.#calls.get(streamId);
        this.#calls.delete(streamId);
        call?.done({ message: undefined });
        return;
      }
      case SETTINGS:
        if ((flags & ACK) === 0) this.#socket.write(frameHeader(0, SETTINGS, ACK, 0));
        return;
      case PING:
        if ((flags & ACK) === 0) this.#socket.write(Buffer.concat([frameHeader(8, PING, ACK, 0), payload]));
        return;
      case WINDOW_UPDATE:
        if (streamId === 0) this.#sendWindow += payload.readUInt32BE(0) & 0x7fffffff;
        return;
      case GOAWAY:
        this.#socket.emit('error', new Error('the server sent GOAWAY'));
        return;
      default:
        return; // PRIORITY, CONTINUATION of header blocks we do not decode, unknown types
    }
  }

  #finish(streamId: number): void {
    const call = this.#calls.get(streamId);
    if (call === undefined) return;
    this.#calls.delete(streamId);
    const body = call.chunks.length === 1 ? call.chunks[0]! : Buffer.concat(call.chunks);
    const complete = body.length >= 5 && body.length === 5 + body.readUInt32BE(1);
    call.done({ message: complete ? body.subarray(5) : undefined });
  }
}
