/**
 * The `token_rejected` security log line (SPEC.md 3): one `warn` line per
 * deny, and per audience failure Permissive mode let through.
 *
 * It is written straight to the pino logger's own destination, in pino's line
 * format (level label, time, the logger's bindings, the fields, `msg`), from a
 * record with a fixed set of fields. pino's generic path — walking the object,
 * applying the redaction paths — cost 15–30 µs per line, more than the rest of
 * a deny (bench/README.md). Redaction cannot apply here anyway: no field of
 * this record is named `authorization`, `token` or `headers`, and none holds
 * an object; tokens never reach it, only `token_sha256`.
 */
import { pino, type DestinationStream } from 'pino';
import type { Reason } from '../core/reasons.ts';
import type { RequestLogFields } from '../envoy/check-request.ts';
import type { Logger } from './logger.ts';

export interface RejectionRecord extends Partial<RequestLogFields> {
  readonly reason: Reason;
  readonly enforced: boolean;
  readonly policy: string | undefined;
  readonly token_sha256: string | undefined;
  /** Claims of a token whose signature verified; absent otherwise (never unverified claims). */
  readonly iss?: string | undefined;
  readonly sub?: string | undefined;
  readonly client_id?: string | undefined;
  readonly aud?: readonly string[] | undefined;
}

const DENIED = 'request denied';
const NOT_ENFORCED = 'audience failure not enforced (Permissive)';

export class RejectionLog {
  readonly #logger: Logger;
  readonly #stream: DestinationStream;
  readonly #bindings: Readonly<Record<string, unknown>>;
  #lastMillisecond = Number.NaN;
  #time = '';

  constructor(logger: Logger) {
    this.#logger = logger;
    this.#stream = (logger as unknown as Record<symbol, DestinationStream>)[pino.symbols.streamSym] as DestinationStream;
    this.#bindings = logger.bindings();
  }

  write(record: RejectionRecord): void {
    if (!this.#logger.isLevelEnabled('warn')) return;
    const line = JSON.stringify({
      level: 'warn',
      time: this.#isoTime(),
      ...this.#bindings,
      event: 'token_rejected',
      ...record,
      msg: record.enforced ? DENIED : NOT_ENFORCED,
    });
    this.#stream.write(`${line}\n`);
  }

  #isoTime(): string {
    const now = Date.now();
    if (now !== this.#lastMillisecond) {
      this.#lastMillisecond = now;
      this.#time = new Date(now).toISOString();
    }
    return this.#time;
  }
}
