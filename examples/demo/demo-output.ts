/**
 * How the demo prints what happened: the claims of each token it sends (never the
 * token itself), the policy and the answer audience-guard gave the Check client,
 * and the service's own `token_rejected` log line.
 */
import { headerValue, httpStatus, type EnvoyCheckResponse } from '../../test/support/envoy-check-client.ts';

/** `aud`, `scope`, `client_id` and `exp` of a JWT, decoded without verifying (the service verifies). */
export function claimsLine(token: string): string {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  const aud = Array.isArray(payload.aud) ? payload.aud.join(', ') : String(payload.aud);
  const expired = typeof payload.exp === 'number' && payload.exp * 1000 < Date.now() ? ' (expired)' : '';
  return `token   aud=${aud}  scope="${typeof payload.scope === 'string' ? payload.scope : ''}"  client_id=${String(payload.client_id)}  exp=${String(payload.exp)}${expired}`;
}

/**
 * The answer, as the Check client standing in for Envoy received it. An RFC 9728
 * metadata request is answered by audience-guard with a 200 denied_response:
 * Envoy would send that to the client itself, without calling the MCP server.
 */
export function answerLines(response: EnvoyCheckResponse): string[] {
  const fields = response.dynamic_metadata?.fields ?? {};
  const policy = `policy=${fields.policy?.stringValue ?? '(none)'}`;
  if ((response.status?.code ?? 0) === 0) {
    const removed = [...(response.ok_response?.headers_to_remove ?? []).map((name) => `header ${name}`), ...(response.ok_response?.query_parameters_to_remove ?? []).map((name) => `query ${name}`)];
    return [`→ ALLOW  ${policy}  the MCP server gets the request without: ${removed.join(', ')}`];
  }
  if (httpStatus(response) === 200) {
    return [`→ REPLY  200 ${policy}  answered by audience-guard; Envoy would return it as is, the MCP server is not called`, `         ${response.denied_response?.body ?? ''}`];
  }
  const challenge = headerValue(response.denied_response?.headers, 'www-authenticate');
  return [
    `→ DENY   ${String(httpStatus(response))} ${fields.reason?.stringValue ?? '?'}  ${policy}`,
    ...(challenge === undefined ? [] : [`         WWW-Authenticate: ${challenge}`]),
  ];
}

/** The policy file, indented under its heading. */
export function policyLines(yaml: string): string[] {
  return yaml.trimEnd().split('\n').map((line) => `  | ${line}`);
}
