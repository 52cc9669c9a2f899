/**
 * A small writer of the protobuf wire format for hand-written encoders: one
 * growable buffer, nested messages written in place (`begin`/`end` reserve a
 * one-byte length and widen it only for contents of 128 bytes or more).
 * Encoders run to completion synchronously, so one scratch writer can be
 * reused; `finish()` copies the bytes out.
 */

const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;

function varintSize(value: number): number {
  let size = 1;
  for (let rest = value; rest >= 0x80; rest = Math.floor(rest / 128)) size += 1;
  return size;
}

export class WireWriter {
  #buffer = Buffer.allocUnsafe(4096);
  #position = 0;

  /** Starts a new message. */
  reset(): this {
    this.#position = 0;
    return this;
  }

  /** A copy of what was written since `reset()`. */
  finish(): Buffer {
    return Buffer.from(this.#buffer.subarray(0, this.#position));
  }

  /** A non-negative integer field (int32/uint32/enum/bool values); negative numbers are not supported. */
  uint(field: number, value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`field ${String(field)}: ${String(value)} is not a non-negative integer`);
    }
    this.#tag(field, VARINT);
    this.#varint(value);
  }

  bool(field: number, value: boolean): void {
    this.#tag(field, VARINT);
    this.#varint(value ? 1 : 0);
  }

  double(field: number, value: number): void {
    this.#tag(field, FIXED64);
    this.#ensure(8);
    this.#position = this.#buffer.writeDoubleLE(value, this.#position);
  }

  string(field: number, value: string): void {
    const start = this.begin(field);
    this.#ensure(value.length * 3);
    this.#position += this.#buffer.write(value, this.#position, 'utf8');
    this.end(start);
  }

  bytes(field: number, value: Uint8Array): void {
    this.#tag(field, LENGTH_DELIMITED);
    this.#varint(value.length);
    this.#ensure(value.length);
    this.#buffer.set(value, this.#position);
    this.#position += value.length;
  }

  /** Opens a nested message field; pass the result to `end` once its fields are written. */
  begin(field: number): number {
    this.#tag(field, LENGTH_DELIMITED);
    this.#ensure(1);
    const start = this.#position;
    this.#position += 1;
    return start;
  }

  end(start: number): void {
    const length = this.#position - start - 1;
    const size = varintSize(length);
    if (size > 1) {
      this.#ensure(size - 1);
      this.#buffer.copyWithin(start + size, start + 1, this.#position);
      this.#position += size - 1;
    }
    const after = this.#position;
    this.#position = start;
    this.#varint(length);
    this.#position = after;
  }

  #tag(field: number, wireType: number): void {
    this.#varint(field * 8 + wireType);
  }

  #varint(value: number): void {
    this.#ensure(10);
    let rest = value;
    while (rest >= 0x80) {
      this.#buffer[this.#position++] = (rest % 128) | 0x80;
      rest = Math.floor(rest / 128);
    }
    this.#buffer[this.#position++] = rest;
  }

  #ensure(extra: number): void {
    if (this.#position + extra <= this.#buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.#buffer.length * 2, this.#position + extra));
    this.#buffer.copy(grown, 0, 0, this.#position);
    this.#buffer = grown;
  }
}
