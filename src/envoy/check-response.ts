/**
 * Turns a `Decision` into the CheckResponse Envoy expects (docs/contract.md
 * §2.5, §2.7, §2.9 and §6.2). The single place where
 * outcomes map to the wire:
 *   - a deny is a successful RPC with a non-zero `status.code` and a complete
 *     `denied_response` (status, headers, JSON body) — never an RPC error,
 *     which Envoy would turn into an empty 403;
 *   - an allow removes `authorization`, `dpop` and the `access_token` query
 *     parameter, so neither the client's token nor its proof reaches the upstream;
 *   - the RFC 9728 document is answered as a local 200 reply.
 * Parts that are the same for every call of a policy and reason are built
 * once and frozen; check-response-encoder.ts then encodes them once too.
 */
import type { CredentialScheme } from '../core/bearer.ts';
import { challengeFor } from '../core/challenge.ts';
import type { Decision, UpstreamCredential } from '../core/decision.ts';
import { REASON_TABLE, type Reason } from '../core/reasons.ts';
import type { RuntimePolicy } from '../core/runtime-policy.ts';
import type { CheckResponse, DeniedHttpResponse, HeaderValueOption, OkHttpResponse, Struct } from './proto.ts';

const OK = 0;
const PERMISSION_DENIED = 7;
const RETRY_AFTER_SECONDS = '5';

function header(key: string, value: string): HeaderValueOption {
  // `append: false` explicitly: newer Envoy reads "both unset" as append.
  return { header: { key, value }, append: { value: false }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' };
}

/** Freezes a response part and everything in it, so it can be shared and its encoding kept. */
export function frozen<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) frozen(inner);
    Object.freeze(value);
  }
  return value;
}

const OK_STATUS = frozen({ code: OK });
const REMOVE_CLIENT_TOKEN: OkHttpResponse = frozen({
  headers_to_remove: ['authorization', 'dpop'], query_parameters_to_remove: ['access_token'],
});

interface DeniedParts {
  readonly challengeScopes: readonly string[];
  readonly status: NonNullable<CheckResponse['status']>;
  readonly deniedResponse: DeniedHttpResponse;
}

/** The whole deny response by its parts, when it carries no verified claim and no nonce. */
const withoutClaims = new WeakMap<DeniedParts, CheckResponse>();

/** Deny parts by policy (NO_POLICY when none) and reason (`dpop:` before it for a DPoP credential: its challenge differs). */
const deniedParts = new WeakMap<object, Map<string, DeniedParts>>();
const NO_POLICY = {};

function sameScopes(a: readonly string[], b: readonly string[]): boolean {
  return a === b || (a.length === 0 && b.length === 0);
}

function deniedPartsFor(
  reason: Reason,
  policy: RuntimePolicy | undefined,
  challengeScopes: readonly string[],
  scheme: CredentialScheme | undefined,
): DeniedParts {
  let byReason = deniedParts.get(policy ?? NO_POLICY);
  if (byReason === undefined) {
    byReason = new Map();
    deniedParts.set(policy ?? NO_POLICY, byReason);
  }
  const key = scheme === 'dpop' ? `dpop:${reason}` : reason;
  const known = byReason.get(key);
  if (known !== undefined && sameScopes(known.challengeScopes, challengeScopes)) return known;
  const spec = REASON_TABLE[reason];
  const headers = [
    header('content-type', 'application/json'),
    header('cache-control', 'no-store'),
  ];
  const challenge = challengeFor(reason, policy, challengeScopes, scheme);
  if (challenge !== undefined) headers.push(header('www-authenticate', challenge));
  if (spec.retryable) headers.push(header('retry-after', RETRY_AFTER_SECONDS));
  const parts = frozen({
    challengeScopes,
    status: { code: spec.grpcCode, message: reason },
    deniedResponse: {
      status: { code: spec.httpStatus },
      headers,
      body: JSON.stringify({ error: spec.bodyError, error_description: spec.description }),
    },
  });
  byReason.set(key, parts);
  return parts;
}

function metadata(fields: Record<string, string | undefined>): Struct {
  const struct: Struct = { fields: {} };
  for (const [key, value] of Object.entries(fields)) {
    // protobufjs' bundled well-known types keep camelCase (`stringValue`).
    if (value !== undefined && struct.fields !== undefined) struct.fields[key] = { stringValue: value };
  }
  return struct;
}

export function denyResponse(
  reason: Reason,
  policy: RuntimePolicy | undefined,
  challengeScopes: readonly string[],
  principal?: { subject: string | undefined; clientId: string | undefined },
  binding?: { scheme?: CredentialScheme | undefined; dpopNonce?: string | undefined },
): CheckResponse {
  const parts = deniedPartsFor(reason, policy, challengeScopes, binding?.scheme);
  const nonce = binding?.dpopNonce;
  if (principal === undefined && nonce === undefined) {
    // The same for every call of this policy and reason: one frozen response, encoded once.
    let response = withoutClaims.get(parts);
    if (response === undefined) {
      response = frozen({
        status: parts.status,
        denied_response: parts.deniedResponse,
        dynamic_metadata: metadata({ policy: policy?.id, decision: 'denied', reason }),
      });
      withoutClaims.set(parts, response);
    }
    return response;
  }
  return {
    status: parts.status,
    // The nonce changes with time: a copy of the shared parts with one more header, never an edit of them.
    denied_response: nonce === undefined ? parts.deniedResponse
      : { ...parts.deniedResponse, headers: [...(parts.deniedResponse.headers ?? []), header('dpop-nonce', nonce)] },
    dynamic_metadata: metadata({
      policy: policy?.id,
      decision: 'denied',
      reason,
      sub: principal?.subject,
      client_id: principal?.clientId,
    }),
  };
}

function metadataDocumentResponse(policy: RuntimePolicy, method: string): CheckResponse {
  return {
    // A non-zero code makes Envoy answer locally with the 200 below.
    status: { code: PERMISSION_DENIED, message: 'protected_resource_metadata' },
    denied_response: {
      status: { code: 200 },
      headers: [
        header('content-type', 'application/json'),
        header('access-control-allow-origin', '*'),
        header('cache-control', 'max-age=300'),
      ],
      body: method === 'HEAD' ? '' : policy.metadataDocument,
    },
    dynamic_metadata: metadata({ policy: policy.id, decision: 'metadata' }),
  };
}

/**
 * The client's token never reaches the upstream. Envoy applies header sets
 * before removals, so replacing `authorization` must be an overwrite only
 * (removing it as well would delete the new value); any other upstream header
 * is set and `authorization` removed.
 */
function okResponse(upstream: UpstreamCredential | undefined): OkHttpResponse {
  if (upstream === undefined) return REMOVE_CLIENT_TOKEN;
  return {
    headers: [header(upstream.header, upstream.value)],
    headers_to_remove: upstream.header === 'authorization' ? ['dpop'] : ['authorization', 'dpop'],
    query_parameters_to_remove: ['access_token'],
  };
}

export function checkResponseFor(decision: Decision, method: string): CheckResponse {
  switch (decision.kind) {
    case 'metadata':
      return metadataDocumentResponse(decision.policy, method);
    case 'deny':
      return denyResponse(decision.reason, decision.policy, decision.challengeScopes, decision.principal, decision);
    case 'allow':
      return {
        status: OK_STATUS,
        ok_response: okResponse(decision.upstreamCredential),
        dynamic_metadata: metadata({
          policy: decision.policy.id,
          decision: decision.notEnforced === undefined ? 'allowed' : 'allowed_not_enforced',
          sub: decision.principal.subject,
          client_id: decision.principal.clientId,
        }),
      };
  }
}
