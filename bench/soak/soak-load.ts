/**
 * The soak's load generator and tally. Open loop: every 2 ms it sends what
 * the clock says is due at the offered rate, whatever the answers do; a
 * request due while `maxInFlight` calls are outstanding is skipped and
 * counted, never queued (so a stalled server cannot build an unbounded
 * backlog here). Every answer is judged against the policy generations that
 * may have decided it (soak-expect.ts).
 *
 * One more race is accepted, and counted on its own: after the issuer rotates
 * its key, the first requests carrying the new `kid` wait for the server's
 * JWKS refetch, and when the issuer answers slower than `--check-timeout` the
 * server denies them 503 `timeout`, as docs/contract.md §1.1 says it must. So
 * until the first new-key token is allowed, a `timeout` for a new-key request
 * is `keyRaced`, not wrong; any other unexpected answer still is.
 */
import { performance } from 'node:perf_hooks';
import type { CallResult, SoakGrpcClient } from './soak-client.ts';
import { describe, describeObserved, judge, observe, type Generations } from './soak-expect.ts';
import { MIX } from './soak-mix.ts';
import type { SoakRequest } from './soak-requests.ts';

export interface KindTally { sent: number; right: number; raced: number; wrong: number }

export interface LoadOptions {
  /** Checks per second offered; undefined = closed loop (keep `maxInFlight` calls outstanding). */
  readonly rate: number | undefined;
  readonly maxInFlight: number;
}

export class SoakLoad {
  readonly counts = {
    sent: 0, answered: 0, skipped: 0, rpcErrors: 0, right: 0, raced: 0, wrong: 0,
    allowed: 0, denied: 0, notEnforced: 0, wrongAllows: 0, probes: 0, probeDenies: 0, keyRaced: 0,
  };
  /** performance.now() of the first allow for a token signed with the rotated key: from then on the server has that key. */
  newKeyKnownAt: number | undefined;
  readonly byKind: Record<string, KindTally> = Object.fromEntries(MIX.map(([kind]) => [kind, { sent: 0, right: 0, raced: 0, wrong: 0 }]));
  /** Wrong answers by what came back (e.g. `deny timeout`). */
  readonly wrongBy = new Map<string, number>();
  readonly wrongSamples: string[] = [];
  readonly errorSamples: string[] = [];
  readonly latencies: number[] = [];
  inFlight = 0;
  #windowLatencies: number[] = [];
  readonly #client: SoakGrpcClient;
  readonly #generations: Generations;
  readonly #next: () => SoakRequest;
  /** Seconds since the load started, for the samples. */
  readonly #elapsed: () => number;

  constructor(client: SoakGrpcClient, generations: Generations, next: () => SoakRequest, elapsed: () => number) {
    this.#client = client;
    this.#generations = generations;
    this.#next = next;
    this.#elapsed = elapsed;
  }

  /** Latencies (ms) answered since the last call. */
  takeWindow(): number[] {
    const window = this.#windowLatencies;
    this.#windowLatencies = [];
    return window;
  }

  /**
   * Sends at the offered rate from `start` until `endAt` (performance.now()
   * times) or until `stop()` says so; `everyTick` runs first on each tick.
   */
  run(options: LoadOptions, start: number, endAt: number, stop: () => boolean, everyTick: (now: number) => void): Promise<void> {
    let issued = 0;
    return new Promise((resolve) => {
      const tick = setInterval(() => {
        const now = performance.now();
        if (now >= endAt || stop()) {
          clearInterval(tick);
          resolve();
          return;
        }
        everyTick(now);
        if (options.rate === undefined) {
          while (this.inFlight < options.maxInFlight) this.#send();
          return;
        }
        const due = Math.floor(((now - start) / 1000) * options.rate) - issued;
        for (let index = 0; index < due; index++) {
          issued += 1;
          if (this.inFlight >= options.maxInFlight) this.counts.skipped += 1;
          else this.#send();
        }
      }, 2);
    });
  }

  /** Resolves when nothing is in flight any more, or after `timeoutMs`; returns how many calls are still out. */
  async drain(timeoutMs: number): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    while (this.inFlight > 0 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    return this.inFlight;
  }

  recordError(what: string, result: CallResult): void {
    this.counts.rpcErrors += 1;
    if (this.errorSamples.length < 20) {
      this.errorSamples.push(`${this.#elapsed().toFixed(1)} s ${what}: grpc-status ${String(result.grpcStatus)}, ${result.error ?? (result.message === undefined ? 'no complete response message' : '')}`);
    }
  }

  #send(): void {
    const request = this.#next();
    this.byKind[request.kind]!.sent += 1;
    this.counts.sent += 1;
    this.inFlight += 1;
    this.#client.call(request.frame, (result) => { this.#answered(request, result); });
  }

  #answered(request: SoakRequest, result: CallResult): void {
    const { counts } = this;
    this.inFlight -= 1;
    counts.answered += 1;
    const latency = result.answeredAt - result.sentAt;
    this.latencies.push(latency);
    this.#windowLatencies.push(latency);
    if (result.grpcStatus !== '0' || result.message === undefined) {
      this.recordError(request.kind, result);
      return;
    }
    const observed = observe(result.message);
    if (observed.allow) counts.allowed += 1;
    else counts.denied += 1;
    if (observed.notEnforced) counts.notEnforced += 1;
    const judgement = judge(request, observed, this.#generations.possible(result.sentAt, result.answeredAt));
    const { expected } = judgement;
    let { verdict } = judgement;
    if (request.key > 0 && observed.allow && verdict !== 'wrong') this.newKeyKnownAt ??= result.answeredAt;
    if (verdict === 'wrong' && request.key > 0 && !observed.allow && observed.reason === 'timeout' && result.sentAt <= (this.newKeyKnownAt ?? Number.POSITIVE_INFINITY)) {
      counts.keyRaced += 1;
      verdict = 'raced';
    }
    this.byKind[request.kind]![verdict] += 1;
    counts[verdict] += 1;
    if (verdict !== 'wrong') return;
    if (observed.allow) counts.wrongAllows += 1;
    const what = observed.allow ? 'allow' : `deny ${observed.reason ?? '?'}`;
    this.wrongBy.set(what, (this.wrongBy.get(what) ?? 0) + 1);
    if (this.wrongSamples.length < 30) {
      const subject = `${request.kind} for ${request.target ?? '(unknown host)'}${request.write ? ' (write scope)' : ''}${request.key === 1 ? ' (new key)' : ''}`;
      this.wrongSamples.push(`${this.#elapsed().toFixed(1)} s ${subject}: expected ${expected.map(describe).join(' or ')}, got ${describeObserved(observed)}, in flight ${latency.toFixed(1)} ms`);
    }
  }
}
