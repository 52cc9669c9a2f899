/**
 * A small, deterministic mutation fuzzer for the fuzz suite (test/fuzz/) and
 * the long run (scripts/fuzz-long.ts). Everything derives from one seeded PRNG
 * (xoshiro128**, seeded through splitmix32), so a run is replayed exactly by
 * its seed and iteration number. It mutates real seeds:
 *
 *   - bytes (CheckRequests encoded with Envoy's protos): bit flips, interesting
 *     bytes, insert/delete/duplicate, varint nudges, splices between seeds;
 *   - text (Authorization values, tokens): the same over characters, with
 *     separators, NUL, lone surrogates, look-alike letters and base64url noise;
 *   - compact JWS tokens: segment swaps between seeds, dropped/duplicated/extra
 *     segments, non-canonical base64url, and JSON-level mutations of the decoded
 *     header or payload — type changes, huge and deeply nested values,
 *     duplicated keys in the raw JSON text, unicode, NUL and surrogates,
 *     numbers such as 1e309 and -0, NaN as a string, invalid UTF-8 — re-encoded
 *     with the original signature or handed back for re-signing.
 *
 * Every mutant carries the names of the steps that made it (never token
 * bytes), so a failure can be reported without printing a credential.
 */
import { createHash } from 'node:crypto';

/** xoshiro128** (Blackman and Vigna), 32-bit state words, seeded by splitmix32. */
export class SeededRandom {
  readonly #state = new Uint32Array(4);

  constructor(seed: number) {
    let x = seed >>> 0;
    for (let index = 0; index < 4; index += 1) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.#state[index] = (z ^ (z >>> 16)) >>> 0;
    }
    if (this.#state.every((word) => word === 0)) this.#state[0] = 1;
  }

  /** A generator with exactly this internal state (to check the algorithm against reference vectors). */
  static fromState(s0: number, s1: number, s2: number, s3: number): SeededRandom {
    const random = new SeededRandom(0);
    random.#state.set([s0, s1, s2, s3]);
    return random;
  }

  /** A uniformly distributed 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.#state;
    const s0 = s[0]!, s1 = s[1]!, s2 = s[2]!, s3 = s[3]!;
    const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    s[2] = s2 ^ s0;
    s[3] = s3 ^ s1;
    s[1] = s1 ^ s[2];
    s[0] = s0 ^ s[3];
    s[2] = s[2] ^ t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** In [0, 1). */
  float(): number {
    return this.nextUint32() / 0x1_0000_0000;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** An integer in [min, max]. */
  between(min: number, max: number): number {
    return min + this.below(max - min + 1);
  }

  chance(probability: number): boolean {
    return this.float() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[this.below(items.length)]!;
  }

  /** Picks by weight: `[[3, 'a'], [1, 'b']]` gives 'a' three times as often. */
  weighted<T>(entries: readonly (readonly [number, T])[]): T {
    const total = entries.reduce((sum, [weight]) => sum + weight, 0);
    let point = this.float() * total;
    for (const [weight, value] of entries) {
      point -= weight;
      if (point < 0) return value;
    }
    return entries[entries.length - 1]![1];
  }

  /** An independent generator derived from this one (for a sub-task that must not shift the main stream). */
  fork(): SeededRandom {
    return new SeededRandom(this.nextUint32());
  }
}

/** The seed of case `index` of a run seeded with `seed` (so any case replays on its own). */
export function caseSeed(seed: number, index: number): number {
  let z = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index >>> 0, 0x85ebca6b) ^ Math.floor(index / 0x1_0000_0000)) >>> 0;
  z = Math.imul(z ^ (z >>> 15), 0x2c1b3c6d) >>> 0;
  z = Math.imul(z ^ (z >>> 12), 0x297a2d39) >>> 0;
  return (z ^ (z >>> 15)) >>> 0;
}

function rotl(value: number, shift: number): number {
  return ((value << shift) | (value >>> (32 - shift))) >>> 0;
}

/** A mutated value and the names of the steps that made it. */
export interface Mutant<T> {
  readonly value: T;
  readonly steps: readonly string[];
}

/** Short, non-reversible description of a secret-bearing string for failure messages. */
export function fingerprint(value: string | Uint8Array): string {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
  return `sha256:${createHash('sha256').update(bytes).digest('hex').slice(0, 16)} len:${bytes.length}`;
}

const INTERESTING_BYTES = [0x00, 0x01, 0x02, 0x08, 0x0a, 0x10, 0x12, 0x1a, 0x20, 0x22, 0x2c, 0x2e, 0x3a, 0x3d, 0x7f, 0x80, 0xc0, 0xfe, 0xff];

const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Characters and short strings that break parsers: separators of the Bearer
 * and JWS grammars, NUL and controls, lone surrogates, a full surrogate pair,
 * zero-width and bidi marks, and letters whose Unicode case mapping lands on
 * ASCII (KELVIN SIGN → k, LATIN CAPITAL I WITH DOT → i̇, LONG S → S, DOTLESS I → I).
 */
export const INTERESTING_TEXT: readonly string[] = [
  ' ', '  ', '\t', ',', ', ', '.', '..', '=', '==', '+', '/', '~', '_', '-', ':', ';', '"', '\\', '@', '#', '?', '%', '%00',
  '\u0000', '\u0001', '\u001f', '\u007f', '\r', '\n', '\r\n', '\u0085', '\u00a0', '\u00ff',
  '\ud800', '\udbff', '\udc00', '\udfff', '\ud83d\ude00', '\u200b', '\u200d', '\u202e', '\u2028', '\ufeff', '\ufffd',
  '\u212a', '\u0130', '\u0131', '\u017f', '\uff21', '\u0301', 'ß', 'K',
  'Bearer ', 'bearer', 'Basic ', 'DPoP ', 'A', 'AA', 'AAA', 'eyJ', 'null', '{}', '[]',
];

/** Byte- and character-level mutators over real seeds; deterministic for a given seed. */
export class MutationFuzzer {
  readonly random: SeededRandom;

  constructor(seed: number) {
    this.random = new SeededRandom(seed);
  }

  // -------------------------------------------------------------------------
  // Bytes

  /** `rounds` (default 1–4) byte-level mutations of `input`; `corpus` supplies splice partners. */
  mutateBytes(input: Uint8Array, corpus: readonly Uint8Array[] = [], rounds = this.random.between(1, 4)): Mutant<Buffer> {
    let bytes: Buffer = Buffer.from(input);
    const steps: string[] = [];
    for (let round = 0; round < rounds; round += 1) {
      const [name, next] = this.#byteStep(bytes, corpus);
      bytes = next;
      steps.push(name);
    }
    return { value: bytes, steps };
  }

  #byteStep(bytes: Buffer, corpus: readonly Uint8Array[]): [string, Buffer] {
    const r = this.random;
    const at = (extra = 0): number => r.below(bytes.length + extra);
    const op = r.weighted<string>([
      [4, 'bit-flip'], [3, 'interesting-byte'], [2, 'random-byte'], [2, 'insert-byte'], [2, 'delete-bytes'],
      [2, 'duplicate-chunk'], [2, 'varint-nudge'], [2, 'splice'], [1, 'overwrite-from-seed'], [1, 'truncate'], [1, 'swap-chunks'],
    ]);
    if (bytes.length === 0 && op !== 'insert-byte' && op !== 'splice') return ['insert-byte', Buffer.from([r.pick(INTERESTING_BYTES)])];
    switch (op) {
      case 'bit-flip': {
        const copy = Buffer.from(bytes);
        const index = at();
        copy[index] = copy[index]! ^ (1 << r.below(8));
        return [op, copy];
      }
      case 'interesting-byte':
      case 'random-byte': {
        const copy = Buffer.from(bytes);
        copy[at()] = op === 'random-byte' ? r.below(256) : r.pick(INTERESTING_BYTES);
        return [op, copy];
      }
      case 'insert-byte': {
        const index = at(1);
        const value = r.chance(0.5) ? r.pick(INTERESTING_BYTES) : r.below(256);
        return [op, Buffer.concat([bytes.subarray(0, index), Buffer.from([value]), bytes.subarray(index)])];
      }
      case 'delete-bytes': {
        const index = at();
        const count = Math.min(bytes.length - index, r.between(1, r.chance(0.8) ? 4 : 64));
        return [op, Buffer.concat([bytes.subarray(0, index), bytes.subarray(index + count)])];
      }
      case 'duplicate-chunk': {
        const index = at();
        const count = Math.min(bytes.length - index, r.between(1, 32));
        const chunk = bytes.subarray(index, index + count);
        const copies = r.chance(0.9) ? 1 : r.between(2, 64);
        return [op, Buffer.concat([bytes.subarray(0, index + count), ...Array<Buffer>(copies).fill(Buffer.from(chunk)), bytes.subarray(index + count)])];
      }
      case 'varint-nudge': {
        // Protobuf lengths and tags are varints: small arithmetic on a byte shifts field boundaries.
        const copy = Buffer.from(bytes);
        const index = at();
        copy[index] = (copy[index]! + r.pick([1, -1, 2, -2, 16, -16, 128])) & 0xff;
        return [op, copy];
      }
      case 'splice': {
        const other = corpus.length === 0 ? bytes : Buffer.from(r.pick(corpus));
        const cut = r.below(bytes.length + 1);
        const from = r.below(other.length + 1);
        return [op, Buffer.concat([bytes.subarray(0, cut), other.subarray(from)])];
      }
      case 'overwrite-from-seed': {
        const other = corpus.length === 0 ? bytes : Buffer.from(r.pick(corpus));
        if (other.length === 0) return [op, bytes];
        const copy = Buffer.from(bytes);
        const from = r.below(other.length);
        const count = Math.min(r.between(1, 16), other.length - from);
        other.copy(copy, at(), from, from + count);
        return [op, copy];
      }
      case 'truncate':
        return [op, bytes.subarray(0, at())];
      default: {
        const a = at();
        const b = at();
        const length = Math.min(r.between(1, 8), bytes.length - Math.max(a, b));
        const copy = Buffer.from(bytes);
        bytes.copy(copy, a, b, b + length);
        bytes.copy(copy, b, a, a + length);
        return ['swap-chunks', copy];
      }
    }
  }

  // -------------------------------------------------------------------------
  // Text

  /** `rounds` (default 1–3) character-level mutations of `input`. */
  mutateText(input: string, corpus: readonly string[] = [], rounds = this.random.between(1, 3)): Mutant<string> {
    let text = input;
    const steps: string[] = [];
    for (let round = 0; round < rounds; round += 1) {
      const [name, next] = this.#textStep(text, corpus);
      text = next;
      steps.push(name);
    }
    return { value: text, steps };
  }

  #textStep(text: string, corpus: readonly string[]): [string, string] {
    const r = this.random;
    const at = (extra = 0): number => r.below(text.length + extra);
    const op = r.weighted<string>([
      [4, 'insert-interesting'], [3, 'replace-char'], [2, 'delete-chars'], [2, 'duplicate-range'], [2, 'flip-case'],
      [2, 'splice'], [1, 'truncate'], [1, 'base64url-noise'], [1, 'repeat'], [1, 'wrap'],
    ]);
    switch (op) {
      case 'insert-interesting': {
        const index = at(1);
        return [op, text.slice(0, index) + r.pick(INTERESTING_TEXT) + text.slice(index)];
      }
      case 'replace-char': {
        if (text === '') return [op, r.pick(INTERESTING_TEXT)];
        const index = at();
        const replacement = r.chance(0.5) ? r.pick(INTERESTING_TEXT) : BASE64URL_ALPHABET.charAt(r.below(64));
        return [op, text.slice(0, index) + replacement + text.slice(index + 1)];
      }
      case 'delete-chars': {
        const index = at();
        return [op, text.slice(0, index) + text.slice(index + r.between(1, r.chance(0.8) ? 3 : 40))];
      }
      case 'duplicate-range': {
        const index = at();
        const end = Math.min(text.length, index + r.between(1, 40));
        return [op, text.slice(0, end) + text.slice(index, end) + text.slice(end)];
      }
      case 'flip-case': {
        if (text === '') return [op, text];
        const index = at();
        const character = text.charAt(index);
        const flipped = character === character.toUpperCase() ? character.toLowerCase() : character.toUpperCase();
        return [op, text.slice(0, index) + flipped + text.slice(index + 1)];
      }
      case 'splice': {
        const other = corpus.length === 0 ? text : r.pick(corpus);
        return [op, text.slice(0, r.below(text.length + 1)) + other.slice(r.below(other.length + 1))];
      }
      case 'truncate':
        return [op, text.slice(0, at())];
      case 'base64url-noise': {
        let noise = '';
        for (let count = r.between(1, 8); count > 0; count -= 1) noise += BASE64URL_ALPHABET.charAt(r.below(64));
        const index = at(1);
        return [op, text.slice(0, index) + noise + text.slice(index)];
      }
      case 'repeat':
        return [op, text.repeat(r.between(2, 4))];
      default:
        return ['wrap', `${r.pick(INTERESTING_TEXT)}${text}${r.pick(INTERESTING_TEXT)}`];
    }
  }

  // -------------------------------------------------------------------------
  // JSON

  /**
   * One to three JSON-level mutations of `value` (a decoded JWS header or
   * claims set), serialised to raw bytes. The raw form can hold what
   * `JSON.stringify` cannot: duplicated keys, `1e309`, `-0`, invalid UTF-8.
   */
  mutateJSON(value: unknown, rounds = this.random.between(1, 3)): Mutant<Buffer> {
    let node = toNode(value);
    const steps: string[] = [];
    let rawEdits: RawEdit[] = [];
    for (let round = 0; round < rounds; round += 1) {
      const [name, next, edit] = this.#jsonStep(node);
      node = next;
      steps.push(name);
      if (edit !== undefined) rawEdits = [...rawEdits, edit];
    }
    let bytes: Buffer = Buffer.from(serialise(node), 'utf8');
    for (const edit of rawEdits) bytes = edit(bytes, this.random);
    return { value: bytes, steps };
  }

  #jsonStep(root: JSONNode): [string, JSONNode, RawEdit?] {
    const r = this.random;
    const target = r.chance(0.8) || root.kind !== 'object' ? root : pickNestedObject(root, r);
    if (target.kind !== 'object') {
      return ['replace-root', r.chance(0.5) ? randomNode(r, 2) : { kind: 'object', entries: [] }];
    }
    const entries = target.entries;
    const existing = entries.length === 0 ? undefined : r.pick(entries);
    const op = r.weighted<string>([
      [4, 'change-type'], [3, 'interesting-value'], [3, 'mutate-string'], [2, 'delete-key'], [3, 'add-key'],
      [2, 'duplicate-key'], [1, 'deep-nesting'], [1, 'huge-value'], [2, 'wrap-array'], [1, 'raw-invalid-utf8'],
      [1, 'raw-text-edit'], [1, 'replace-root'],
    ]);
    const replaceValue = (key: string, value: JSONNode): JSONNode => {
      const index = entries.findIndex(([name]) => name === key);
      if (index === -1) entries.push([key, value]);
      else entries[index] = [key, value];
      return root;
    };
    switch (op) {
      case 'change-type':
        if (existing === undefined) break;
        return [op, replaceValue(existing[0], randomNode(r, 2, existing[1].kind))];
      case 'interesting-value':
        if (existing === undefined) break;
        return [op, replaceValue(existing[0], interestingNode(r))];
      case 'mutate-string': {
        const strings = entries.filter(([, value]) => value.kind === 'string');
        if (strings.length === 0) break;
        const [key, value] = r.pick(strings);
        return [op, replaceValue(key, { kind: 'string', value: this.#stringVariant((value as { value: string }).value) })];
      }
      case 'delete-key':
        if (existing === undefined) break;
        entries.splice(entries.indexOf(existing), 1);
        return [op, root];
      case 'add-key':
        entries.push([r.pick(INTERESTING_KEYS), r.chance(0.5) ? interestingNode(r) : randomNode(r, 2)]);
        return [op, root];
      case 'duplicate-key': {
        if (existing === undefined) break;
        // JSON.parse keeps the last duplicate: put the copy first or last.
        const copy: [string, JSONNode] = [existing[0], r.chance(0.5) ? interestingNode(r) : randomNode(r, 1)];
        if (r.chance(0.5)) entries.unshift(copy);
        else entries.push(copy);
        return [op, root];
      }
      case 'deep-nesting': {
        const depth = r.pick([16, 128, 1024, 3000, 5000]);
        const key = existing !== undefined && r.chance(0.5) ? existing[0] : r.pick(INTERESTING_KEYS);
        return [op, replaceValue(key, { kind: 'raw', text: nested(depth, r.pick(['array', 'object', 'object-of-arrays'])) })];
      }
      case 'huge-value': {
        const key = existing !== undefined && r.chance(0.5) ? existing[0] : r.pick(INTERESTING_KEYS);
        const size = r.pick([1024, 8000, 12_000, 40_000]);
        const value: JSONNode = r.chance(0.5)
          ? { kind: 'string', value: 'A'.repeat(size) }
          : { kind: 'array', items: Array.from({ length: Math.floor(size / 4) }, (_, index) => ({ kind: 'raw', text: String(index % 10) })) };
        return [op, replaceValue(key, value)];
      }
      case 'wrap-array': {
        if (existing === undefined) break;
        const [key, value] = existing;
        if (value.kind === 'array' && value.items.length > 0 && r.chance(0.5)) return ['unwrap-array', replaceValue(key, value.items[0]!)];
        const items = r.chance(0.5) ? [value] : [interestingNode(r), value];
        return [op, replaceValue(key, { kind: 'array', items: r.chance(0.2) ? [{ kind: 'array', items }] : items })];
      }
      case 'raw-invalid-utf8':
        return [op, root, invalidUTF8Edit];
      case 'raw-text-edit':
        return [op, root, rawTextEdit];
      case 'replace-root':
        return [op, r.chance(0.5) ? randomNode(r, 2) : { kind: 'object', entries: [] }];
      default:
        break;
    }
    entries.push([r.pick(INTERESTING_KEYS), randomNode(r, 1)]);
    return ['add-key', root];
  }

  /** A near-miss of a string claim: audience-rule edge cases, scope spellings, or text noise. */
  #stringVariant(value: string): string {
    const r = this.random;
    if (/^https?:\/\//i.test(value) && r.chance(0.7)) return r.pick(uriVariants(value));
    if (value.includes(':') && !value.includes('//') && r.chance(0.5)) return r.pick(scopeVariants(value));
    if (r.chance(0.3)) return r.pick(typVariants(value));
    return this.mutateText(value).value;
  }

  // -------------------------------------------------------------------------
  // Compact JWS

  /**
   * A mutation of a compact JWS `token`. `resign` is set when a header or
   * payload was changed at JSON level and the caller may re-sign the new
   * signing input (the mutant's `value` keeps the old signature until then).
   */
  mutateToken(token: string, corpus: readonly string[] = []): TokenMutant {
    const r = this.random;
    const kind = r.weighted<'text' | 'segments' | 'json' | 'base64'>([[3, 'text'], [3, 'segments'], [5, 'json'], [1, 'base64']]);
    const segments = token.split('.');
    if (kind === 'text') {
      const mutant = this.mutateText(token, corpus);
      return { value: mutant.value, steps: mutant.steps.map((step) => `text:${step}`), resign: undefined };
    }
    if (kind === 'base64') return this.#base64Mutant(segments);
    if (kind === 'segments') return this.#segmentMutant(segments, corpus);
    const which = segments.length >= 2 && r.chance(0.7) ? 1 : 0;
    const decoded = decodeSegmentJSON(segments[which] ?? '');
    const mutant = this.mutateJSON(decoded === undefined ? {} : decoded);
    const encoded = mutant.value.toString('base64url');
    const next = [...segments];
    next[which] = encoded;
    while (next.length < 3) next.push('');
    const header = which === 0 ? mutant.value : Buffer.from(next[0]!, 'base64url');
    const payload = which === 1 ? mutant.value : Buffer.from(next[1]!, 'base64url');
    return {
      value: next.join('.'),
      steps: mutant.steps.map((step) => `json:${which === 0 ? 'header' : 'payload'}:${step}`),
      resign: { header, payload },
    };
  }

  #segmentMutant(segments: readonly string[], corpus: readonly string[]): TokenMutant {
    const r = this.random;
    const next = [...segments];
    const op = r.weighted<string>([[4, 'swap-with-seed'], [2, 'swap-within'], [1, 'drop'], [1, 'duplicate'], [1, 'extra-segments'], [1, 'empty'], [1, 'separator']]);
    const index = r.below(Math.max(1, next.length));
    switch (op) {
      case 'swap-with-seed': {
        const other = (corpus.length === 0 ? segments.join('.') : r.pick(corpus)).split('.');
        const position = r.below(3);
        next[position] = other[position] ?? '';
        return { value: next.join('.'), steps: [`segments:swap-with-seed:${['header', 'payload', 'signature'][position] ?? ''}`], resign: undefined };
      }
      case 'swap-within': {
        const a = r.below(next.length);
        const b = r.below(next.length);
        [next[a], next[b]] = [next[b] ?? '', next[a] ?? ''];
        return { value: next.join('.'), steps: ['segments:swap-within'], resign: undefined };
      }
      case 'drop':
        next.splice(index, 1);
        return { value: next.join('.'), steps: ['segments:drop'], resign: undefined };
      case 'duplicate':
        next.splice(index, 0, next[index] ?? '');
        return { value: next.join('.'), steps: ['segments:duplicate'], resign: undefined };
      case 'extra-segments':
        // Five segments is the JWE compact shape.
        return { value: [...next, ...next.slice(0, 2)].join('.'), steps: ['segments:extra'], resign: undefined };
      case 'empty':
        next[index] = '';
        return { value: next.join('.'), steps: ['segments:empty'], resign: undefined };
      default:
        return { value: next.join(r.pick(['..', '.', '. ', '.=', '=.'])), steps: ['segments:separator'], resign: undefined };
    }
  }

  #base64Mutant(segments: readonly string[]): TokenMutant {
    const r = this.random;
    const next = [...segments];
    const index = r.below(Math.max(1, next.length));
    const segment = next[index] ?? '';
    const op = r.pick(['padding', 'standard-alphabet', 'trailing-char', 'non-canonical-bits', 'whitespace']);
    switch (op) {
      case 'padding':
        next[index] = `${segment}${r.pick(['=', '==', '==='])}`;
        break;
      case 'standard-alphabet':
        next[index] = segment.replace(/-/g, '+').replace(/_/g, '/');
        break;
      case 'trailing-char':
        // A segment of length 4n+1 is not base64url at all; some decoders drop the lone character.
        next[index] = `${segment}${BASE64URL_ALPHABET.charAt(r.below(64))}`;
        break;
      case 'non-canonical-bits': {
        // Flip the low bits of the last character: a lenient decoder yields the same bytes.
        const last = segment.charAt(segment.length - 1);
        const position = BASE64URL_ALPHABET.indexOf(last);
        if (position !== -1) next[index] = segment.slice(0, -1) + BASE64URL_ALPHABET.charAt(position ^ r.between(1, 3));
        break;
      }
      default:
        next[index] = `${segment.slice(0, 4)}${r.pick([' ', '\n', '\t'])}${segment.slice(4)}`;
        break;
    }
    return { value: next.join('.'), steps: [`base64:${op}:${['header', 'payload', 'signature'][index] ?? 'extra'}`], resign: undefined };
  }

  // -------------------------------------------------------------------------
  // Structured documents (policies)

  /**
   * One to three mutations at random places of a JSON-like document (a policy):
   * delete, change type, interesting values (including names of
   * `Object.prototype` members), oversized lists, deep nesting, string
   * near-misses, unknown keys. Returns a new value; `value` is not changed.
   */
  mutateDocument(value: unknown, rounds = this.random.between(1, 3)): Mutant<unknown> {
    let document: unknown = structuredClone(value);
    const steps: string[] = [];
    for (let round = 0; round < rounds; round += 1) {
      const slots = collectSlots(document);
      const slot = this.random.pick(slots);
      const [name, replacement] = this.#documentStep(slot.get());
      if (slot.path.length === 0) document = replacement === DELETE ? null : replacement;
      else if (replacement === DELETE) slot.remove();
      else slot.set(replacement);
      steps.push(`${name}@${slot.path.join('/') || '(root)'}`);
    }
    return { value: document, steps };
  }

  #documentStep(current: unknown): [string, unknown] {
    const r = this.random;
    const op = r.weighted<string>([
      [3, 'interesting'], [2, 'change-type'], [2, 'delete'], [2, 'mutate-string'], [1, 'add-unknown-key'],
      [1, 'oversized-list'], [1, 'deep-nesting'], [1, 'duplicate-item'], [1, 'prototype-name'],
    ]);
    switch (op) {
      case 'delete':
        return [op, DELETE];
      case 'change-type':
        return [op, r.pick<unknown>([null, true, 0, -1, 1.5, 2 ** 53, '', 'x', [], {}, [current], { value: current }])];
      case 'mutate-string':
        return typeof current === 'string' ? [op, this.#stringVariant(current)] : [op, r.pick(INTERESTING_STRINGS)];
      case 'add-unknown-key':
        return isPlainObject(current) ? [op, { ...current, [r.pick(['extra', 'Resource', 'resource ', '__proto__', 'constructor', 'status'])]: r.pick<unknown>(['x', 1, null, {}]) }] : [op, current];
      case 'oversized-list':
        return [op, Array.from({ length: r.pick([9, 33, 65, 1000]) }, (_, index) => (typeof current === 'string' ? `${current}${index}` : Array.isArray(current) && current.length > 0 ? (current as unknown[])[0] : `v${index}`))];
      case 'deep-nesting': {
        let nestedValue: unknown = current;
        for (let depth = r.chance(0.9) ? r.pick([10, 100]) : 1000; depth > 0; depth -= 1) nestedValue = r.chance(0.5) ? [nestedValue] : { a: nestedValue };
        return [op, nestedValue];
      }
      case 'duplicate-item':
        return Array.isArray(current) && current.length > 0 ? [op, [...(current as unknown[]), (current as unknown[])[0]]] : [op, current];
      case 'prototype-name':
        return [op, r.pick(PROTOTYPE_NAMES)];
      default:
        return [op, r.pick<unknown>([...INTERESTING_STRINGS, 0, -1, 301, Number.POSITIVE_INFINITY, Number.NaN, 'mcp:admin', 'offline_access', 'http://localhost/x', 'https://a.example/x?y', 'https://u@a.example/', '*.example.com', '*', '/', '//', '/mcp?x', 'Strict', 'Permissive', 'jwt', 'rfc9068', 'none', 'HS256'])];
    }
  }

  /** An `Authorization` value around `token`: scheme spellings, separators, repeats, other schemes. */
  authorizationFor(token: string): Mutant<string> {
    const r = this.random;
    const op = r.weighted<string>([[6, 'bearer'], [2, 'scheme-case'], [1, 'spaces'], [1, 'tab'], [1, 'repeated-header'], [1, 'other-scheme'], [1, 'no-space'], [1, 'trailing'], [1, 'text']]);
    switch (op) {
      case 'bearer': return { value: `Bearer ${token}`, steps: ['auth:bearer'] };
      case 'scheme-case': return { value: `${r.pick(['bearer', 'BEARER', 'bEaReR', 'Bearer', 'Be\u0430rer', 'Bearer\u0000'])} ${token}`, steps: ['auth:scheme-case'] };
      case 'spaces': return { value: `Bearer${' '.repeat(r.between(2, 5))}${token}`, steps: ['auth:spaces'] };
      case 'tab': return { value: `Bearer\t${token}`, steps: ['auth:tab'] };
      case 'repeated-header': return { value: `Bearer ${token},Bearer ${token}`, steps: ['auth:repeated-header'] };
      case 'other-scheme': return { value: `${r.pick(['Basic', 'DPoP', 'Token', 'MAC', 'Negotiate'])} ${token}`, steps: ['auth:other-scheme'] };
      case 'no-space': return { value: `Bearer${token}`, steps: ['auth:no-space'] };
      case 'trailing': return { value: `Bearer ${token}${r.pick([' ', '  ', '\t', '=', '==', ' x', '\r\n'])}`, steps: ['auth:trailing'] };
      default: {
        const mutant = this.mutateText(`Bearer ${token}`);
        return { value: mutant.value, steps: mutant.steps.map((step) => `auth:text:${step}`) };
      }
    }
  }
}

/** A token mutant; `resign` holds the raw header and payload bytes when a JSON-level mutation may be re-signed. */
export interface TokenMutant extends Mutant<string> {
  readonly resign: { readonly header: Buffer; readonly payload: Buffer } | undefined;
}

// ---------------------------------------------------------------------------
// Document slots

const DELETE = Symbol('delete');

/** Names that exist on every plain object through its prototype. */
export const PROTOTYPE_NAMES: readonly string[] = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__', 'isPrototypeOf', '__defineGetter__', 'toLocaleString'];

interface Slot {
  readonly path: readonly string[];
  get(): unknown;
  set(value: unknown): void;
  remove(): void;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every place in a document (the root, each property, each list item), depth first. */
function collectSlots(document: unknown): Slot[] {
  const slots: Slot[] = [{ path: [], get: () => document, set: () => undefined, remove: () => undefined }];
  const visit = (value: unknown, path: readonly string[], depth: number): void => {
    if (depth > 12) return;
    if (Array.isArray(value)) {
      const list = value as unknown[];
      list.forEach((item, index) => {
        slots.push({ path: [...path, String(index)], get: () => list[index], set: (next) => { list[index] = next; }, remove: () => { list.splice(index, 1); } });
        visit(item, [...path, String(index)], depth + 1);
      });
    } else if (isPlainObject(value)) {
      for (const key of Object.keys(value)) {
        slots.push({
          path: [...path, key],
          get: () => value[key],
          set: (next) => { Object.defineProperty(value, key, { value: next, enumerable: true, writable: true, configurable: true }); },
          remove: () => { Reflect.deleteProperty(value, key); },
        });
        visit(value[key], [...path, key], depth + 1);
      }
    }
  };
  visit(document, [], 0);
  return slots;
}

// ---------------------------------------------------------------------------
// JSON model with room for what JSON.stringify cannot express

type JSONNode =
  | { kind: 'object'; entries: [string, JSONNode][] }
  | { kind: 'array'; items: JSONNode[] }
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'null' }
  /** Raw JSON text inserted verbatim (numbers like 1e309, deep nesting). */
  | { kind: 'raw'; text: string };

type RawEdit = (bytes: Buffer, random: SeededRandom) => Buffer;

function toNode(value: unknown): JSONNode {
  if (value === null) return { kind: 'null' };
  if (Array.isArray(value)) return { kind: 'array', items: value.map(toNode) };
  switch (typeof value) {
    case 'string': return { kind: 'string', value };
    case 'number': return Number.isFinite(value) ? { kind: 'number', value } : { kind: 'raw', text: value > 0 ? '1e309' : value < 0 ? '-1e309' : '0' };
    case 'boolean': return { kind: 'boolean', value };
    case 'object': return { kind: 'object', entries: Object.entries(value as Record<string, unknown>).map(([key, item]) => [key, toNode(item)]) };
    case 'bigint': case 'function': case 'symbol': case 'undefined': break;
  }
  return { kind: 'null' };
}

function serialise(node: JSONNode): string {
  switch (node.kind) {
    case 'object': return `{${node.entries.map(([key, value]) => `${JSON.stringify(key)}:${serialise(value)}`).join(',')}}`;
    case 'array': return `[${node.items.map(serialise).join(',')}]`;
    case 'string': return JSON.stringify(node.value);
    case 'number': return Object.is(node.value, -0) ? '-0' : JSON.stringify(node.value);
    case 'boolean': return node.value ? 'true' : 'false';
    case 'null': return 'null';
    case 'raw': return node.text;
  }
}

function pickNestedObject(root: JSONNode & { kind: 'object' }, random: SeededRandom): JSONNode {
  const objects = root.entries.map(([, value]) => value).filter((value) => value.kind === 'object');
  return objects.length === 0 ? root : random.pick(objects);
}

/** Header parameters and claims the decision reads, and ones it must ignore or refuse. */
const INTERESTING_KEYS = [
  'alg', 'typ', 'kid', 'crit', 'enc', 'zip', 'jku', 'x5u', 'jwk', 'x5c', 'b64', 'cty',
  'iss', 'aud', 'sub', 'client_id', 'exp', 'nbf', 'iat', 'jti', 'scope', 'scp', 'cnf', 'nonce', 'at_hash', 'act',
  '__proto__', 'constructor', 'toString', '', '\u0000', 'ISS', 'aud ', 'a\u0301ud',
];

const RAW_NUMBERS = ['1e309', '-1e309', '-0', '0', '1e-7', '0.5', '-1', '9007199254740993', '1e21', '4102444800', '32503680000', '1E3', '1.0', '99999999999999999999999'];

const INTERESTING_STRINGS = [
  '', ' ', 'NaN', 'Infinity', '-Infinity', '1e309', 'null', 'true', '0', 'none', 'RS256', 'HS256', 'ES384', 'EdDSA', 'at+jwt', 'JWT',
  'application/at+jwt', 'AT+JWT', 'at+jwt; charset=utf-8', 'mcp:tools', 'mcp:admin', 'mcp:tools mcp:admin', 'https://mcp.example.com/mcp',
  '\u0000', 'a\u0000b', '\ud800', '\udc00', '\ud83d\ude00', '\u202e', '\ufeff', '\u212a', '\u0130', 'ß',
];

function interestingNode(random: SeededRandom): JSONNode {
  switch (random.below(5)) {
    case 0:
    case 1: return { kind: 'raw', text: random.pick(RAW_NUMBERS) };
    case 2:
    case 3: return { kind: 'string', value: random.pick(INTERESTING_STRINGS) };
    default: return random.pick<JSONNode>([{ kind: 'null' }, { kind: 'boolean', value: true }, { kind: 'boolean', value: false }, { kind: 'array', items: [] }, { kind: 'object', entries: [] }]);
  }
}

function randomNode(random: SeededRandom, depth: number, avoid?: JSONNode['kind']): JSONNode {
  for (;;) {
    const node = randomNodeOnce(random, depth);
    if (node.kind !== avoid) return node;
  }
}

function randomNodeOnce(random: SeededRandom, depth: number): JSONNode {
  switch (random.below(depth > 0 ? 7 : 5)) {
    case 0: return { kind: 'string', value: random.pick(INTERESTING_STRINGS) };
    case 1: return { kind: 'number', value: random.pick([0, 1, -1, 1.5, 1_700_000_000, 2 ** 31, 2 ** 53]) };
    case 2: return { kind: 'boolean', value: random.chance(0.5) };
    case 3: return { kind: 'null' };
    case 4: return { kind: 'raw', text: random.pick(RAW_NUMBERS) };
    case 5: return { kind: 'array', items: Array.from({ length: random.below(4) }, () => randomNodeOnce(random, depth - 1)) };
    default: return { kind: 'object', entries: Array.from({ length: random.below(3) }, () => [random.pick(INTERESTING_KEYS), randomNodeOnce(random, depth - 1)] as [string, JSONNode]) };
  }
}

function nested(depth: number, shape: 'array' | 'object' | 'object-of-arrays'): string {
  switch (shape) {
    case 'array': return `${'['.repeat(depth)}${']'.repeat(depth)}`;
    case 'object': return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    case 'object-of-arrays': return `{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`;
  }
}

/** Inserts an invalid UTF-8 sequence inside the JSON text (ideally inside a string value). */
const invalidUTF8Edit: RawEdit = (bytes, random) => {
  const quotes: number[] = [];
  for (let index = 0; index < bytes.length; index += 1) if (bytes[index] === 0x22) quotes.push(index);
  const at = quotes.length > 0 ? random.pick(quotes) + 1 : random.below(bytes.length + 1);
  const sequence = random.pick([[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf4, 0x90, 0x80, 0x80], [0x80]]);
  return Buffer.concat([bytes.subarray(0, at), Buffer.from(sequence), bytes.subarray(at)]);
};

/** Text edits around the JSON: a BOM, trailing garbage or whitespace, a second value, a truncation. */
const rawTextEdit: RawEdit = (bytes, random) => {
  switch (random.below(6)) {
    case 0: return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]);
    case 1: return Buffer.concat([bytes, Buffer.from(random.pick([' ', '\n', '\t', '\r\n']))]);
    case 2: return Buffer.concat([Buffer.from(random.pick([' ', '\n', '\t'])), bytes]);
    case 3: return Buffer.concat([bytes, Buffer.from(random.pick(['{}', ',', 'x', '\u0000', '}']))]);
    case 4: return bytes.subarray(0, Math.max(0, bytes.length - random.between(1, 3)));
    default: return Buffer.concat([bytes.subarray(0, 1), Buffer.from(' '), bytes.subarray(1)]);
  }
};

/** The JSON value of a base64url segment, or undefined. */
export function decodeSegmentJSON(segment: string): unknown {
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** Near-misses of an http(s) URI for the audience rule (docs/contract.md §2.2). */
export function uriVariants(value: string): string[] {
  const match = /^(https?):\/\/([^/?#]*)(.*)$/i.exec(value);
  if (match === null) return [value];
  const [, scheme = '', authority = '', rest = ''] = match;
  const defaultPort = scheme.toLowerCase() === 'https' ? '443' : '80';
  return [
    `${scheme.toUpperCase()}://${authority}${rest}`,
    `${scheme}://${authority.toUpperCase()}${rest}`,
    `${scheme}://${authority}:${defaultPort}${rest}`,
    `${scheme}://${authority}:0${defaultPort}${rest}`,
    `${scheme}://${authority}:${rest}`,
    `${scheme}://${authority}:8443${rest}`,
    `${scheme === 'https' ? 'http' : 'https'}://${authority}${rest}`,
    `${scheme}://${authority}${rest}/`,
    `${scheme}://${authority}${rest.replace(/\/$/, '')}`,
    `${scheme}://${authority}${rest.toUpperCase()}`,
    `${scheme}://${authority}${rest}#frag`,
    `${scheme}://${authority}${rest}#`,
    `${scheme}://${authority}${rest}?x=1`,
    `${scheme}://${authority}`,
    `${scheme}://user@${authority}${rest}`,
    `${scheme}://${authority}@evil.example${rest}`,
    `${scheme}://${authority}.${rest}`,
    `${scheme}://${authority}${rest}/.`,
    `${scheme}://${authority}/./${rest.replace(/^\//, '')}`,
    `${scheme}://${authority}${rest.replace(/m/g, '%6d')}`,
    `${scheme}://${authority.replace(/k/g, '\u212a')}${rest}`,
    `${scheme}://${authority}${rest}\u0000`,
    `${scheme}://${authority}${rest} `,
    ` ${value}`,
    `${scheme}:/${authority}${rest}`,
    `${scheme}://${authority}${rest}\n#x`,
    `${scheme}://[::1]${rest}`,
    `${scheme}://${authority}\\${rest}`,
  ];
}

function scopeVariants(value: string): string[] {
  return [value.toUpperCase(), `${value} `, ` ${value}`, `${value}\t`, `${value},${value}`, `${value}  ${value}`, value.replace(':', '\u0000'), `${value}:x`, value.slice(0, -1), `mcp:admin`, 'mcp:tools mcp:admin', 'offline_access', ''];
}

function typVariants(value: string): string[] {
  return [value.toUpperCase(), `application/${value}`, `Application/${value}`, `application/application/${value}`, `${value} `, `x/${value}`, 'at+jwt', 'JWT', 'jwt', 'at+JWT', 'application/jwt', 'at+jwt; q=1', 'JOSE', ''];
}
