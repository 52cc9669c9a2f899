/**
 * The `token_rejected` security log line (SPEC.md 3): one `warn` line per
 * deny, and per audience failure Permissive mode let through.
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
 */
import { pino, type DestinationStream } from 'pino';
import type { Reason } from '../core/reasons.ts';
import type { RequestLogFields } from '../envoy/check-request.ts';
import { isoTimeOncePerMillisecond, type Logger } from './logger.ts';

/** The fields of a token_rejected line; request fields as in RequestLogFields, absent when the request could not be read. */
export type RejectionRecord = { readonly [Field in keyof RequestLogFields]?: RequestLogFields[Field] | undefined } & {
  readonly reason: Reason;
  readonly enforced: boolean;
  readonly policy: string | undefined;
  readonly token_sha256: string | undefined;
  /** Claims of a token whose signature verified; absent otherwise (never unverified claims). */
  readonly iss?: string | undefined;
  readonly sub?: string | undefined;
  readonly client_id?: string | undefined;
  readonly aud?: readonly string[] | undefined;
};

const DENIED = ',"msg":"request denied"}\n';
const NOT_ENFORCED = ',"msg":"audience failure not enforced (Permissive)"}\n';

/** The record's fields in the order they are written (the order of the RejectionRecord a check handler builds). */
const FIELDS = ['reason', 'enforced', 'policy', 'request_id', 'host', 'method', 'path', 'source', 'token_sha256', 'iss', 'sub', 'client_id', 'aud'] as const satisfies readonly (keyof RejectionRecord)[];

export class RejectionLog {
  readonly #logger: Logger;
  readonly #stream: DestinationStream;
  /** `,"service":"audience-guard",…,"event":"token_rejected"`: the bindings serialised once. */
  readonly #middle: string;
  /** `,"time":"…"`, as the logger writes it (built once per millisecond). */
  readonly #time = isoTimeOncePerMillisecond();

  constructor(logger: Logger) {
    this.#logger = logger;
    this.#stream = (logger as unknown as Record<symbol, DestinationStream>)[pino.symbols.streamSym] as DestinationStream;
    const bindings = JSON.stringify({ ...logger.bindings(), event: 'token_rejected' });
    this.#middle = `,${bindings.slice(1, -1)}`;
  }

  write(record: RejectionRecord): void {
    if (!this.#logger.isLevelEnabled('warn')) return;
    let line = `{"level":"warn"${this.#time()}${this.#middle}`;
    for (const field of FIELDS) {
      const value = record[field];
      if (value !== undefined) line += `,"${field}":${JSON.stringify(value)}`;
    }
    this.#stream.write(line + (record.enforced ? DENIED : NOT_ENFORCED));
  }
}
