/**
 * Every event the service logs, as one closed table: its name (the `event`
 * field), its level and its fields. Code logs through `logEvent`, whose field
 * names TypeScript checks against this table; the README's Logs section is
 * tested against it (test/docs/readme-tables.test.ts), and a test fails when
 * a source file logs around it (test/unit/obs/log-events.test.ts).
 *
 * `token_rejected` has one writer of its own, src/obs/rejection-log.ts (a fast
 * path past pino's generic one), which takes the event's name, level and
 * field order from here.
 */
import type { Logger } from './logger.ts';

/** A required field is in every line of its event; an optional one only when it has a value. */
type Presence = 'required' | 'optional';

export interface LogEventSpec {
  readonly level: 'info' | 'warn' | 'error';
  readonly fields: Readonly<Record<string, Presence>>;
}

export const LOG_EVENTS = {
  listening: { level: 'info', fields: { grpc: 'required', admin: 'required', http_authz: 'optional' } },
  policies_loaded: { level: 'info', fields: { generation: 'required', policies: 'required' } },
  policy_rejected: { level: 'error', fields: { origin: 'required', field: 'required', problem: 'required', stand_in: 'optional' } },
  policy_conflicted: { level: 'warn', fields: { policy: 'required', winner: 'required', host: 'required', path_prefix: 'optional' } },
  policy_source_failed: { level: 'error', fields: { error: 'required', phase: 'optional', namespace: 'optional' } },
  audience_overlap: { level: 'warn', fields: { policy: 'required', other: 'required', audience: 'required' } },
  limit_reached: { level: 'warn', fields: { limit: 'required', max: 'optional', left_out: 'required', first: 'required' } },
  host_ownership_unset: { level: 'warn', fields: { namespaces: 'required' } },
  mcp_rules_without_body: { level: 'warn', fields: { policy: 'required', source: 'required' } },
  jwks_refreshed: { level: 'info', fields: { issuer: 'required' } },
  jwks_refresh_failed: { level: 'warn', fields: { issuer: 'required', jwks_uri: 'optional', error: 'required' } },
  upstream_token_failed: { level: 'warn', fields: { policy: 'required', grant: 'optional', error: 'optional' } },
  introspection_failed: { level: 'warn', fields: { issuer: 'required', error: 'required', suppressed: 'optional' } },
  /** Fields in the order rejection-log.ts writes them. */
  token_rejected: {
    level: 'warn',
    fields: {
      reason: 'required', enforced: 'required', frontend: 'required', policy: 'optional', request_id: 'optional',
      host: 'optional', method: 'optional', path: 'optional', source: 'optional', token_sha256: 'optional',
      iss: 'optional', sub: 'optional', client_id: 'optional', aud: 'optional',
      missing_claim: 'optional', typ: 'optional', granted_scopes: 'optional', mcp_method: 'optional', mcp_tool: 'optional',
      trace_id: 'optional', span_id: 'optional',
    },
  },
  log_suppressed: {
    level: 'warn', fields: { suppressed: 'required', by_reason: 'required', by_policy: 'required', by_policy_omitted: 'optional' },
  },
  leader_elected: { level: 'info', fields: { identity: 'required' } },
  leader_lost: { level: 'info', fields: { identity: 'required' } },
  status_write_failed: { level: 'warn', fields: { policy: 'required', error: 'required' } },
  shutdown: { level: 'info', fields: { signal: 'required' } },
  stopped: { level: 'info', fields: { drained: 'required' } },
} as const satisfies Readonly<Record<string, LogEventSpec>>;

export type LogEvent = keyof typeof LOG_EVENTS;

/** The events `logEvent` writes: all but `token_rejected`, which only RejectionLog writes. */
export type LoggedEvent = Exclude<LogEvent, 'token_rejected'>;

export const TOKEN_REJECTED = 'token_rejected' satisfies LogEvent;

/** What a field may hold: JSON values (pino leaves out undefined ones). */
export type LogValue = string | number | boolean | null | readonly LogValue[] | { readonly [key: string]: LogValue | undefined };

type FieldsOf<E extends LogEvent> = (typeof LOG_EVENTS)[E]['fields'];
type FieldsWith<E extends LogEvent, P extends Presence> = {
  [F in keyof FieldsOf<E>]: FieldsOf<E>[F] extends P ? F : never
}[keyof FieldsOf<E>];

/** The fields a line of event E takes: its required ones, and any of its optional ones. */
export type EventFields<E extends LogEvent> =
  & { readonly [F in FieldsWith<E, 'required'>]: LogValue }
  & { readonly [F in FieldsWith<E, 'optional'>]?: LogValue | undefined };

/** The names of an event's fields, in the table's order. */
export function eventFieldNames<E extends LogEvent>(event: E): readonly (keyof FieldsOf<E> & string)[] {
  return Object.keys(LOG_EVENTS[event].fields) as (keyof FieldsOf<E> & string)[];
}

/** Writes one line of `event` at its level: `{ event, ...fields, msg: message }`. */
export function logEvent<E extends LoggedEvent>(logger: Logger, event: E, fields: NoInfer<EventFields<E>>, message: string): void {
  const line: Readonly<Record<string, unknown>> = { event, ...fields };
  logger[LOG_EVENTS[event].level](line, message);
}
