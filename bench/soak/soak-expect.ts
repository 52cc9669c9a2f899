/**
 * The soak's judge: the decision each request must get under a policy state
 * (docs/contract.md §2.1–§2.7), the policy generations the server may have had
 * in force while a request was in flight, and the verdict on each answer.
 *
 * The rule (bench/README.md, "Soak"): every policy state the soak writes is a
 * generation with a window [written, next generation confirmed]. It may be in
 * force from the moment its file is renamed into place until the server
 * proves, through a marker policy, that the next one is. A request sent at
 * `sentAt` and answered at `answeredAt` may have been decided under any
 * generation whose window overlaps that interval. When every such generation
 * expects the same decision, the expectation is certain; otherwise the request
 * raced a change. An answer is wrong when it matches none of the possible
 * expectations — so a raced request is wrong only when it fits no generation at
 * all (an allow that no generation would give is still caught).
 */
import { decodeCheckResponse } from '../common/grpc-frames.ts';
import { NAMESPACE, type PolicyState } from './soak-policies.ts';
import type { SoakRequest } from './soak-requests.ts';

export type Expected =
  /** `notEnforced`: a Permissive policy let an audience failure through (logged, counted, dynamic metadata `allowed_not_enforced`). */
  | { readonly allow: true; readonly policy: string; readonly notEnforced: boolean }
  | { readonly allow: false; readonly reason: string; readonly http: number };

const deny = (reason: string, http: number): Expected => ({ allow: false, reason, http });

/** What audience-guard must answer to `request` when `state` is the policy set in force. */
export function expectedDecision(request: SoakRequest, state: PolicyState): Expected {
  if (request.target === undefined) return deny('no_policy', 403);
  const variant = state.get(request.target);
  if (variant === undefined) return deny('no_policy', 403);
  const allow: Expected = { allow: true, policy: `${NAMESPACE}/${request.target}`, notEnforced: false };
  switch (request.kind) {
    case 'no_token': return deny('missing_token', 401);
    case 'garbage': return deny('malformed_token', 401);
    case 'tampered': return deny('invalid_signature', 401);
    case 'expired': return deny('expired', 401);
    // Permissive: the audience failure is logged, not enforced; the token's mcp:tools is all that policy needs.
    case 'wrong_audience': return variant === 'permissive' ? { ...allow, notEnforced: true } : deny('audience_mismatch', 401);
    case 'repeated':
    case 'fresh':
    case 'explicit':
    case 'unknown_host':
      return variant === 'scoped' && !request.write ? deny('insufficient_scope', 403) : allow;
  }
}

export function describe(expected: Expected): string {
  return expected.allow ? `allow by ${expected.policy}${expected.notEnforced ? ' (audience not enforced)' : ''}` : `deny ${expected.reason} (${String(expected.http)})`;
}

interface DecodedResponse {
  status?: { code?: number; message?: string };
  ok_response?: { headers?: unknown[]; headers_to_remove?: string[]; query_parameters_to_remove?: string[] };
  denied_response?: { status?: { code?: string | number }; headers?: { header?: { key?: string; value?: string } }[]; body?: string };
  dynamic_metadata?: { fields?: Record<string, { stringValue?: string; string_value?: string }> };
}

/** envoy.type.v3.StatusCode decodes by name (enums: String). */
const HTTP_STATUS: Readonly<Record<string, number>> = { OK: 200, BadRequest: 400, Unauthorized: 401, Forbidden: 403, InternalServerError: 500, ServiceUnavailable: 503 };

export interface Observed {
  readonly allow: boolean;
  /** CheckResponse.status.message: the deny reason. */
  readonly reason: string | undefined;
  readonly http: number | undefined;
  /** dynamic_metadata `policy`. */
  readonly policy: string | undefined;
  /** dynamic_metadata `decision` is `allowed_not_enforced`. */
  readonly notEnforced: boolean;
  /** An allow removes `authorization` and the `access_token` query parameter, and sets no header. */
  readonly tokenRemoved: boolean;
  /** A deny has a JSON body with an `error` and a content-type header. */
  readonly denyComplete: boolean;
  /** `www-authenticate` of a deny. */
  readonly challenge: string | undefined;
}

export function observe(message: Buffer): Observed {
  const response = decodeCheckResponse(message) as DecodedResponse;
  const code = response.status?.code ?? 0;
  const fields = response.dynamic_metadata?.fields ?? {};
  const text = (key: string): string | undefined => fields[key]?.stringValue ?? fields[key]?.string_value;
  const policy = text('policy');
  const notEnforced = text('decision') === 'allowed_not_enforced';
  if (code === 0) {
    const ok = response.ok_response;
    return {
      allow: true, reason: undefined, http: undefined, policy, notEnforced, challenge: undefined, denyComplete: false,
      tokenRemoved: ok !== undefined && (ok.headers_to_remove ?? []).includes('authorization')
        && (ok.query_parameters_to_remove ?? []).includes('access_token') && (ok.headers ?? []).length === 0,
    };
  }
  const denied = response.denied_response;
  const rawStatus = denied?.status?.code;
  const http = typeof rawStatus === 'number' ? rawStatus : rawStatus === undefined ? undefined : HTTP_STATUS[rawStatus] ?? Number(rawStatus);
  const header = (key: string): string | undefined => denied?.headers?.find((option) => option.header?.key === key)?.header?.value;
  let bodyOk: boolean;
  try {
    const body = JSON.parse(denied?.body ?? '') as { error?: unknown };
    bodyOk = typeof body.error === 'string' && body.error !== '';
  } catch {
    bodyOk = false;
  }
  return {
    allow: false, reason: response.status?.message, http, policy, notEnforced, tokenRemoved: false,
    denyComplete: denied !== undefined && bodyOk && header('content-type') === 'application/json',
    challenge: header('www-authenticate'),
  };
}

export function matches(observed: Observed, expected: Expected): boolean {
  if (expected.allow) return observed.allow && observed.tokenRemoved && observed.policy === expected.policy && observed.notEnforced === expected.notEnforced;
  return !observed.allow && observed.denyComplete && observed.reason === expected.reason && observed.http === expected.http;
}

export function describeObserved(observed: Observed): string {
  if (observed.allow) return `allow by ${observed.policy ?? '?'}${observed.notEnforced ? ' (audience not enforced)' : ''}${observed.tokenRemoved ? '' : ' WITHOUT removing the token'}`;
  return `deny ${observed.reason ?? '?'} (${String(observed.http)})${observed.denyComplete ? '' : ' without a complete denied_response'}`;
}

interface Generation {
  readonly index: number;
  readonly state: PolicyState;
  /** performance.now() just before its file was renamed into place (-Infinity for the state the server started with). */
  readonly writtenAt: number;
  /** When a probe answered with this generation's marker (undefined until then). */
  confirmedAt: number | undefined;
}

/** The policy generations written so far and when each was written and confirmed. */
export class Generations {
  readonly #list: Generation[] = [];

  constructor(initial: PolicyState) {
    this.#list.push({ index: 0, state: initial, writtenAt: Number.NEGATIVE_INFINITY, confirmedAt: Number.NEGATIVE_INFINITY });
  }

  get current(): number {
    return this.#list.length - 1;
  }

  /** Call just before the file holding `state` is renamed into place. */
  written(state: PolicyState, at: number): number {
    this.#list.push({ index: this.#list.length, state, writtenAt: at, confirmedAt: undefined });
    return this.#list.length - 1;
  }

  confirmed(index: number, at: number): void {
    const generation = this.#list[index];
    if (generation !== undefined) generation.confirmedAt ??= at;
  }

  /** The states that may have decided a request in flight from `sentAt` to `answeredAt`. */
  possible(sentAt: number, answeredAt: number): PolicyState[] {
    const states: PolicyState[] = [];
    // A generation is in force at most from when it was written until any later one was confirmed.
    let laterConfirmed = Number.POSITIVE_INFINITY;
    for (let index = this.#list.length - 1; index >= 0; index--) {
      const generation = this.#list[index]!;
      if (generation.writtenAt <= answeredAt && laterConfirmed >= sentAt) states.push(generation.state);
      // Once one generation had ended before sentAt, every older one had too.
      if (laterConfirmed < sentAt) break;
      if (generation.confirmedAt !== undefined) laterConfirmed = Math.min(laterConfirmed, generation.confirmedAt);
    }
    return states;
  }
}

export type Verdict = 'right' | 'raced' | 'wrong';

export interface Judgement {
  readonly verdict: Verdict;
  readonly expected: readonly Expected[];
}

/** `right`: certain and matched; `raced`: several outcomes possible and one matched; `wrong`: matched none. */
export function judge(request: SoakRequest, observed: Observed, states: readonly PolicyState[]): Judgement {
  const expected: Expected[] = [];
  for (const state of states) {
    const outcome = expectedDecision(request, state);
    if (!expected.some((known) => describe(known) === describe(outcome))) expected.push(outcome);
  }
  if (!expected.some((outcome) => matches(observed, outcome))) return { verdict: 'wrong', expected };
  return { verdict: expected.length === 1 ? 'right' : 'raced', expected };
}
