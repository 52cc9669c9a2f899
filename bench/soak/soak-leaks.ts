/**
 * Scans what the server prints for bytes of any bearer value the soak sent
 * (valid, expired, tampered and garbage tokens alike). Tens of thousands of
 * tokens against hundreds of thousands of log lines rule out a substring
 * search per token, so the scan works on runs: every maximal run of
 * base64url characters (at least 16) in a line (a JWS's dots end a run) is
 * looked up
 *   - as a whole segment of any token (header, payload or signature),
 *   - by its first 16 characters against the first 16 of every segment,
 *   - by its last 16 characters against the last 16 of every segment.
 * That finds a token or any of its segments printed whole or cut at either
 * end (a prefix or a suffix of 16 characters or more); it would miss a piece
 * cut from the middle of a segment with characters of its own on both sides.
 */
const RUN = /[A-Za-z0-9_-]{16,}/g;
const EDGE = 16;

export interface LeakFinding {
  /** Which check matched (`segment`, `prefix`, `suffix`) — never the matched bytes. */
  readonly how: string;
  /** The line number in the server's output (stdout and stderr counted together). */
  readonly line: number;
}

export class LeakScanner {
  readonly #segments = new Set<string>();
  readonly #prefixes = new Set<string>();
  readonly #suffixes = new Set<string>();
  readonly findings: LeakFinding[] = [];
  /** Runs that matched (the first 100 are kept in `findings`). */
  leaks = 0;
  lines = 0;
  bytes = 0;

  add(values: Iterable<string>): void {
    for (const value of values) {
      for (const segment of value.split('.')) {
        if (segment.length < EDGE) continue;
        this.#segments.add(segment);
        this.#prefixes.add(segment.slice(0, EDGE));
        this.#suffixes.add(segment.slice(-EDGE));
      }
    }
  }

  get indexed(): number {
    return this.#segments.size;
  }

  scan(line: string): void {
    this.lines += 1;
    this.bytes += line.length + 1;
    for (const [run] of line.matchAll(RUN)) {
      const how = this.#segments.has(run) ? 'segment' : this.#prefixes.has(run.slice(0, EDGE)) ? 'prefix' : this.#suffixes.has(run.slice(-EDGE)) ? 'suffix' : undefined;
      if (how === undefined) continue;
      this.leaks += 1;
      if (this.findings.length < 100) this.findings.push({ how, line: this.lines });
    }
  }
}
