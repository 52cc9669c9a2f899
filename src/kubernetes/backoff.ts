/**
 * Jittered exponential backoff ("full jitter"): after the n-th consecutive
 * failure wait a random time in [min, min·2ⁿ] capped at max, so replicas that
 * lost the API server together do not come back in lockstep.
 */
export class Backoff {
  readonly #minMs: number;
  readonly #maxMs: number;
  readonly #random: () => number;
  #failures = 0;

  constructor(minMs: number, maxMs: number, random: () => number = Math.random) {
    this.#minMs = minMs;
    this.#maxMs = maxMs;
    this.#random = random;
  }

  /** The delay before the next attempt, counting this failure. */
  next(): number {
    const ceiling = Math.min(this.#maxMs, this.#minMs * 2 ** this.#failures);
    this.#failures += 1;
    return this.#minMs + this.#random() * (ceiling - this.#minMs);
  }

  reset(): void {
    this.#failures = 0;
  }
}
