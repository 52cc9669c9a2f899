/**
 * What every check leaves behind, from its `Decision` alone: the check and
 * rejection metrics, and one `token_rejected` line per deny and per audience
 * failure Permissive mode let through (rate limited per policy and reason,
 * src/obs/rejection-log.ts). Labels are the policy's namespace and name
 * (configuration) and closed sets; no request or token content.
 */
import type { Decision } from '../core/decision.ts';
import { REASON_TABLE, type Reason } from '../core/reasons.ts';
import type { Logger } from '../obs/logger.ts';
import type { CheckResult, McpCheckResult } from '../obs/metric-label-sets.ts';
import type { Metrics } from '../obs/metrics.ts';
import { detailFields, RejectionLog } from '../obs/rejection-log.ts';
import type { TraceLogFields } from '../tracing/check-tracing.ts';
import type { Frontend, RequestLogFields } from './check-input.ts';

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

function mcpResultOf(decision: Extract<Decision, { kind: 'allow' | 'deny' }>): McpCheckResult {
  if (decision.kind === 'allow') return 'allowed';
  if (decision.reason === 'insufficient_scope') return 'insufficient_scope';
  return decision.reason === 'unreadable_mcp_request' ? 'unreadable' : 'denied';
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

  /**
   * `log` is undefined when the request could not be read; `frontend` is the front end it came in;
   * `trace` is undefined when the check has no sampled span.
   */
  record(decision: Decision, log: RequestLogFields | undefined, seconds: number, frontend: Frontend, trace?: TraceLogFields): void {
    const metrics = this.#metrics;
    const policy = decision.policy;
    const namespace = policy?.namespace ?? '';
    const name = policy?.name ?? '';
    metrics.check(namespace, name, resultOf(decision), seconds, frontend);
    if (decision.kind !== 'metadata' && decision.mcp !== undefined) metrics.mcpCheck(namespace, name, decision.mcp, mcpResultOf(decision));
    if (decision.kind === 'deny') {
      metrics.rejection(namespace, name, decision.reason, true, frontend);
      this.#logRejection(frontend, decision.reason, true, decision, log, trace);
    } else if (decision.kind === 'allow' && decision.notEnforced !== undefined) {
      metrics.rejection(namespace, name, decision.notEnforced, false, frontend);
      this.#logRejection(frontend, decision.notEnforced, false, decision, log, trace);
    }
  }

  /** `decision` is the deny, or the Permissive allow whose audience failure was not enforced. */
  #logRejection(
    frontend: Frontend,
    reason: Reason,
    enforced: boolean,
    decision: Extract<Decision, { kind: 'allow' | 'deny' }>,
    log: RequestLogFields | undefined,
    trace: TraceLogFields | undefined,
  ): void {
    const { policy } = decision;
    // Under a flood most lines are suppressed: the record is built only for a line that is written.
    if (!this.#rejectionLog.admit(policy?.id, reason)) return;
    const { tokenSHA256, principal, mcp } = decision;
    const detail = decision.kind === 'deny' ? decision.detail : undefined;
    // Only claims of a token whose signature verified may be logged (docs/contract.md §3.3).
    this.#rejectionLog.writeAdmitted({
      reason,
      enforced,
      frontend,
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
      mcp_method: mcp?.method,
      mcp_tool: mcp?.tool,
      trace_id: trace?.trace_id,
      span_id: trace?.span_id,
    });
  }
}
