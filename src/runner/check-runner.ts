/**
 * The check runner: one check from a front end's request to its answer,
 * whatever the protocol. It reads the current policy snapshot once, runs
 * decide() against it within the check timeout, records the outcome (metrics,
 * the security log) and lets the front end answer. It never rejects: a
 * timeout or an unexpected error becomes a deny (503 `timeout`, 500
 * `internal_error`, docs/contract.md §2.1), so no failure can turn into an
 * allow or into an error of the transport.
 */
import type { CheckEnvironment, CheckProgress } from '../core/check-environment.ts';
import { decide, undecided } from '../core/check-pipeline.ts';
import type { Decision } from '../core/decision.ts';
import type { PolicySnapshot } from '../core/policy-snapshot.ts';
import type { Reason } from '../core/reasons.ts';
import type { CheckInput, FrontEnd, RequestLogFields } from './check-input.ts';
import { CheckRecorder, type CheckRecorderOptions } from './check-recorder.ts';

export interface CheckRunnerOptions extends CheckRecorderOptions {
  /** Where the current snapshot comes from (src/policy/policy-store.ts); read once per check. */
  readonly store: { current(): PolicySnapshot };
  readonly environment: CheckEnvironment;
  /** Every check is answered within this time (`--check-timeout`, docs/contract.md §1.1). */
  readonly checkTimeoutMs: number;
}

export class CheckRunner {
  readonly #options: CheckRunnerOptions;
  readonly #recorder: CheckRecorder;
  #inFlight = 0;
  #drainWaiters: (() => void)[] = [];

  constructor(options: CheckRunnerOptions) {
    this.#options = options;
    this.#recorder = new CheckRecorder(options);
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Resolves once no check is in flight. */
  drained(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  /** One check of `request` for `frontEnd`. Never rejects: every outcome is the front end's answer. */
  async run<Request, Response>(frontEnd: FrontEnd<Request, Response>, request: Request): Promise<Response> {
    const started = performance.now();
    this.#inFlight += 1;
    this.#options.metrics.checkStarted();
    const progress: CheckProgress = { policy: undefined, digest: undefined };
    let input: CheckInput | undefined;
    let log: RequestLogFields | undefined;
    let decision: Decision;
    try {
      const read = frontEnd.read(request);
      log = read.log;
      if ('refused' in read) decision = refusal(read.refused);
      else {
        input = read;
        decision = await this.#decideWithin(input, progress);
      }
    } catch {
      decision = undecided('internal_error', progress);
    } finally {
      this.#inFlight -= 1;
      this.#options.metrics.checkFinished();
      if (this.#inFlight === 0) for (const waiter of this.#drainWaiters.splice(0)) waiter();
    }
    const seconds = (performance.now() - started) / 1000;
    try {
      this.#recorder.record(decision, log, seconds, frontEnd.name);
      return frontEnd.answer(decision, input);
    } catch {
      return frontEnd.failed();
    }
  }

  /**
   * The decision, or a `timeout` deny when it is not there within the check
   * timeout (first one wins). Both use the one snapshot read here; the timeout
   * deny is attributed to the policy decide() selected in it and carries the
   * token hash decide() computed (`progress`), never a second reading.
   */
  #decideWithin(input: CheckInput, progress: CheckProgress): Promise<Decision> {
    const snapshot = this.#options.store.current();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { resolve(undecided('timeout', progress)); }, this.#options.checkTimeoutMs);
      decide(input.view, snapshot, this.#options.environment, input.extras, progress).then(
        (decision) => { clearTimeout(timer); resolve(decision); },
        (error: unknown) => { clearTimeout(timer); reject(error instanceof Error ? error : new Error('the decision failed')); },
      );
    });
  }
}

/** The deny for a request its front end refused before any decision: no policy, no token read. */
function refusal(reason: Reason): Decision {
  return { kind: 'deny', reason, policy: undefined, challengeScopes: [], tokenSHA256: undefined, principal: undefined };
}
