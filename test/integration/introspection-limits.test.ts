/**
 * Introspection under load and failure (README "Opaque tokens"): answers are
 * remembered by token digest for a bounded time, concurrent misses share one
 * request, at most --introspection-concurrency requests are in flight per
 * endpoint, and a slow or unreachable endpoint is a 503, all counted at the
 * real authorization server.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { httpStatus, type EnvoyCheckResponse } from '../support/envoy-check-client.ts';
import { reasonOf, startIntrospectionHarness, type IntrospectionHarness } from '../support/introspection-harness.ts';
import { eventually } from '../support/service-harness.ts';

async function checksInFlight(harness: IntrospectionHarness): Promise<number> {
  const metric = await harness.service.metrics.registry.getSingleMetric('audience_guard_checks_in_flight')?.get();
  return metric?.values[0]?.value ?? 0;
}

describe('opaque tokens: cache, single flight, concurrency and failures', function () {
  let harness: IntrospectionHarness;
  let clockOffset = 0;
  const check = (token: string) => harness.client.check({ headers: { authorization: `Bearer ${token}` } });
  const requests = () => harness.introspection.introspectionRequestCount();

  before(async function () {
    harness = await startIntrospectionHarness({
      introspection: '        cacheSeconds: 30\n',
      service: { introspectionConcurrency: 4, now: () => Date.now() / 1000 + clockOffset },
    });
  });
  after(async function () {
    await harness.close();
  });

  it('reuses an active answer until cacheSeconds, then asks again', async function () {
    const token = await harness.opaqueToken();
    const before = requests();
    assert.equal((await check(token)).status?.code ?? 0, 0);
    clockOffset += 29;
    assert.equal((await check(token)).status?.code ?? 0, 0);
    assert.equal(requests() - before, 1);
    clockOffset += 2;
    assert.equal((await check(token)).status?.code ?? 0, 0);
    assert.equal(requests() - before, 2);
  });

  it('reuses an inactive answer for 5 seconds only', async function () {
    const made = randomBytes(32).toString('base64url');
    const before = requests();
    assert.equal(reasonOf(await check(made)), 'expired');
    assert.equal(reasonOf(await check(made)), 'expired');
    assert.equal(requests() - before, 1);
    clockOffset += 6;
    assert.equal(reasonOf(await check(made)), 'expired');
    assert.equal(requests() - before, 2);
  });

  it('sends one request for concurrent misses of one token', async function () {
    const token = await harness.opaqueToken();
    const before = requests();
    const release = harness.introspection.holdIntrospection();
    let responses: Promise<EnvoyCheckResponse[]> | undefined;
    try {
      responses = Promise.all(Array.from({ length: 10 }, () => check(token)));
      // Every check waits, and the one request has reached the authorization server (where it is held).
      await eventually(async () => (await checksInFlight(harness)) === 10 && requests() - before >= 1, 10_000);
    } finally {
      release();
    }
    for (const response of await responses) assert.equal(response.status?.code ?? 0, 0);
    assert.equal(requests() - before, 1);
  });

  it('attack: a flood of made-up opaque tokens must not become a flood of introspection requests', async function () {
    const before = requests();
    const release = harness.introspection.holdIntrospection();
    const answered: EnvoyCheckResponse[] = [];
    const flood = Array.from({ length: 40 }, () => check(randomBytes(32).toString('base64url')).then((response) => {
      answered.push(response);
      return response;
    }));
    try {
      // 4 requests held at the authorization server, every other check already answered.
      await eventually(() => answered.length === 36 && requests() - before === 4, 10_000);
      for (const response of answered) {
        assert.equal(httpStatus(response), 503);
        assert.equal(reasonOf(response), 'introspection_unavailable');
      }
    } finally {
      release();
    }
    await Promise.all(flood);
    assert.equal(requests() - before, 4, 'at most --introspection-concurrency requests reach the authorization server');
    const metrics = await harness.service.metrics.registry.metrics();
    assert.match(metrics, /audience_guard_introspection_requests_total\{[^}]*result="rejected_busy"\} 36/);
  });

  it('answers 503 introspection_unavailable, not a check timeout, when the endpoint is slow', async function () {
    const release = harness.introspection.holdIntrospection();
    try {
      const response = await check(await harness.opaqueToken());
      assert.equal(httpStatus(response), 503);
      assert.equal(reasonOf(response), 'introspection_unavailable');
    } finally {
      release();
    }
  });
});

describe('opaque tokens: cacheSeconds 0 and an unreachable endpoint', function () {
  it('attack: a token revoked after it was accepted must be refused at once with cacheSeconds 0', async function () {
    const harness = await startIntrospectionHarness({ introspection: '        cacheSeconds: 0\n' });
    try {
      const token = await harness.opaqueToken();
      assert.equal((await harness.client.check({ headers: { authorization: `Bearer ${token}` } })).status?.code ?? 0, 0);
      await harness.introspection.revoke(token);
      assert.equal(reasonOf(await harness.client.check({ headers: { authorization: `Bearer ${token}` } })), 'expired');
    } finally {
      await harness.close();
    }
  });

  it('docs/contract.md case 46: answers 503 introspection_unavailable when nothing listens at the endpoint and nothing is cached', async function () {
    const harness = await startIntrospectionHarness({ introspection: '        endpoint: http://127.0.0.1:1/introspect\n' });
    try {
      const response = await harness.client.check({ headers: { authorization: `Bearer ${await harness.opaqueToken()}` } });
      assert.equal(httpStatus(response), 503);
      assert.equal(reasonOf(response), 'introspection_unavailable');
      assert.ok(harness.logs.some((line) => line.event === 'introspection_failed' && line.error === 'unreachable'));
    } finally {
      await harness.close();
    }
  });
});
