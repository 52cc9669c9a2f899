/**
 * The rate limit of the per-request security log (README "Logs"): at most
 * `linesPerSecond` lines per (policy, reason) in each second of the clock — a
 * fixed window per key — and the rest counted, so that a flood of bad
 * requests cannot become a flood of log lines. The counts come back, at most
 * once per second, as a summary for the `log_suppressed` line.
 *
 * Hot path: one clock read, one Map lookup by policy id and an index into
 * two fixed arrays; nothing is allocated except the first time a policy is
 * seen. Keys are policies × reasons: policies come from configuration, reasons
 * from a closed set, and at most `maxPolicies` policies are tracked (windows
 * of policies seen more than a second ago are dropped when room is needed);
 * beyond that, further policies share one window. Requests cannot add keys.
 */
import { REASONS, type Reason } from '../core/reasons.ts';

const REASON_INDEX: Readonly<Record<Reason, number>> = Object.freeze(
  Object.fromEntries(REASONS.map((reason, index) => [reason, index])) as Record<Reason, number>,
);

/** (policy, reason) pairs named in one summary at most; the rest are only counted. */
export const SUMMARY_ENTRIES = 20;

export interface LogRateLimiterOptions {
  readonly linesPerSecond: number;
  /** Policies tracked one by one at most (the line without a policy counts as one). */
  readonly maxPolicies: number;
  /** Milliseconds, monotonic; tests inject one. */
  readonly now?: () => number;
}

export interface SuppressionSummary {
  /** Lines suppressed since the previous summary. */
  readonly suppressed: number;
  readonly byReason: Readonly<Partial<Record<Reason, number>>>;
  /** The largest counts, by (policy, reason); `policy` is absent for lines without one. */
  readonly byPolicy: readonly { readonly policy?: string; readonly reason: Reason; readonly suppressed: number }[];
  /** (policy, reason) pairs with suppressed lines that `byPolicy` leaves out. */
  readonly omitted: number;
}

/** One policy's window: lines let through in `second`, and lines suppressed since the last summary, by reason index. */
class PolicyWindow {
  readonly policy: string | undefined;
  second = Number.NaN;
  pending = 0;
  readonly admitted = new Uint32Array(REASONS.length);
  readonly suppressed = new Float64Array(REASONS.length);

  constructor(policy: string | undefined) {
    this.policy = policy;
  }
}

export class LogRateLimiter {
  readonly #rate: number;
  readonly #maxPolicies: number;
  readonly #now: () => number;
  readonly #windows = new Map<string, PolicyWindow>();
  /** Shared by the policies beyond `maxPolicies`; reported without a policy. */
  readonly #overflow = new PolicyWindow(undefined);
  #pending = 0;
  #lastSummary = Number.NEGATIVE_INFINITY;
  #lastSweep = Number.NEGATIVE_INFINITY;

  constructor(options: LogRateLimiterOptions) {
    this.#rate = options.linesPerSecond;
    this.#maxPolicies = Math.max(1, options.maxPolicies);
    this.#now = options.now ?? (() => performance.now());
  }

  /** Policies tracked one by one right now (never more than `maxPolicies`). */
  get keys(): number {
    return this.#windows.size;
  }

  /** Lines suppressed and not yet reported in a summary. */
  get pending(): number {
    return this.#pending;
  }

  /** Whether one more line for (policy, reason) may be written now; a `false` is counted. */
  admit(policy: string | undefined, reason: Reason): boolean {
    const second = Math.floor(this.#now() / 1000);
    const window = this.#windows.get(policy ?? '') ?? this.#add(policy, second);
    if (window.second !== second) {
      window.second = second;
      window.admitted.fill(0);
    }
    const index = REASON_INDEX[reason];
    const admitted = window.admitted[index] ?? 0;
    if (admitted < this.#rate) {
      window.admitted[index] = admitted + 1;
      return true;
    }
    window.suppressed[index] = (window.suppressed[index] ?? 0) + 1;
    window.pending += 1;
    this.#pending += 1;
    return false;
  }

  /**
   * What was suppressed since the last summary, and resets those counts; at
   * most one summary per second of the clock, none when nothing was suppressed.
   */
  takeSummary(): SuppressionSummary | undefined {
    const second = Math.floor(this.#now() / 1000);
    if (this.#pending === 0 || second <= this.#lastSummary) return undefined;
    this.#lastSummary = second;
    const byReason: Partial<Record<Reason, number>> = {};
    const entries: { policy?: string; reason: Reason; suppressed: number }[] = [];
    for (const window of [...this.#windows.values(), this.#overflow]) {
      if (window.pending === 0) continue;
      REASONS.forEach((reason, index) => {
        const count = window.suppressed[index] ?? 0;
        if (count === 0) return;
        byReason[reason] = (byReason[reason] ?? 0) + count;
        entries.push({ ...(window.policy === undefined ? {} : { policy: window.policy }), reason, suppressed: count });
      });
      window.suppressed.fill(0);
      window.pending = 0;
    }
    const suppressed = this.#pending;
    this.#pending = 0;
    entries.sort((a, b) => b.suppressed - a.suppressed);
    return { suppressed, byReason, byPolicy: entries.slice(0, SUMMARY_ENTRIES), omitted: Math.max(0, entries.length - SUMMARY_ENTRIES) };
  }

  /** A window for a policy not tracked yet: a new one while there is room, else the shared one. */
  #add(policy: string | undefined, second: number): PolicyWindow {
    if (this.#windows.size >= this.#maxPolicies && second > this.#lastSweep) {
      // At most once a second: forget policies not seen since the last second with nothing left to report.
      this.#lastSweep = second;
      for (const [key, window] of this.#windows) if (window.second < second - 1 && window.pending === 0) this.#windows.delete(key);
    }
    if (this.#windows.size >= this.#maxPolicies) return this.#overflow;
    const window = new PolicyWindow(policy);
    this.#windows.set(policy ?? '', window);
    return window;
  }
}
