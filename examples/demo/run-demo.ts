/**
 * `npm run demo`: audience-guard doing its job, in one command. It starts a local
 * oidc-provider authorization server that issues RFC 9068 access tokens bound
 * (RFC 8707) to two example MCP resources, starts audience-guard with a policy for
 * each, and sends Check calls for several tokens. No Envoy runs: a gRPC ext_authz
 * client (Envoy's own protos) stands in for it and prints each answer, with the
 * token's claims (never the token), and one `token_rejected` log line.
 *
 * The demo reuses the test suite's local authorization server and Envoy client
 * (test/support/), so what it shows is exactly what the tests exercise;
 * test/demo/run-demo.test.ts runs it as the README's quick start does.
 *
 * `npm run demo -- --proxy caddy` (or `nginx`) runs a real MCP client through the
 * real proxy instead (examples/demo/proxy-demo.ts).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../src/obs/logger.ts';
import { startService } from '../../src/server/audience-guard-service.ts';
import { startAuthorizationServer } from '../../test/support/authorization-server.ts';
import { EnvoyCheckClient, type RequestShape } from '../../test/support/envoy-check-client.ts';
import { answerLines, claimsLine, policyLines } from './demo-output.ts';
import { demoProxy, runProxyDemo } from './proxy-demo.ts';

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

async function runCheckDemo(): Promise<void> {
  const auth = await startAuthorizationServer({
    resources: [{ resource: WEATHER, scopes: ['mcp:tools', 'mcp:read'] }, { resource: CALENDAR, scopes: ['mcp:tools'] }],
  });
  const dir = await mkdtemp(join(tmpdir(), 'audience-guard-demo-'));
  const policyFile = join(dir, 'policies.yaml');
  const policyYAML = policies(auth.issuer);
  await writeFile(policyFile, policyYAML);
  // The service's log lines (JSON, one per line) are kept to show one token_rejected line.
  const logLines: string[] = [];
  const service = await startService({
    policyFiles: [policyFile], grpcAddress: '127.0.0.1:0', adminAddress: '127.0.0.1:0',
    checkTimeoutMs: 150, maxTokenBytes: 16_384, maxRequestBytes: 1_048_576, maxConnectionAgeMs: 60_000,
  }, createLogger('warn', { write: (line: string) => { logLines.push(line); } }));
  const client = new EnvoyCheckClient(service.grpcPort);

  try {
    console.log('No Envoy runs in this demo: a gRPC ext_authz client stands in for it, sends the Check');
    console.log('calls Envoy would send (Envoy\'s own protos) and prints audience-guard\'s answers.\n');
    console.log(`authorization server  ${auth.issuer}  (oidc-provider; RFC 9068 JWT access tokens, RFC 8707 resource indicators)`);
    console.log(`audience-guard        gRPC 127.0.0.1:${String(service.grpcPort)} (ext_authz Check), admin http://127.0.0.1:${String(service.adminPort)}`);
    console.log('policies (the file audience-guard serves from):');
    for (const line of policyLines(policyYAML)) console.log(line);
    console.log('');

    const now = Math.floor(Date.now() / 1000);
    const tokens = {
      weather: await auth.issueToken({ resource: WEATHER, scope: 'mcp:tools' }),
      calendar: await auth.issueToken({ resource: CALENDAR, scope: 'mcp:tools' }),
      weatherReadOnly: await auth.issueToken({ resource: WEATHER, scope: 'mcp:read' }),
      expired: await auth.signCustomToken({
        iss: auth.issuer, sub: 'mcp-client', client_id: 'mcp-client', aud: WEATHER, scope: 'mcp:tools',
        iat: now - 3600, exp: now - 1800, jti: 'demo-expired',
      }),
    };
    const post = { authority: 'weather.example.com', path: '/mcp', method: 'POST' };
    const scenarios: [string, RequestShape, string | undefined][] = [
      ['token issued for weather (right audience)', post, tokens.weather],
      ['token issued for calendar (wrong audience)', post, tokens.calendar],
      ['token for weather without the required scope mcp:tools', post, tokens.weatherReadOnly],
      ['expired token for weather', post, tokens.expired],
      ['no token', post, undefined],
      ['RFC 9728 metadata, no token needed', { authority: 'weather.example.com', path: '/.well-known/oauth-protected-resource/mcp', method: 'GET' }, undefined],
    ];
    for (const [label, shape, token] of scenarios) {
      console.log(`${shape.method ?? 'POST'} ${shape.authority ?? ''}${shape.path ?? ''} · ${label}`);
      if (token !== undefined) console.log(`  ${claimsLine(token)}`);
      const response = await client.check(token === undefined ? shape : { ...shape, headers: { authorization: `Bearer ${token}` } });
      for (const line of answerLines(response)) console.log(`  ${line}`);
      console.log('');
    }

    const rejected = logLines.find((line) => line.includes('"event":"token_rejected"') && line.includes('"reason":"audience_mismatch"'));
    console.log('token_rejected log line (one per deny, on stdout under `serve`; a SHA-256 prefix, never the token):');
    console.log(`  ${rejected?.trim() ?? '(none was logged)'}\n`);
    const metrics = await service.metrics.registry.getSingleMetricAsString('audience_guard_rejections_total');
    console.log('metrics (admin /metrics):');
    for (const line of metrics.split('\n').filter((entry) => entry.startsWith('audience_guard_rejections_total{'))) console.log(`  ${line}`);
  } finally {
    client.close();
    await service.stop(1_000);
    await auth.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const proxy = demoProxy(process.argv.slice(2));
await (proxy === undefined ? runCheckDemo() : runProxyDemo(proxy));
