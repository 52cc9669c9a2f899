// The check span and its children, against the real SDK with an in-memory
// exporter (README "Tracing"): attributes from configuration and closed sets
// (policy, decision, reason, enforced, front end, MCP labels), ERROR status
// only for the 5xx reasons, trace ids for the log only when sampled, and a
// child span for an outbound request only while a check's span records.
import { strict as assert } from 'node:assert';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Decision } from '../../../src/core/decision.ts';
import { EndpointRefusedError } from '../../../src/net/endpoint-failure.ts';
import { ActiveContext } from '../../../src/tracing/active-context.ts';
import { checkSpans } from '../../../src/tracing/check-spans.ts';
import type { CheckTracing } from '../../../src/tracing/check-tracing.ts';
import { samplerFor } from '../../../src/tracing/service-tracing.ts';
import { tracedFetch } from '../../../src/tracing/traced-fetch.ts';
import { runtimePolicy } from '../policy-fixtures.ts';

const POLICY = runtimePolicy({}, { name: 'weather', namespace: 'tools' });
const SAMPLED = { traceHeaders: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } };
const UNSAMPLED = { traceHeaders: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00' } };

function deny(reason: 'missing_token' | 'keys_unavailable'): Decision {
  return { kind: 'deny', reason, policy: POLICY, challengeScopes: [], tokenSHA256: undefined, principal: undefined };
}

describe('check spans', () => {
  let exporter: InMemorySpanExporter;
  let active: ActiveContext;
  let tracing: CheckTracing;
  let provider: TracerProvider;

  beforeEach(() => {
    exporter = new InMemorySpanExporter();
    provider = new TracerProvider({ sampler: samplerFor({ name: 'parentbased_always_on', ratio: 1 }), spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    active = new ActiveContext();
    tracing = checkSpans(provider.getTracer('test'), active);
  });

  const finished = (): ReadableSpan[] => exporter.getFinishedSpans();

  it('gives an allow its policy, decision, front end and MCP labels, and a Permissive pass its reason as not enforced', () => {
    const allow: Decision = {
      kind: 'allow', policy: POLICY, principal: { issuer: 'https://idp.example.com', subject: 's', clientId: undefined, audiences: [] },
      upstreamCredential: undefined, notEnforced: 'audience_mismatch', tokenSHA256: undefined, mcp: { method: 'tools/call', tool: 'other' },
    };
    tracing.start('http', performance.now(), undefined, SAMPLED).end(allow);
    const [span] = finished();
    assert.equal(span?.kind, SpanKind.SERVER);
    assert.equal(span.name, 'audience-guard.check');
    assert.deepEqual(span.attributes, {
      'audience_guard.front_end': 'http', 'audience_guard.trace_parent': 'request', 'audience_guard.decision': 'allow',
      'audience_guard.policy': 'tools/weather', 'audience_guard.reason': 'audience_mismatch', 'audience_guard.enforced': false,
      'audience_guard.mcp.method': 'tools/call', 'audience_guard.mcp.tool': 'other',
    });
  });

  it('marks the span ERROR for a 5xx reason only', () => {
    tracing.start('grpc', performance.now(), undefined, undefined).end(deny('keys_unavailable'));
    tracing.start('grpc', performance.now(), undefined, undefined).end(deny('missing_token'));
    assert.deepEqual(finished().map((span) => span.status.code), [SpanStatusCode.ERROR, SpanStatusCode.UNSET]);
  });

  it('gives the log trace ids only for a sampled span, and exports nothing for an unsampled parent', () => {
    const sampled = tracing.start('grpc', performance.now(), undefined, SAMPLED);
    assert.equal(sampled.logFields?.trace_id, '0af7651916cd43dd8448eb211c80319c');
    const unsampled = tracing.start('grpc', performance.now(), undefined, UNSAMPLED);
    assert.equal(unsampled.logFields, undefined);
    unsampled.end(deny('missing_token'));
    sampled.end(deny('missing_token'));
    assert.equal(finished().length, 1);
  });

  it('makes a request sent while the check\'s span records its CLIENT child, with the status code, the URL without query, and error.type', async () => {
    const send = tracedFetch(provider.getTracer('test'), active, (url) => (url.includes('down')
      ? Promise.reject(new TypeError('fetch failed', { cause: new EndpointRefusedError('address not allowed') }))
      : Promise.resolve(new Response('{}', { status: 404 }))));
    const check = tracing.start('grpc', performance.now(), undefined, SAMPLED);
    await check.within(async () => {
      await send('https://idp.example.com/jwks?client=abc', { method: 'GET' });
      await assert.rejects(send('https://down.example.com:8443/token', { method: 'post' }));
    });
    check.end(deny('missing_token'));
    const [jwks, token, parent] = finished();
    assert.deepEqual([jwks?.kind, jwks?.parentSpanContext?.spanId], [SpanKind.CLIENT, parent?.spanContext().spanId]);
    assert.deepEqual(jwks?.attributes, {
      'http.request.method': 'GET', 'server.address': 'idp.example.com', 'server.port': 443, 'url.full': 'https://idp.example.com/jwks',
      'http.response.status_code': 404, 'error.type': '404',
    });
    assert.deepEqual([token?.name, token?.attributes['server.port'], token?.attributes['error.type'], token?.status.code], ['POST', 8443, 'refused', SpanStatusCode.ERROR]);
  });

  it('makes no span for a request outside any check, or after the check\'s span ended', async () => {
    const send = tracedFetch(provider.getTracer('test'), active, () => Promise.resolve(new Response('{}')));
    await send('https://idp.example.com/jwks', { method: 'GET' });
    const check = tracing.start('grpc', performance.now(), undefined, undefined);
    let later: Promise<unknown> = Promise.resolve();
    await check.within(async () => {
      // Work a check starts that goes on after it (a background refresh it scheduled).
      later = new Promise((resolve) => { setImmediate(resolve); }).then(() => send('https://idp.example.com/jwks', { method: 'GET' }));
      await Promise.resolve();
    });
    check.end(deny('missing_token'));
    await later;
    assert.deepEqual(finished().map((span) => span.name), ['audience-guard.check']);
  });
});
