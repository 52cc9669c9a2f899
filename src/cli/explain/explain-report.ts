/**
 * What `explain` reports about one decision, as one plain object (the
 * `--json` output; the text output renders the same object). It carries the
 * token's decoded header and claims but never the token, and never the value
 * of a header the allow would set: that is the upstream credential.
 */
import type { DecodedJWS } from '../../core/compact-jws.ts';
import type { Decision } from '../../core/decision.ts';
import type { HttpRequestView } from '../../core/http-request.ts';
import { prefixMatches } from '../../core/policy-snapshot.ts';
import type { RuntimePolicy } from '../../core/runtime-policy.ts';
import { checkResponseFor } from '../../envoy/check-response.ts';
import type { CheckResponse, HeaderValueOption } from '../../envoy/proto.ts';
import { hostPatternCovers } from '../../policy/namespace-hosts.ts';
import { decisionSteps, type StepResult } from './decision-steps.ts';

export const REDACTED = '(redacted)';

export interface PolicyChoice {
  readonly id: string;
  /** `reference`: the route named it (`audienceguard.dev/policy`); `host`: host and path prefix chose it. */
  readonly selectedBy: 'reference' | 'host';
  readonly host?: string;
  readonly pathPrefix?: string;
  /** Set when the request's path is the policy's RFC 9728 metadata path. */
  readonly metadataPath?: string;
  readonly mode: string;
  readonly resource: string;
  /** The `aud` values it accepts (canonical form) and the scopes it requires. */
  readonly audiences: readonly string[];
  readonly requiredScopes: readonly string[];
}

export interface HeaderLine { readonly name: string; readonly value: string }

export interface ResponseView {
  /** gRPC `status.code` of the CheckResponse: 0 lets the request through. */
  readonly grpcCode: number;
  /** The local reply Envoy sends the client (a deny, or the metadata document). */
  readonly reply?: { readonly status: number; readonly headers: readonly HeaderLine[]; readonly body: string };
  /** What Envoy does to the request before the upstream sees it (an allow). */
  readonly upstream?: {
    readonly setHeaders: readonly HeaderLine[];
    readonly removeHeaders: readonly string[];
    readonly removeQueryParameters: readonly string[];
  };
  readonly dynamicMetadata: Readonly<Record<string, string>>;
}

export interface ExplainReport {
  readonly decision: Decision['kind'];
  readonly reason: string | null;
  readonly notEnforced: string | null;
  readonly policy: PolicyChoice | null;
  readonly steps: readonly StepResult[];
  readonly response: ResponseView;
  readonly token: { readonly header: DecodedJWS['header']; readonly claims: DecodedJWS['payload'] } | null;
  /** Closed-set facts about a deny: `missing_claim`, `typ`, `granted_scopes`. */
  readonly detail: Readonly<Record<string, unknown>> | null;
  /** Key fetch failures, the client certificate's thumbprint, options not used yet. */
  readonly notes: readonly string[];
}

function policyChoice(policy: RuntimePolicy | undefined, view: HttpRequestView): PolicyChoice | null {
  if (policy === undefined) return null;
  const base = {
    id: policy.id,
    mode: policy.mode,
    resource: policy.resource,
    audiences: [...policy.acceptedAudiences],
    requiredScopes: policy.requiredScopes,
  };
  if (view.policyReference !== undefined) return { ...base, selectedBy: 'reference' };
  const host = policy.hosts.find((pattern) => pattern === view.host)
    ?? policy.hosts.find((pattern) => hostPatternCovers(pattern, view.host));
  if (view.path === policy.metadataPath) {
    return { ...base, selectedBy: 'host', ...(host === undefined ? {} : { host }), metadataPath: policy.metadataPath };
  }
  const pathPrefix = [...policy.pathPrefixes].sort((a, b) => b.length - a.length).find((prefix) => prefixMatches(prefix, view.path));
  return { ...base, selectedBy: 'host', ...(host === undefined ? {} : { host }), ...(pathPrefix === undefined ? {} : { pathPrefix }) };
}

function headerLine(option: HeaderValueOption, redact: boolean): HeaderLine {
  const raw = option.header?.value ?? Buffer.from(option.header?.raw_value ?? []).toString('utf8');
  return { name: option.header?.key ?? '', value: redact ? REDACTED : raw };
}

function responseView(response: CheckResponse): ResponseView {
  const dynamicMetadata = Object.fromEntries(
    Object.entries(response.dynamic_metadata?.fields ?? {}).map(([key, value]) => [key, value.stringValue ?? '']),
  );
  const grpcCode = response.status?.code ?? 0;
  const denied = response.denied_response;
  if (grpcCode !== 0 && denied !== undefined) {
    return {
      grpcCode,
      reply: {
        status: denied.status?.code ?? 403,
        headers: (denied.headers ?? []).map((option) => headerLine(option, false)),
        body: denied.body ?? '',
      },
      dynamicMetadata,
    };
  }
  const ok = response.ok_response;
  return {
    grpcCode,
    upstream: {
      // A header an allow sets is the upstream credential: never shown.
      setHeaders: (ok?.headers ?? []).map((option) => headerLine(option, true)),
      removeHeaders: ok?.headers_to_remove ?? [],
      removeQueryParameters: ok?.query_parameters_to_remove ?? [],
    },
    dynamicMetadata,
  };
}

export function explainReport(
  decision: Decision,
  view: HttpRequestView,
  token: DecodedJWS | undefined,
  notes: readonly string[],
): ExplainReport {
  const detail = decision.kind === 'deny' && decision.detail !== undefined
    ? Object.fromEntries(Object.entries({
      missing_claim: decision.detail.missingClaim,
      typ: decision.detail.typ,
      granted_scopes: decision.detail.grantedScopes,
    }).filter(([, value]) => value !== undefined))
    : null;
  return {
    decision: decision.kind,
    reason: decision.kind === 'deny' ? decision.reason : null,
    notEnforced: decision.kind === 'allow' ? decision.notEnforced ?? null : null,
    policy: policyChoice(decision.policy, view),
    steps: decisionSteps(decision, token),
    response: responseView(checkResponseFor(decision, view.method)),
    token: token === undefined ? null : { header: token.header, claims: token.payload },
    detail,
    notes,
  };
}
