/**
 * Tracing end to end (README "Tracing"): the real service with its real
 * OpenTelemetry SDK and OTLP/HTTP exporter, sending to an in-process OTLP
 * receiver (a test double of a collector); checks over gRPC with Envoy's
 * protos against a real oidc-provider. A check joins the trace Envoy
 * propagated — the call's metadata first, else the request's headers — as
 * one SERVER span with configuration and closed-set attributes only; the
 * requests it makes out (a JWKS refetch, an upstream token request) are its
 * children; a deny's log line leads to its span; nothing exported holds any
 * part of a token; and with tracing off nothing asks for a tracer at all
 * (docs/contract.md §3.5, cases 34–38).
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trace, type TracerProvider } from '@opentelemetry/api';
import { EnvoyCheckClient, httpStatus } from '../support/envoy-check-client.ts';
import { startOTLPReceiver, type OTLPReceiver, type ReceivedSpan } from '../support/otlp-receiver.ts';
import { captureOutput, leaksIn } from '../support/secret-ledger.ts';
import { MCP_RESOURCE, policyYAML, startHarness, type Harness } from '../support/service-harness.ts';

const TOOLS_RESOURCE = 'https://tools.example.com/mcp';
const UPSTREAM = 'https://api.tools.example.com';
const SERVICE_CLIENT = { clientId: 'tools-mcp', clientSecret: 'tools-mcp-secret' };
const SERVER = 2;
const CLIENT = 3;
const STATUS_ERROR = 2;
const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;
const COUNT_OPENTELEMETRY = new URL('../support/record-opentelemetry-loads.ts', import.meta.url).pathname;

/**
 * `serve` in a child process with `args` and `env`: one check under a
 * traceparent once it listens, then SIGTERM (a stop exports what is left).
 * Resolves with the exit code, stderr, and how many OpenTelemetry modules it loaded.
 */
function serveOneCheck(policyFile: string, args: readonly string[], env: Record<string, string>, traceparent: string): Promise<{ code: number | null; stderr: string; openTelemetryModules: number }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', COUNT_OPENTELEMETRY, MAIN, 'serve', '--policy-file', policyFile, '--grpc-address', '127.0.0.1:0', '--admin-address', '127.0.0.1:0', ...args], {
      env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.stdout.on('data', (chunk: Buffer) => {
      const first = stdout === '' || !stdout.includes('"event":"listening"');
      stdout += chunk.toString();
      const listening = /"event":"listening","grpc":"[^"]*:(\d+)"/.exec(stdout);
      if (first && listening !== null) {
        const client = new EnvoyCheckClient(Number(listening[1]));
        void client.check({ headers: { traceparent } }).finally(() => { client.close(); child.kill('SIGTERM'); });
      }
    });
    child.on('close', (code) => {
      captureOutput(stdout);
      captureOutput(stderr);
      resolve({ code, stderr, openTelemetryModules: Number(/opentelemetry-modules: (\d+)/.exec(stderr)?.[1] ?? Number.NaN) });
    });
  });
}

/** A fresh W3C trace context: its trace id, the caller's span id, and the `traceparent` (sampled). */
function traceContext(): { traceId: string; spanId: string; traceparent: string } {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

async function startTracedHarness(dir: string, tracing: { tracesURL: string } | undefined): Promise<Harness> {
  const secretFile = join(dir, 'client-secret');
  await writeFile(secretFile, SERVICE_CLIENT.clientSecret);
  return startHarness({
    resources: [{ resource: MCP_RESOURCE, scopes: ['mcp:tools'] }, { resource: TOOLS_RESOURCE, scopes: ['mcp:tools'] }, { resource: UPSTREAM, scopes: ['read'] }],
    clients: [SERVICE_CLIENT],
    policies: (issuer) => [
      policyYAML(issuer),
      policyYAML(issuer, {
        name: 'tools', resource: TOOLS_RESOURCE,
        extra: `  upstream:\n    clientCredentials:\n      tokenEndpoint: ${issuer}/token\n      resource: ${UPSTREAM}\n      clientId: ${SERVICE_CLIENT.clientId}\n      clientSecretFile: ${secretFile}\n`,
      }),
    ].join('---\n'),
    service: tracing === undefined ? {} : { tracing: { sampler: { name: 'parentbased_always_on', ratio: 1 }, serviceName: 'audience-guard-test', ...tracing } },
  });
}

describe('tracing (end to end, real exporter to an OTLP receiver)', function () {
  let receiver: OTLPReceiver;
  let harness: Harness;
  let dir: string;
  const tokens: string[] = [];

  before(async function () {
    receiver = await startOTLPReceiver();
    dir = await mkdtemp(join(tmpdir(), 'audience-guard-tracing-'));
    harness = await startTracedHarness(dir, { tracesURL: receiver.tracesURL });
  });
  after(async function () {
    await harness.close();
    await receiver.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function token(resource = MCP_RESOURCE): Promise<string> {
    const issued = await harness.token({ resource });
    tokens.push(issued);
    return issued;
  }

  /** The spans of `traceId` once the service has exported what it ended. */
  async function exported(traceId: string): Promise<{ check: ReceivedSpan; children: ReceivedSpan[] }> {
    await harness.service.flushTraces?.();
    const spans = receiver.trace(traceId);
    const checks = spans.filter((span) => span.name === 'audience-guard.check');
    assert.equal(checks.length, 1, `one check span in trace ${traceId}`);
    const check = checks[0]!;
    return { check, children: spans.filter((span) => span.parentSpanId === check.spanId) };
  }

  it('makes a check under a traceparent of the request one SERVER span, child of that trace, with the decision\'s attributes', async function () {
    const parent = traceContext();
    const response = await harness.client.check({ headers: { authorization: `Bearer ${await token()}`, traceparent: parent.traceparent } });
    assert.equal(response.status?.code ?? 0, 0);
    const { check } = await exported(parent.traceId);
    assert.equal(check.kind, SERVER);
    assert.equal(check.parentSpanId, parent.spanId);
    assert.deepEqual(check.attributes, {
      'audience_guard.front_end': 'grpc', 'audience_guard.trace_parent': 'request', 'audience_guard.decision': 'allow', 'audience_guard.policy': 'mcp/mcp',
    });
    assert.equal(check.resource['service.name'], 'audience-guard-test');
  });

  it('joins the trace in the call\'s gRPC metadata (Envoy\'s ext_authz span) rather than the one in the request\'s headers', async function () {
    const envoy = traceContext();
    const client = traceContext();
    await harness.client.check({ headers: { authorization: `Bearer ${await token()}`, traceparent: client.traceparent } }, 5_000, { traceparent: envoy.traceparent });
    const { check } = await exported(envoy.traceId);
    assert.equal(check.parentSpanId, envoy.spanId);
    assert.equal(check.attributes['audience_guard.trace_parent'], 'call');
    assert.deepEqual(receiver.trace(client.traceId), [], 'nothing joins the trace the client named');
  });

  it('joins a B3 trace of the request (x-b3-* headers)', async function () {
    const parent = traceContext();
    await harness.client.check({ headers: { 'x-b3-traceid': parent.traceId, 'x-b3-spanid': parent.spanId, 'x-b3-sampled': '1' } });
    const { check } = await exported(parent.traceId);
    assert.equal(check.parentSpanId, parent.spanId);
  });

  it('records a deny\'s reason, and its token_rejected line carries the span\'s trace_id and span_id', async function () {
    const parent = traceContext();
    const response = await harness.client.check({ headers: { traceparent: parent.traceparent } });
    assert.equal(httpStatus(response), 401);
    const { check } = await exported(parent.traceId);
    assert.equal(check.attributes['audience_guard.decision'], 'deny');
    assert.equal(check.attributes['audience_guard.reason'], 'missing_token');
    assert.equal(check.attributes['audience_guard.enforced'], true);
    assert.notEqual(check.status.code, STATUS_ERROR, 'a 4xx deny is a verdict, not a failure of the service');
    const lines = harness.logs.filter((line) => line.event === 'token_rejected' && line.trace_id === parent.traceId);
    assert.equal(lines.length, 1);
    assert.equal(lines[0]?.span_id, check.spanId);
  });

  it('makes a JWKS refetch and an upstream token request children of the check that needed them, with their status codes', async function () {
    await harness.auth.rotateSigningKey();
    const parent = traceContext();
    const response = await harness.client.check({ authority: 'tools.example.com', headers: { authorization: `Bearer ${await token(TOOLS_RESOURCE)}`, traceparent: parent.traceparent } });
    assert.equal(response.status?.code ?? 0, 0);
    const { check, children } = await exported(parent.traceId);
    assert.equal(check.attributes['audience_guard.policy'], 'mcp/tools');
    const jwks = children.find((span) => String(span.attributes['url.full']).endsWith('/jwks'));
    const tokenRequest = children.find((span) => String(span.attributes['url.full']).endsWith('/token'));
    assert.ok(jwks, `a JWKS child span among ${children.map((span) => span.name).join(', ')}`);
    assert.ok(tokenRequest, 'a token request child span');
    assert.deepEqual([jwks.kind, jwks.name, jwks.attributes['http.response.status_code']], [CLIENT, 'GET', 200]);
    assert.deepEqual([tokenRequest.kind, tokenRequest.name, tokenRequest.attributes['http.response.status_code']], [CLIENT, 'POST', 200]);
    assert.equal(tokenRequest.attributes['server.address'], '127.0.0.1');
  });

  it('attack: no exported span attribute or event may carry any part of a token, whatever the check did', async function () {
    await harness.client.check({ headers: { authorization: `Bearer ${await token()}x`, traceparent: traceContext().traceparent } });
    await harness.service.flushTraces?.();
    assert.ok(receiver.bodies.length > 0 && tokens.length > 0);
    assert.deepEqual(leaksIn(tokens, receiver.bodies.join('\n')).leaks, []);
  });
});

describe('tracing with the collector down', function () {
  let harness: Harness;
  let dir: string;

  before(async function () {
    dir = await mkdtemp(join(tmpdir(), 'audience-guard-collector-down-'));
    const gone = await startOTLPReceiver();
    const tracesURL = gone.tracesURL;
    await gone.close();
    harness = await startTracedHarness(dir, { tracesURL });
  });
  after(async function () {
    await harness.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('decides and answers every check as without tracing when no collector takes the spans', async function () {
    const traceparent = traceContext().traceparent;
    const allowed = await harness.client.check({ headers: { authorization: `Bearer ${await harness.token({ resource: MCP_RESOURCE })}`, traceparent } });
    assert.equal(allowed.status?.code ?? 0, 0);
    assert.equal(httpStatus(await harness.client.check({ headers: { traceparent } })), 401);
  });

  it('stops within the time it gives the last export, not the exporter\'s retries', async function () {
    const started = performance.now();
    await harness.service.stop(1_000);
    assert.ok(performance.now() - started < 4_000, `stopped in ${String(performance.now() - started)} ms`);
  });
});

describe('tracing off (the default)', function () {
  let harness: Harness;
  let dir: string;
  let tracerRequests = 0;

  before(async function () {
    dir = await mkdtemp(join(tmpdir(), 'audience-guard-untraced-'));
    // Were anything on the check path to use the OpenTelemetry API, it would ask this provider for a tracer.
    const counting: TracerProvider = { getTracer: () => { tracerRequests += 1; throw new Error('no tracer when tracing is off'); } };
    assert.ok(trace.setGlobalTracerProvider(counting));
    harness = await startTracedHarness(dir, undefined);
  });
  after(async function () {
    trace.disable();
    await harness.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates no span and asks for no tracer, across allows, denies, a JWKS refetch and an upstream token request', async function () {
    assert.equal(harness.service.flushTraces, undefined, 'no tracer provider exists');
    await harness.auth.rotateSigningKey();
    const traceparent = traceContext().traceparent;
    const allowed = await harness.client.check({ authority: 'tools.example.com', headers: { authorization: `Bearer ${await harness.token({ resource: TOOLS_RESOURCE })}`, traceparent } });
    assert.equal(allowed.status?.code ?? 0, 0);
    assert.equal(httpStatus(await harness.client.check({ headers: { traceparent } }, 5_000, { traceparent })), 401);
    assert.equal(tracerRequests, 0);
    const line = harness.logs.find((entry) => entry.event === 'token_rejected');
    assert.ok(line);
    assert.equal('trace_id' in line, false, 'no trace ids in the log without tracing');
  });
});

describe('serve --tracing with the OTEL_* variables (child process)', function () {
  this.timeout(40_000);
  let receiver: OTLPReceiver;
  let dir: string;
  let policyFile: string;

  before(async function () {
    receiver = await startOTLPReceiver();
    dir = await mkdtemp(join(tmpdir(), 'audience-guard-serve-tracing-'));
    policyFile = join(dir, 'policy.yaml');
    await writeFile(policyFile, policyYAML('https://idp.example.com'));
  });
  after(async function () {
    await receiver.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('exports to OTEL_EXPORTER_OTLP_ENDPOINT as OTEL_SERVICE_NAME only with --tracing; without it loads no module of the SDK', async function () {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_SERVICE_NAME: 'ext-authz-under-test' };
    const untraced = traceContext();
    const off = await serveOneCheck(policyFile, [], env, untraced.traceparent);
    assert.deepEqual([off.code, off.openTelemetryModules], [0, 0]);
    const traced = traceContext();
    const on = await serveOneCheck(policyFile, ['--tracing'], env, traced.traceparent);
    assert.equal(on.code, 0);
    assert.ok(on.openTelemetryModules > 0, 'the hook sees the modules tracing loads');
    assert.deepEqual(receiver.trace(untraced.traceId), [], 'without --tracing nothing is exported');
    const [check] = receiver.trace(traced.traceId);
    assert.equal(check?.parentSpanId, traced.spanId);
    assert.equal(check.resource['service.name'], 'ext-authz-under-test');
  });

  it('exits 2 naming the variable for a bad tracing setting', async function () {
    const result = await serveOneCheck(policyFile, ['--tracing'], { OTEL_TRACES_SAMPLER: 'sometimes' }, traceContext().traceparent);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--tracing: OTEL_TRACES_SAMPLER: expected one of/);
  });
});
