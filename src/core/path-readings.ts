/**
 * The spellings under which some server or proxy might read a request path.
 * audience-guard matches the path exactly as Envoy forwards it, but what
 * routes the request behind it may decode, normalise or fold it first: then
 * `/admin;x` or `/ADMIN` could reach the `/admin` handler while the raw
 * spelling selected a laxer policy. The snapshot compares the policy each
 * reading selects with the one the raw spelling selects (src/core/policy-snapshot.ts).
 *
 * A reading is the raw path after any combination of the transforms below,
 * each applied any number of times, until nothing changes — so double
 * encodings (`%252F`) and mixes (`/public/..%2Fadmin`) are read too. ASCII case
 * folding is left out of the set because it commutes with every transform:
 * the snapshot compares a folded reading with folded prefixes instead.
 *
 * Pure and bounded: at most `limit` readings, and `MAX_READING_CHARACTERS`
 * characters, are produced; past that the result says it is incomplete and
 * the caller fails closed.
 */

/** More readings than this and a path is treated as ambiguous without looking further. */
export const MAX_PATH_READINGS = 64;
/** Nor more characters in all readings together: a long path must not cost more than a short one a few times over. */
export const MAX_READING_CHARACTERS = 32 * 1024;

export interface PathReadings {
  /** The raw path first, then every other reading found. */
  readonly readings: readonly string[];
  /** False when the bound was reached before every reading was found. */
  readonly complete: boolean;
}

/** RFC 3986 §2.3 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~". */
function unreserved(code: number): boolean {
  const lower = code | 0x20;
  return (lower >= 0x61 && lower <= 0x7a) || (code >= 0x30 && code <= 0x39)
    || code === 0x2d || code === 0x2e || code === 0x5f || code === 0x7e;
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x57 : -1;
}

/** Decodes `%XX` where `keep(octet)` allows it, in one pass (`%252F` becomes `%2F`). */
function decoder(keep: (octet: number) => boolean): (path: string) => string {
  return (path) => {
    let percent = path.indexOf('%');
    if (percent === -1) return path;
    let decoded = '';
    let copied = 0;
    while (percent !== -1 && percent + 2 < path.length) {
      const high = hexValue(path.charCodeAt(percent + 1));
      const low = hexValue(path.charCodeAt(percent + 2));
      const octet = high < 0 || low < 0 ? -1 : high * 16 + low;
      if (octet >= 0 && keep(octet)) {
        decoded += path.slice(copied, percent) + String.fromCharCode(octet);
        copied = percent + 3;
        percent = path.indexOf('%', copied);
      } else {
        percent = path.indexOf('%', percent + 1);
      }
    }
    return copied === 0 ? path : decoded + path.slice(copied);
  };
}

const DOT_SEGMENT = /\/\.\.?(?:\/|$)/;

/** RFC 3986 §5.2.4 remove_dot_segments, for an absolute path. */
export function removeDotSegments(path: string): string {
  if (!path.startsWith('/') || !DOT_SEGMENT.test(path)) return path;
  const input = path.split('/');
  const output: string[] = [];
  for (let index = 1; index < input.length; index += 1) {
    const segment = input[index] as string;
    if (segment === '.' || segment === '..') {
      if (segment === '..') output.pop();
      if (index === input.length - 1) output.push(''); // `/a/..` is `/`, a directory
    } else {
      output.push(segment);
    }
  }
  return `/${output.join('/')}`;
}

/**
 * One step of each common reading. Every one is the identity on a path
 * without `%`, `\`, `;`, `//`, or a `.` before `/` or at the end — which
 * `mayReadDifferently` tests for.
 */
export const PATH_TRANSFORMS: readonly ((path: string) => string)[] = [
  decoder(unreserved), // RFC 3986 §6.2.2.2 normalisation
  decoder((octet) => octet === 0x2f || octet === 0x5c), // %2F and %5C only (Envoy's unescape)
  decoder((octet) => octet < 0x80), // every ASCII octet
  (path) => path.replaceAll('\\', '/'), // Windows and some proxies
  (path) => path.replace(/\/{2,}/g, '/'), // merged slashes
  removeDotSegments,
  (path) => path.replace(/;[^/]*/g, ''), // `;parameters` per segment (servlet containers)
  (path) => path.replace(/(?<=[^/.])\.+(?=\/|$)/g, ''), // trailing dots of a segment (Windows file names)
];

const MAY_CHANGE = /[%\\;A-Z]|\/\/|\.(?:\/|$)/;

/** True when some transform or the case fold could change the path (one cheap test for the hot path). */
export function mayReadDifferently(path: string): boolean {
  return MAY_CHANGE.test(path);
}

/** ASCII-only lower case: no Unicode rule may turn `K` (Kelvin) into `k`. */
export function foldCase(path: string): string {
  return /[A-Z]/.test(path) ? path.replace(/[A-Z]/g, (letter) => String.fromCharCode(letter.charCodeAt(0) + 32)) : path;
}

/** Every reading of `path`, raw spelling first, up to `limit` of them. */
export function pathReadings(path: string, limit = MAX_PATH_READINGS): PathReadings {
  const seen = new Set([path]);
  const queue = [path];
  let characters = path.length;
  for (let index = 0; index < queue.length; index += 1) {
    const current = queue[index] as string;
    for (const transform of PATH_TRANSFORMS) {
      const next = transform(current);
      if (seen.has(next)) continue;
      characters += next.length;
      if (seen.size >= limit || characters > MAX_READING_CHARACTERS) return { readings: queue, complete: false };
      seen.add(next);
      queue.push(next);
    }
  }
  return { readings: queue, complete: true };
}
