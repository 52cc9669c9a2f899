/**
 * The ext_authz adapter around the pure decision core: it reads the
 * CheckRequest, runs the decision against the current snapshot within the
 * check timeout, answers with a CheckResponse, and records the outcome in
 * metrics and the security log. It never rejects: a timeout or an unexpected
 * error becomes a deny (503 `timeout`, 500 `internal_error`), so no failure can
 * turn into an allow or an empty Envoy 403.
 */
import { extractBearer } from '../core/bearer.ts';
import { decide } from '../core/check-pipeline.ts';
import type { CheckEnvironment } from '../core/check-environment.ts';
import type { HttpRequestView } from '../core/http-request.ts';
import { tokenSHA256 } from '../core/token-hash.ts';
import type { Decision } from '../core/decision.ts';
import { REASON_TABLE, type Reason } from '../core/reasons.ts';
import { parseCheckRequest, type RequestLogFields } from '../envoy/check-request.ts';
import { checkResponseFor, denyResponse } from '../envoy/check-response.ts';
import type { CheckRequest, CheckResponse } from '../envoy/proto.ts';
import type { Logger } from '../obs/logger.ts';
import type { CheckResult, Metrics } from '../obs/metrics.ts';
import { RejectionLog } from '../obs/rejection-log.ts';
import type { PolicyStore } from '../policy/policy-store.ts';
import type { RuntimePolicy } from '../core/runtime-policy.ts';

export interface CheckHandlerOptions {
  readonly store: PolicyStore;
  readonly environment: CheckEnvironment;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Every Check is answered within this time (SPEC.md 1.1 `--check-timeout`). */
  readonly checkTimeoutMs: number;
  /** `--log-rate`: token_rejected lines per second per (policy, reason); default 50. */
  readonly logRate?: number;
  /** Policies the log rate limit tracks one by one (`--max-policies`, plus one for requests without a policy). */
  readonly logRatePolicies?: number;
}

function resultOf(decision: Decision): CheckResult {
  if (decision.kind !== 'deny') return 'allowed';
  return REASON_TABLE[decision.reason].httpStatus >= 500 ? 'error' : 'denied';
}

export class CheckHandler {
  readonly #options: CheckHandlerOptions;
  readonly #rejectionLog: RejectionLog;
  #inFlight = 0;
  #drainWaiters: (() => void)[] = [];

  constructor(options: CheckHandlerOptions) {
    this.#options = options;
    this.#rejectionLog = new RejectionLog(options.logger, {
      limit: {
        ...(options.logRate === undefined ? {} : { linesPerSecond: options.logRate }),
        ...(options.logRatePolicies === undefined ? {} : { maxPolicies: options.logRatePolicies }),
      },
      suppressed: (reason) => { options.metrics.logLineSuppressed(reason); },
    });
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  async check(request: CheckRequest): Promise<CheckResponse> {
    const started = performance.now();
    this.#inFlight += 1;
    this.#options.metrics.checkStarted();
    let parsed;
    let decision: Decision;
    try {
      parsed = parseCheckRequest(request);
      decision = await this.#decideWithin(parsed.view);
    } catch {
      decision = this.#failure('internal_error', parsed?.view);
    } finally {
      this.#inFlight -= 1;
      this.#options.metrics.checkFinished();
      if (this.#inFlight === 0) for (const waiter of this.#drainWaiters.splice(0)) waiter();
    }
    const seconds = (performance.now() - started) / 1000;
    try {
      this.#record(decision, parsed?.log, seconds);
      return checkResponseFor(decision, parsed?.view.method ?? '');
    } catch {
      return denyResponse('internal_error', undefined, []);
    }
  }

  /** Resolves once no check is in flight. */
  drained(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  /** The decision, or a `timeout` deny when it is not there within the check timeout (first one wins). */
  #decideWithin(view: HttpRequestView): Promise<Decision> {
    const snapshot = this.#options.store.current();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { resolve(this.#failure('timeout', view)); }, this.#options.checkTimeoutMs);
      decide(view, snapshot, this.#options.environment).then(
        (decision) => { clearTimeout(timer); resolve(decision); },
        (error: unknown) => { clearTimeout(timer); reject(error instanceof Error ? error : new Error('the decision failed')); },
      );
    });
  }

  /**
   * A deny for a check that could not be decided, still attributed to its
   * policy and carrying the token hash for the log line when that can be had.
   */
  #failure(reason: Extract<Reason, 'timeout' | 'internal_error'>, view: HttpRequestView | undefined): Decision {
    let policy: RuntimePolicy | undefined;
    let hash: string | undefined;
    try {
      policy = view === undefined ? undefined : this.#options.store.current().select(view)?.policy;
      const credential = extractBearer(view?.authorization);
      hash = credential.kind === 'token' ? tokenSHA256(credential.token) : undefined;
    } catch {
      // Keep the deny even if the lookups themselves fail.
    }
    return { kind: 'deny', reason, policy, challengeScopes: policy?.requiredScopes ?? [], tokenSHA256: hash, principal: undefined };
  }

  #record(decision: Decision, log: RequestLogFields | undefined, seconds: number): void {
    const { metrics } = this.#options;
    const policy = decision.policy;
    const namespace = policy?.namespace ?? '';
    const name = policy?.name ?? '';
    metrics.check(namespace, name, resultOf(decision), seconds);
    if (decision.kind === 'deny') {
      metrics.rejection(namespace, name, decision.reason, true);
      this.#logRejection(decision.reason, true, policy, decision.tokenSHA256, log, decision.principal);
    } else if (decision.kind === 'allow' && decision.notEnforced !== undefined) {
      metrics.rejection(namespace, name, decision.notEnforced, false);
      this.#logRejection(decision.notEnforced, false, policy, decision.tokenSHA256, log, decision.principal);
    }
  }

  #logRejection(
    reason: Reason,
    enforced: boolean,
    policy: RuntimePolicy | undefined,
    tokenSHA256: string | undefined,
    log: RequestLogFields | undefined,
    principal: { issuer: string; subject: string | undefined; clientId: string | undefined; audiences: readonly string[] } | undefined,
  ): void {
    // Only claims of a token whose signature verified may be logged (SPEC.md 3).
    this.#rejectionLog.write({
      reason,
      enforced,
      policy: policy?.id,
      request_id: log?.request_id,
      host: log?.host,
      method: log?.method,
      path: log?.path,
      source: log?.source,
      token_sha256: tokenSHA256,
      iss: principal?.issuer,
      sub: principal?.subject,
      client_id: principal?.clientId,
      aud: principal?.audiences,
    });
  }
}
