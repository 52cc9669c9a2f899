/**
 * `npm run demo`: audience-guard doing its job on an embedded default, in one
 * command. It starts a local oidc-provider authorization server that issues
 * RFC 9068 access tokens bound (RFC 8707) to two example MCP resources, starts
 * audience-guard with a policy for each, sends Check calls the way Envoy would
 * (Envoy's own protos over gRPC), prints each decision, and stops.
 *
 * The demo reuses the test suite's local authorization server and Envoy client
 * (test/support/), so what it shows is exactly what the tests exercise.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../src/obs/logger.ts';
import { startService } from '../../src/server/audience-guard-service.ts';
import { startAuthorizationServer } from '../../test/support/authorization-server.ts';
import { EnvoyCheckClient, headerValue, httpStatus, type EnvoyCheckResponse } from '../../test/support/envoy-check-client.ts';

const WEATHER = 'https://weather.example.com/mcp';
const CALENDAR = 'https://calendar.example.com/mcp';

function policies(issuer: string): string {
  return `apiVersion: audienceguard.dev/v1alpha1
kind: AudiencePolicy
metadata: {name: weather, namespace: demo}
spec:
  resource: ${WEATHER}
  issuers: [{issuer: "${issuer}"}]
  requiredScopes: [mcp:tools]
---
apiVersion: audienceguard.dev/v1alpha1
kind: AudiencePolicy
metadata: {name: calendar, namespace: demo}
spec:
  resource: ${CALENDAR}
  issuers: [{issuer: "${issuer}"}]
`;
}

function describe(response: EnvoyCheckResponse): string {
  if ((response.status?.code ?? 0) === 0) {
    return `ALLOW  upstream: remove [${(response.ok_response?.headers_to_remove ?? []).join(', ')}], remove query [${(response.ok_response?.query_parameters_to_remove ?? []).join(', ')}]`;
  }
  if (httpStatus(response) === 200) return 'REPLY  200 answered by Envoy directly (local reply)';
  const fields = response.dynamic_metadata?.fields ?? {};
  const challenge = headerValue(response.denied_response?.headers, 'www-authenticate');
  return `DENY   ${String(httpStatus(response))} reason=${fields.reason?.stringValue ?? '?'}${challenge === undefined ? '' : `\n         WWW-Authenticate: ${challenge}`}`;
}

const auth = await startAuthorizationServer({
  resources: [{ resource: WEATHER, scopes: ['mcp:tools'] }, { resource: CALENDAR, scopes: ['mcp:tools'] }],
});
const dir = await mkdtemp(join(tmpdir(), 'audience-guard-demo-'));
const policyFile = join(dir, 'policies.yaml');
await writeFile(policyFile, policies(auth.issuer));
const service = await startService({
  policyFiles: [policyFile], grpcAddress: '127.0.0.1:0', adminAddress: '127.0.0.1:0',
  checkTimeoutMs: 150, maxTokenBytes: 16_384, maxRequestBytes: 1_048_576, maxConnectionAgeMs: 60_000,
}, createLogger('silent'));
const client = new EnvoyCheckClient(service.grpcPort);

try {
  console.log(`authorization server  ${auth.issuer}  (oidc-provider; JWT access tokens, resource indicators)`);
  console.log(`audience-guard        gRPC 127.0.0.1:${service.grpcPort}, admin http://127.0.0.1:${service.adminPort}`);
  console.log(`policies              demo/weather → ${WEATHER} (requires mcp:tools), demo/calendar → ${CALENDAR}\n`);

  const weatherToken = await auth.issueToken({ resource: WEATHER, scope: 'mcp:tools' });
  const calendarToken = await auth.issueToken({ resource: CALENDAR, scope: 'mcp:tools' });
  const now = Math.floor(Date.now() / 1000);
  const expiredToken = await auth.signCustomToken({
    iss: auth.issuer, sub: 'mcp-client', client_id: 'mcp-client', aud: WEATHER, scope: 'mcp:tools',
    iat: now - 3600, exp: now - 1800, jti: 'demo-expired',
  });
  const request = { authority: 'weather.example.com', path: '/mcp', method: 'POST' };
  const scenarios: [string, Parameters<EnvoyCheckClient['check']>[0]][] = [
    ['token issued for weather (right audience)', { ...request, headers: { authorization: `Bearer ${weatherToken}` } }],
    ['token issued for calendar (wrong audience)', { ...request, headers: { authorization: `Bearer ${calendarToken}` } }],
    ['expired token for weather', { ...request, headers: { authorization: `Bearer ${expiredToken}` } }],
    ['no token', request],
    ['RFC 9728 metadata, no token needed', { authority: 'weather.example.com', path: '/.well-known/oauth-protected-resource/mcp', method: 'GET' }],
  ];
  for (const [label, shape] of scenarios) {
    const response = await client.check(shape);
    console.log(`POST weather.example.com/mcp · ${label}`.replace('POST weather.example.com/mcp · RFC', 'GET  weather.example.com/.well-known/… · RFC'));
    console.log(`  → ${describe(response)}`);
    if (label.startsWith('RFC')) console.log(`         ${response.denied_response?.body ?? ''}`);
    console.log('');
  }
  const metrics = await service.metrics.registry.getSingleMetricAsString('audience_guard_rejections_total');
  console.log('metrics (admin /metrics):');
  for (const line of metrics.split('\n').filter((entry) => entry.startsWith('audience_guard_rejections_total{'))) console.log(`  ${line}`);
} finally {
  client.close();
  await service.stop(1_000);
  await auth.close();
  await rm(dir, { recursive: true, force: true });
}
