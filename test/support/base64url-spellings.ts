/**
 * Other spellings of one base64url segment (RFC 4648 §3.5): when a segment's
 * length is 4n+2 or 4n+3, its last character carries 4 or 2 bits that encode
 * nothing. Setting them gives a different string that a lenient decoder (such
 * as Node's Buffer) reads as the very same bytes — the same token under
 * another SHA-256.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The low bits of the last character that carry no data (0 when the segment has none). */
export function padBitMask(segment: string): number {
  const rest = segment.length % 4;
  return rest === 2 ? 0b1111 : rest === 3 ? 0b11 : 0;
}

/** `segment` with its pad bits set to `bits` (1..mask), i.e. one non-canonical spelling. */
export function withPadBits(segment: string, bits: number): string {
  const mask = padBitMask(segment);
  if (bits < 1 || bits > mask) throw new RangeError(`pad bits ${String(bits)} outside 1..${String(mask)}`);
  const last = ALPHABET.indexOf(segment.charAt(segment.length - 1));
  if (last < 0 || (last & mask) !== 0) throw new RangeError('not a canonical base64url segment');
  return segment.slice(0, -1) + ALPHABET.charAt(last | bits);
}

/** Every non-canonical spelling that differs from `segment` only in its pad bits (15, 3 or none). */
export function padBitSpellings(segment: string): string[] {
  return Array.from({ length: padBitMask(segment) }, (_, index) => withPadBits(segment, index + 1));
}

/** `token` with segment `index` (0 header, 1 payload, 2 signature) replaced by `segment`. */
export function withSegment(token: string, index: number, segment: string): string {
  const segments = token.split('.');
  segments[index] = segment;
  return segments.join('.');
}
