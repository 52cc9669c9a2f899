/**
 * A JSON (RFC 8259) syntax scanner over a string: it checks a document the
 * way `JSON.parse` does — the same grammar, the same four whitespace
 * characters, lone surrogates allowed in strings — without building any
 * value, so a large `arguments` object costs a walk and no allocation. The
 * MCP message reader (src/core/mcp-message.ts) materialises the few members
 * it needs through `JSON.parse` of their own small slices.
 *
 * Every function returns the position after what it scanned, or -1 when the
 * text there is not what it should be; none throws, none recurses (nesting
 * depth costs an array entry, not a stack frame).
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
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

/** The position after the string literal starting at `at` (a `"`), or -1. `escaped` learns whether it held a `\`. */
export function scanString(text: string, at: number, escaped?: { value: boolean }): number {
  if (text.charCodeAt(at) !== QUOTE) return -1;
  let position = at + 1;
  for (;;) {
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

function scanLiteral(text: string, at: number): number {
  for (const literal of ['true', 'false', 'null']) if (text.startsWith(literal, at)) return at + literal.length;
  return -1;
}

/** The position after the member name and its `:` (whitespace skipped on both sides), or -1. */
function scanMemberName(text: string, at: number): number {
  const end = scanString(text, skipWhitespace(text, at));
  if (end < 0) return -1;
  const colon = skipWhitespace(text, end);
  return text.charCodeAt(colon) === COLON ? colon + 1 : -1;
}

/** The position after the one value (of any kind, nested to any depth) that starts at `at` after whitespace, or -1. */
export function scanValue(text: string, at: number): number {
  const open: number[] = []; // the closing character each open container waits for
  let position = at;
  for (;;) {
    // A value starts here.
    position = skipWhitespace(text, position);
    const code = text.charCodeAt(position);
    if (code === OPEN_OBJECT || code === OPEN_ARRAY) {
      const close = code === OPEN_OBJECT ? CLOSE_OBJECT : CLOSE_ARRAY;
      const inner = skipWhitespace(text, position + 1);
      if (text.charCodeAt(inner) !== close) {
        open.push(close);
        position = code === OPEN_OBJECT ? scanMemberName(text, inner) : inner;
        if (position < 0) return -1;
        continue;
      }
      position = inner + 1;
    } else {
      if (code === QUOTE) position = scanString(text, position);
      else if (code === MINUS || (code >= DIGIT_0 && code <= DIGIT_9)) position = scanNumber(text, position);
      else position = scanLiteral(text, position);
      if (position < 0) return -1;
    }
    // A value ended: close containers, or go on to the next item.
    for (;;) {
      const close = open.at(-1);
      if (close === undefined) return position;
      position = skipWhitespace(text, position);
      const next = text.charCodeAt(position);
      if (next === close) {
        open.pop();
        position += 1;
      } else if (next === COMMA) {
        position = close === CLOSE_OBJECT ? scanMemberName(text, position + 1) : position + 1;
        if (position < 0) return -1;
        break;
      } else {
        return -1;
      }
    }
  }
}
