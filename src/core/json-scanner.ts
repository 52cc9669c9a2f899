/**
 * The tokens of a JSON (RFC 8259) syntax scanner over a string: whitespace,
 * strings, numbers and literals, checked the way `JSON.parse` checks them —
 * the same grammar, the same four whitespace characters, lone surrogates
 * allowed in strings — without building any value. Values and containers:
 * src/core/json-value.ts.
 *
 * Every function returns the position after what it scanned, or -1 when the
 * text there is not what it should be; none throws.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

/** Position of the first non-whitespace character at or after `at` (space, tab, LF, CR only). */
export function skipWhitespace(text: string, at: number): number {
  let position = at;
  for (;;) {
    const code = text.charCodeAt(position);
    if (code !== 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) return position;
    position += 1;
  }
}

const ESCAPABLE = new Set([QUOTE, BACKSLASH, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74]); // " \ / b f n r t

function isHex(code: number): boolean {
  return (code >= DIGIT_0 && code <= DIGIT_9) || (code >= 0x41 && code <= 0x46) || (code >= 0x61 && code <= 0x66);
}

/** A run of string characters that need no look: neither `"`, `\` nor a control character (sticky: matched at lastIndex). */
// eslint-disable-next-line no-control-regex -- RFC 8259 §7: a raw control character ends the run (and the string is invalid)
const PLAIN_RUN = /[^"\\\u0000-\u001f]*/y;

/** The position after the string literal starting at `at` (a `"`), or -1. `escaped` learns whether it held a `\`. */
export function scanString(text: string, at: number, escaped?: { value: boolean }): number {
  if (text.charCodeAt(at) !== QUOTE) return -1;
  let position = at + 1;
  for (;;) {
    // The regular expression engine skips a run of plain characters far faster than a loop (bench/README.md).
    PLAIN_RUN.lastIndex = position;
    PLAIN_RUN.test(text);
    position = PLAIN_RUN.lastIndex;
    const code = text.charCodeAt(position);
    if (code === QUOTE) return position + 1;
    if (Number.isNaN(code) || code < 0x20) return -1; // the end of the text, or an unescaped control character
    if (code === BACKSLASH) {
      if (escaped !== undefined) escaped.value = true;
      const next = text.charCodeAt(position + 1);
      if (next === 0x75) { // \uXXXX
        for (let index = 2; index < 6; index += 1) if (!isHex(text.charCodeAt(position + index))) return -1;
        position += 6;
      } else if (ESCAPABLE.has(next)) {
        position += 2;
      } else {
        return -1;
      }
    } else {
      position += 1;
    }
  }
}

function skipDigits(text: string, at: number): number {
  let position = at;
  for (;;) {
    const code = text.charCodeAt(position);
    if (code < DIGIT_0 || code > DIGIT_9 || Number.isNaN(code)) return position;
    position += 1;
  }
}

/** The position after the number starting at `at`, or -1 (`-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`). */
export function scanNumber(text: string, at: number): number {
  let position = text.charCodeAt(at) === MINUS ? at + 1 : at;
  const first = text.charCodeAt(position);
  if (first === DIGIT_0) position += 1;
  else if (first > DIGIT_0 && first <= DIGIT_9) position = skipDigits(text, position + 1);
  else return -1;
  if (text.charCodeAt(position) === 0x2e) { // .
    const end = skipDigits(text, position + 1);
    if (end === position + 1) return -1;
    position = end;
  }
  const exponent = text.charCodeAt(position);
  if (exponent === 0x65 || exponent === 0x45) { // e E
    const sign = text.charCodeAt(position + 1);
    const digits = sign === 0x2b || sign === MINUS ? position + 2 : position + 1;
    const end = skipDigits(text, digits);
    if (end === digits) return -1;
    position = end;
  }
  return position;
}

export function scanLiteral(text: string, at: number): number {
  const code = text.charCodeAt(at);
  const literal = code === 0x74 ? 'true' : code === 0x66 ? 'false' : code === 0x6e ? 'null' : undefined;
  return literal !== undefined && text.startsWith(literal, at) ? at + literal.length : -1;
}
