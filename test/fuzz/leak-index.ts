/**
 * A fast "does any secret piece appear in this output?" for fuzz runs that
 * send thousands of tokens. Same pieces as the suite-wide ledger scan
 * (test/support/secret-ledger.ts: the whole token and every segment of 16+
 * characters), but each piece is first looked up by its first 16 characters
 * in a set of every 16-character window of the output's token68-like runs,
 * so the cost is one hash lookup per piece instead of a scan of the output.
 */
import { secretPieces } from '../support/secret-ledger.ts';

const WINDOW = 16;
const RUN = /[A-Za-z0-9\-_~+/=]{16,}/g;

export class LeakIndex {
  readonly #text: string;
  readonly #windows = new Set<string>();

  constructor(text: string) {
    this.#text = text;
    for (const match of text.matchAll(RUN)) {
      const run = match[0];
      for (let index = 0; index + WINDOW <= run.length; index += 1) this.#windows.add(run.slice(index, index + WINDOW));
    }
  }

  /** True when `piece` occurs in the output. */
  contains(piece: string): boolean {
    // Every long token68-like run inside the piece must be in the output for the piece to be;
    // one absent run answers without scanning the output.
    for (const match of piece.matchAll(RUN)) {
      const run = match[0];
      if (!this.#windows.has(run.slice(0, WINDOW)) || !this.#windows.has(run.slice(-WINDOW))) return false;
    }
    return this.#text.includes(piece);
  }

  /** The secrets (as their index in `secrets`) with a piece in the output. */
  leaks(secrets: readonly string[]): number[] {
    const found: number[] = [];
    secrets.forEach((secret, index) => {
      const segments = secretPieces(secret).slice(1);
      if (segments.some((segment) => this.contains(segment))) found.push(index);
      // The whole token can only be there if each of its segments is: skip the scan when one is known absent.
      else if (segments.length === 0 && this.contains(secret)) found.push(index);
    });
    return found;
  }
}

/**
 * Worth recording as a secret: long enough, and with at least one
 * base64url-only segment of 16+ characters (what real tokens and their
 * mutants carry). Short or text-like mutants are not recorded, so the
 * suite-wide scan cannot trip over words that legitimately appear in output.
 */
export function isRecordable(value: string): boolean {
  return value.length >= 24 && value.split('.').some((segment) => segment.length >= WINDOW && /^[A-Za-z0-9_-]+$/.test(segment));
}
