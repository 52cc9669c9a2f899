/**
 * A forward-only reader of the protobuf wire format
 * (https://protobuf.dev/programming-guides/encoding/) for decoders that pick
 * a few fields out of a message and skip the rest without building anything.
 * Every length and position is checked against the buffer and the enclosing
 * message; malformed input throws a RangeError.
 */

export interface Name {
  readonly name: string;
  readonly bytes: Buffer;
}

const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const START_GROUP = 3;
const END_GROUP = 4;
const FIXED32 = 5;

/**
 * Walks the fields of one message at a time: `next(end)` moves to the next
 * length-delimited or varint field before `end` (skipping others) and returns
 * its number (0 when the message ends); `delimited()` tells which kind it is,
 * with `fieldEnd` or `value` set.
 */
export class WireReader {
  readonly #bytes: Buffer;
  #position = 0;
  fieldEnd = 0;
  value = 0;
  #lengthDelimited = false;

  constructor(bytes: Buffer) {
    this.#bytes = bytes;
  }

  /** Position after the current field (the next one starts there). */
  get position(): number {
    return this.#position;
  }

  delimited(): boolean {
    return this.#lengthDelimited;
  }

  next(end: number): number {
    if (this.#lengthDelimited) {
      this.#position = this.fieldEnd;
      this.#lengthDelimited = false;
    }
    while (this.#position < end) {
      const tag = this.#varint();
      const field = Math.floor(tag / 8);
      const wireType = tag & 7;
      if (field === 0) throw new RangeError('field number 0');
      if (wireType === LENGTH_DELIMITED) {
        const length = this.#varint();
        this.fieldEnd = this.#position + length;
        if (this.fieldEnd > end) throw new RangeError('field beyond its message');
        this.#lengthDelimited = true;
        return field;
      }
      if (wireType === VARINT) {
        this.value = this.#varint();
        return field;
      }
      this.#skip(wireType, field);
    }
    if (this.#position !== end) throw new RangeError('message overruns its length');
    return 0;
  }

  /** Enters the current length-delimited field: its own fields come next, until `fieldEnd`. */
  enter(): number {
    this.#lengthDelimited = false;
    return this.fieldEnd;
  }

  /** The current length-delimited field as UTF-8 text. */
  text(): string {
    return this.#bytes.toString('utf8', this.#position, this.fieldEnd);
  }

  /** The current length-delimited field's bytes, copied (the request buffer is not kept alive by them). */
  bytes(): Buffer {
    return Buffer.from(this.#bytes.subarray(this.#position, this.fieldEnd));
  }

  /** UTF-8 text of an earlier span of the message (a map value, decoded once its key is known). */
  textAt(start: number, end: number): string {
    return this.#bytes.toString('utf8', start, end);
  }

  /** Which of `names` the current length-delimited field holds exactly, building no string for others. */
  oneOf(names: readonly Name[]): string | undefined {
    const bytes = this.#bytes;
    const start = this.#position;
    const length = this.fieldEnd - start;
    // Byte by byte in JavaScript: names are short, and Buffer#compare's call into C++ cost more than the comparison.
    for (const candidate of names) {
      const expected = candidate.bytes;
      if (expected.length !== length) continue;
      let index = 0;
      while (index < length && bytes[start + index] === expected[index]) index += 1;
      if (index === length) return candidate.name;
    }
    return undefined;
  }

  #varint(): number {
    let result = 0;
    let multiplier = 1;
    for (let index = 0; index < 10; index++) {
      const byte = this.#bytes[this.#position++];
      if (byte === undefined) throw new RangeError('truncated varint');
      result += (byte & 0x7f) * multiplier;
      if (byte < 0x80) return result;
      multiplier *= 128;
    }
    throw new RangeError('varint longer than 10 bytes');
  }

  #skip(wireType: number, field: number): void {
    switch (wireType) {
      case FIXED64: this.#advance(8); return;
      case FIXED32: this.#advance(4); return;
      case START_GROUP:
        for (;;) {
          const tag = this.#varint();
          if ((tag & 7) === END_GROUP) {
            if (Math.floor(tag / 8) !== field) throw new RangeError('mismatched end of group');
            return;
          }
          if ((tag & 7) === LENGTH_DELIMITED) this.#advance(this.#varint());
          else if ((tag & 7) === VARINT) this.#varint();
          else this.#skip(tag & 7, Math.floor(tag / 8));
        }
      default: throw new RangeError(`invalid wire type ${String(wireType)}`);
    }
  }

  #advance(count: number): void {
    this.#position += count;
    if (this.#position > this.#bytes.length) throw new RangeError('truncated value');
  }
}
