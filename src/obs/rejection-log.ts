/**
 * The `token_rejected` security log line (docs/contract.md §3.3): one `warn`
 * line per deny, and per audience failure Permissive mode let through.
 *
 * It is written straight to the pino logger's own destination, in pino's line
 * format (level label, time, the logger's bindings, the fields, `msg`), from a
 * record with a fixed set of fields, joined in a fixed order (each value
 * through JSON.stringify, undefined ones left out, as pino does). pino's
 * generic path — walking the object, applying the redaction paths — cost
 * 15–30 µs per line, more than the rest of a deny (bench/README.md).
 * Redaction cannot apply here anyway: no field of this record is named
 * `authorization`, `token` or `headers`, and none holds an object; tokens
 * never reach it, only `token_sha256`.
 *
 * Lines are rate limited per (policy, reason) (`--log-rate`, log-rate-limiter.ts):
 * a suppressed line costs a counter increment, not a line, and one
 * `log_suppressed` line a second says how many were left out while there are any.
 */
import { pino, type DestinationStream } from 'pino';
import type { DenyDetail } from '../core/decision.ts';
import type { Reason } from '../core/reasons.ts';
import type { Frontend, RequestLogFields } from '../runner/check-input.ts';
import { eventFieldNames, LOG_EVENTS, logEvent, TOKEN_REJECTED } from './log-events.ts';
import { LogRateLimiter, type LogRateLimiterOptions } from './log-rate-limiter.ts';
import { isoTimeOncePerMillisecond, type Logger } from './logger.ts';

/** The fields of a token_rejected line; request fields as in RequestLogFields, absent when the request could not be read. */
export type RejectionRecord = { readonly [Field in keyof RequestLogFields]?: RequestLogFields[Field] | undefined } & {
  readonly reason: Reason;
  readonly enforced: boolean;
  /** The front end the check came in (`grpc`, `http`). */
  readonly frontend: Frontend;
  readonly policy: string | undefined;
  readonly token_sha256: string | undefined;
  /** Claims of a token whose signature verified; absent otherwise (never unverified claims). */
  readonly iss?: string | undefined;
  readonly sub?: string | undefined;
  readonly client_id?: string | undefined;
  readonly aud?: readonly string[] | undefined;
  /** `missing_claim`: which claim (a name from a fixed list). */
  readonly missing_claim?: string | undefined;
  /** `unsupported_token_type`: the `typ` category seen (`at+jwt`, `JWT`, `absent`, `other`). */
  readonly typ?: string | undefined;
  /** `insufficient_scope`: the verified token's granted scopes. */
  readonly granted_scopes?: readonly string[] | undefined;
  /** Policies with `spec.mcp` rules: the MCP method and tool, as named in the policy, else `other` (never request text). */
  readonly mcp_method?: string | undefined;
  readonly mcp_tool?: string | undefined;
  /** The check's trace and span (W3C hex), when tracing is on and the check's span is sampled. */
  readonly trace_id?: string | undefined;
  readonly span_id?: string | undefined;
};

/** A deny's closed-set detail as the record's fields (spread into the record a check handler builds). */
export function detailFields(detail: DenyDetail | undefined): Pick<RejectionRecord, 'missing_claim' | 'typ' | 'granted_scopes'> {
  return { missing_claim: detail?.missingClaim, typ: detail?.typ, granted_scopes: detail?.grantedScopes };
}

const DENIED = ',"msg":"request denied"}\n';
const NOT_ENFORCED = ',"msg":"audience failure not enforced (Permissive)"}\n';

/** The record's fields in the order they are written: the event table's (the order of the RejectionRecord a check handler builds). */
const FIELDS = eventFieldNames(TOKEN_REJECTED) satisfies readonly (keyof RejectionRecord)[];
const LEVEL = LOG_EVENTS[TOKEN_REJECTED].level;
const LINE_START = `{"level":"${LEVEL}"`;

/** The default `--log-rate`: token_rejected lines per second per (policy, reason). */
export const DEFAULT_LOG_RATE = 50;

export interface RejectionLogOptions {
  readonly limit?: Partial<LogRateLimiterOptions>;
  /** Called for each suppressed line (the suppressed-lines counter). */
  readonly suppressed?: (reason: Reason) => void;
}

export class RejectionLog {
  readonly #logger: Logger;
  readonly #limiter: LogRateLimiter;
  readonly #suppressed: (reason: Reason) => void;
  /** Writes the summaries while lines are being suppressed; stopped when a second passes without any. */
  #summaries: ReturnType<typeof setInterval> | undefined;
  readonly #stream: DestinationStream;
  /** `,"service":"audience-guard",…,"event":"token_rejected"`: the bindings serialised once. */
  readonly #middle: string;
  /** `,"time":"…"`, as the logger writes it (built once per millisecond). */
  readonly #time = isoTimeOncePerMillisecond();

  constructor(logger: Logger, options: RejectionLogOptions = {}) {
    this.#logger = logger;
    this.#limiter = new LogRateLimiter({ linesPerSecond: DEFAULT_LOG_RATE, maxPolicies: 10_001, ...options.limit });
    this.#suppressed = options.suppressed ?? (() => undefined);
    this.#stream = (logger as unknown as Record<symbol, DestinationStream>)[pino.symbols.streamSym] as DestinationStream;
    const bindings = JSON.stringify({ ...logger.bindings(), event: TOKEN_REJECTED });
    this.#middle = `,${bindings.slice(1, -1)}`;
  }

  write(record: RejectionRecord): void {
    if (this.admit(record.policy, record.reason)) this.writeAdmitted(record);
  }

  /**
   * Whether a line for (policy, reason) is to be written now (the level is on
   * and the rate limit lets it through); a suppressed one is counted. Callers
   * build the record only then: under a flood most lines are suppressed.
   */
  admit(policy: string | undefined, reason: Reason): boolean {
    if (!this.#logger.isLevelEnabled(LEVEL)) return false;
    if (this.#limiter.admit(policy, reason)) return true;
    this.#suppressed(reason);
    this.#summaries ??= setInterval(() => { this.#writeSummary(); }, 1000).unref();
    return false;
  }

  /** Writes the line of a record `admit()` let through. */
  writeAdmitted(record: RejectionRecord): void {
    let line = `${LINE_START}${this.#time()}${this.#middle}`;
    for (const field of FIELDS) {
      const value = record[field];
      if (value !== undefined) line += `,"${field}":${JSON.stringify(value)}`;
    }
    this.#stream.write(line + (record.enforced ? DENIED : NOT_ENFORCED));
  }

  /** Writes the `log_suppressed` line for what was suppressed since the last one. */
  #writeSummary(): void {
    const summary = this.#limiter.takeSummary();
    if (summary === undefined) {
      if (this.#limiter.pending === 0) {
        clearInterval(this.#summaries);
        this.#summaries = undefined;
      }
      return;
    }
    logEvent(this.#logger, 'log_suppressed', {
      suppressed: summary.suppressed,
      by_reason: summary.byReason,
      by_policy: summary.byPolicy,
      ...(summary.omitted === 0 ? {} : { by_policy_omitted: summary.omitted }),
    }, 'token_rejected lines over --log-rate were suppressed');
  }
}
