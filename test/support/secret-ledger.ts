/**
 * The ledger behind the suite-wide token-leak scan (docs/contract.md §3.3: no log
 * line may carry any part of a token). Every token a test obtains is recorded here,
 * and every byte of server output (service logs, CLI stdout/stderr) is captured;
 * the root hook in test/support/root-hooks.ts fails the run if any token, or any of
 * its three segments, appears in the output.
 */

const tokens = new Set<string>();
const output: string[] = [];

export function recordToken<T extends string>(token: T): T {
  tokens.add(token);
  return token;
}

export function captureOutput(text: string): void {
  output.push(text);
}

/** A pino destination that captures every line and hands it to `also` too. */
export function capturingDestination(also?: (line: string) => void): { write(line: string): void } {
  return {
    write(line: string) {
      captureOutput(line);
      also?.(line);
    },
  };
}

/** Pieces of a token that must never be seen: the whole token and each non-trivial segment. */
export function secretPieces(token: string): string[] {
  // An opaque token is one segment: itself, once.
  return [...new Set([token, ...token.split('.').filter((segment) => segment.length >= 16)])];
}

/** Every recorded-token piece found in `text` (shown only by a 12-character prefix). */
export function leaksIn(secrets: Iterable<string>, text: string): { pieces: number; leaks: string[] } {
  const leaks: string[] = [];
  let pieces = 0;
  for (const token of secrets) {
    for (const piece of secretPieces(token)) {
      pieces += 1;
      if (text.includes(piece)) leaks.push(`${piece.slice(0, 12)}… (from a token recorded by a test)`);
    }
  }
  return { pieces, leaks };
}

export function findLeaks(): { pieces: number; leaks: string[] } {
  return leaksIn(tokens, output.join('\n'));
}

export function ledgerSize(): { tokens: number; outputLines: number } {
  return { tokens: tokens.size, outputLines: output.length };
}
