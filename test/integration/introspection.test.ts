/**
 * Opaque access tokens end to end (README "Opaque tokens"; RFC 7662): the real
 * service over gRPC with Envoy's protos, a real oidc-provider issuing opaque
 * client-credentials tokens and answering introspection and revocation.
 */
import { strict as assert } from 'node:assert';
import { httpStatus } from '../support/envoy-check-client.ts';
import { JWT_RESOURCE, reasonOf, startIntrospectionHarness, type IntrospectionHarness } from '../support/introspection-harness.ts';
import { OTHER_RESOURCE } from '../support/service-harness.ts';

describe('opaque tokens (introspection, end to end)', function () {
  let harness: IntrospectionHarness;
  const check = (token: string, authority = 'mcp.example.com') =>
    harness.client.check({ authority, headers: { authorization: `Bearer ${token}` } });

  before(async function () {
    harness = await startIntrospectionHarness();
  });
  after(async function () {
    await harness.close();
  });
  afterEach(function () {
    harness.introspection.setIntrospectionMode('normal');
  });

  it('allows an active opaque token for this resource, with token_type_hint and the service\'s own client', async function () {
    const token = await harness.opaqueToken();
    assert.equal(token.includes('.'), false, 'an opaque token, not a JWT');
    const response = await check(token);
    assert.equal(response.status?.code ?? 0, 0);
    assert.deepEqual(response.ok_response?.headers_to_remove, ['authorization', 'dpop']);
    assert.equal(response.dynamic_metadata?.fields?.client_id?.stringValue, 'mcp-client', 'client_id passes through');
    assert.equal(JSON.stringify(response).includes(token), false);
  });

  it('docs/contract.md case 45: makes no new introspection request for a repeat within cacheSeconds', async function () {
    const token = await harness.opaqueToken();
    const before = harness.introspection.introspectionRequestCount();
    for (let index = 0; index < 5; index += 1) assert.equal((await check(token)).status?.code ?? 0, 0);
    assert.equal(harness.introspection.introspectionRequestCount() - before, 1);
  });

  it('refuses an unknown opaque token as not active (expired, 401 invalid_token)', async function () {
    const response = await check('bm90LWEtdG9rZW4tYXQtYWxsLWp1c3QtcmFuZG9t');
    assert.equal(httpStatus(response), 401);
    assert.equal(reasonOf(response), 'expired');
  });

  it('attack: a revoked token must be refused', async function () {
    const token = await harness.opaqueToken();
    await harness.introspection.revoke(token);
    const response = await check(token);
    assert.equal(httpStatus(response), 401);
    assert.equal(reasonOf(response), 'expired');
  });

  it('attack: a token the authorization server issued for another resource must be refused (audience_mismatch)', async function () {
    const token = await harness.opaqueToken(OTHER_RESOURCE);
    const response = await check(token);
    assert.equal(httpStatus(response), 401);
    assert.equal(reasonOf(response), 'audience_mismatch');
  });

  it('still verifies JWTs of the introspecting issuer with its keys, without introspection', async function () {
    const token = await harness.token({ resource: JWT_RESOURCE });
    const before = harness.introspection.introspectionRequestCount();
    assert.equal((await check(token, 'jwt.example.com')).status?.code ?? 0, 0);
    assert.equal(harness.introspection.introspectionRequestCount(), before);
  });

  it('attack: an opaque token on a policy without an introspecting issuer must not be sent anywhere (malformed_token)', async function () {
    const token = await harness.opaqueToken();
    const before = harness.introspection.introspectionRequestCount();
    const response = await check(token, 'plain.example.com');
    assert.equal(reasonOf(response), 'malformed_token');
    assert.equal(harness.introspection.introspectionRequestCount(), before);
  });

  for (const [mode, what] of [['unavailable', 'down (503)'], ['not_json', 'garbled (not JSON)'], ['active_not_boolean', 'garbled (active "true")']] as const) {
    it(`answers 503 introspection_unavailable when the endpoint is ${what}, never an allow`, async function () {
      harness.introspection.setIntrospectionMode(mode);
      const response = await check(await harness.opaqueToken());
      assert.equal(httpStatus(response), 503);
      assert.equal(reasonOf(response), 'introspection_unavailable');
    });
  }

  it('counts requests by result and never puts a token or the client secret in logs or metrics', async function () {
    const token = await harness.opaqueToken();
    await check(token);
    const metrics = await harness.service.metrics.registry.metrics();
    assert.match(metrics, new RegExp(`audience_guard_introspection_requests_total\\{issuer="${harness.auth.issuer}",result="active"\\} [1-9]`));
    assert.match(metrics, /audience_guard_introspection_requests_total\{[^}]*result="failure"\} [1-9]/);
    const output = `${metrics}\n${JSON.stringify(harness.logs)}`;
    assert.equal(output.includes(token), false);
    assert.equal(output.includes('audience-guard-introspection-secret'), false);
    assert.ok(harness.logs.some((line) => line.event === 'introspection_failed'), 'failures are logged');
  });
});
