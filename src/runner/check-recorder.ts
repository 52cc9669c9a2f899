/**
 * What every check leaves behind, from its `Decision` alone: the check and
 * rejection metrics, and one `token_rejected` line per deny and per audience
 * failure Permissive mode let through (rate limited per policy and reason,
 * src/obs/rejection-log.ts). Labels are the policy's namespace and name
 * (configuration) and closed sets; no request or token content.
 */
import type { Decision, DenyDetail, VerifiedPrincipal } from '../core/decision.ts';
import { REASON_TABLE, type Reason } from '../core/reasons.ts';
import type { RuntimePolicy } from '../core/runtime-policy.ts';
import type { Logger } from '../obs/logger.ts';
import type { CheckResult } from '../obs/metric-label-sets.ts';
import type { Metrics } from '../obs/metrics.ts';
import { detailFields, RejectionLog } from '../obs/rejection-log.ts';
import type { RequestLogFields } from './check-input.ts';

export interface CheckRecorderOptions {
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** `--log-rate`: token_rejected lines per second per (policy, reason); default 50. */
  readonly logRate?: number | undefined;
  /** Policies the log rate limit tracks one by one (`--max-policies`, plus one for requests without a policy). */
  readonly logRatePolicies?: number | undefined;
}

function resultOf(decision: Decision): CheckResult {
  if (decision.kind !== 'deny') return 'allowed';
  return REASON_TABLE[decision.reason].httpStatus >= 500 ? 'error' : 'denied';
}

export class CheckRecorder {
  readonly #metrics: Metrics;
  readonly #rejectionLog: RejectionLog;

  constructor(options: CheckRecorderOptions) {
    const { metrics } = options;
    this.#metrics = metrics;
    this.#rejectionLog = new RejectionLog(options.logger, {
      limit: {
        ...(options.logRate === undefined ? {} : { linesPerSecond: options.logRate }),
        ...(options.logRatePolicies === undefined ? {} : { maxPolicies: options.logRatePolicies }),
      },
      suppressed: (reason) => { metrics.logLineSuppressed(reason); },
    });
  }

  /** `log` is undefined when the request could not be read. */
  record(decision: Decision, log: RequestLogFields | undefined, seconds: number): void {
    const metrics = this.#metrics;
    const policy = decision.policy;
    const namespace = policy?.namespace ?? '';
    const name = policy?.name ?? '';
    metrics.check(namespace, name, resultOf(decision), seconds);
    if (decision.kind === 'deny') {
      metrics.rejection(namespace, name, decision.reason, true);
      this.#logRejection(decision.reason, true, policy, decision.tokenSHA256, log, decision.principal, decision.detail);
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
    principal: VerifiedPrincipal | undefined,
    detail?: DenyDetail,
  ): void {
    // Under a flood most lines are suppressed: the record is built only for a line that is written.
    if (!this.#rejectionLog.admit(policy?.id, reason)) return;
    // Only claims of a token whose signature verified may be logged (docs/contract.md §3.3).
    this.#rejectionLog.writeAdmitted({
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
      ...detailFields(detail),
    });
  }
}
