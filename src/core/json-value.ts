/**
 * A whole JSON value, nested to any depth, checked and skipped without
 * building it (src/core/json-scanner.ts scans its tokens), so a large
 * `arguments` object costs a walk and no allocation. The MCP message reader
 * (src/core/mcp-message.ts) materialises the few members it needs through
 * `JSON.parse` of their own small slices. Never throws, never recurses:
 * nesting depth costs an array entry, not a stack frame.
 */
import { scanLiteral, scanNumber, scanString, skipWhitespace } from './json-scanner.ts';

const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const MINUS = 0x2d;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
/** Longest spelling, in quotes, checked for a watched name: 8 characters, each written `\uXXXX`. */
const LONGEST_SPELLING = 2 + 8 * 6;

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

/** Called for each member: `name` is its name when watched, else undefined; returns the position after the value, or -1. */
export type OnMember = (name: string | undefined, valueAt: number) => number;

/**
 * The position after the object at `at` (after whitespace), or -1 for bad
 * syntax, or a `watched` member (one whose value matters) that appears twice
 * or whose name is spelled with an escape: parsers differ on which duplicate
 * wins, and an escaped name is a second spelling of the same member.
 */
export function scanObject(text: string, at: number, watched: ReadonlySet<string>, onMember: OnMember): number {
  let position = skipWhitespace(text, at);
  if (text.charCodeAt(position) !== OPEN_OBJECT) return -1;
  position = skipWhitespace(text, position + 1);
  if (text.charCodeAt(position) === CLOSE_OBJECT) return position + 1;
  const seen = new Set<string>();
  for (;;) {
    const start = skipWhitespace(text, position);
    const escaped = { value: false };
    const end = scanString(text, start, escaped);
    if (end < 0) return -1;
    let name: string | undefined;
    if (!escaped.value) {
      const plain = text.slice(start + 1, end - 1);
      if (watched.has(plain)) name = plain;
    } else if (end - start <= LONGEST_SPELLING && watched.has(JSON.parse(text.slice(start, end)) as string)) {
      return -1;
    }
    if (name !== undefined) {
      if (seen.has(name)) return -1;
      seen.add(name);
    }
    const colon = skipWhitespace(text, end);
    if (text.charCodeAt(colon) !== COLON) return -1;
    const valueEnd = onMember(name, skipWhitespace(text, colon + 1));
    if (valueEnd < 0) return -1;
    position = skipWhitespace(text, valueEnd);
    const next = text.charCodeAt(position);
    if (next === CLOSE_OBJECT) return position + 1;
    if (next !== COMMA) return -1;
    position += 1;
  }
}
