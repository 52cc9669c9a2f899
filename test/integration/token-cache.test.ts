/**
 * The verified-token cache through the real gRPC server (issue 5): a token
 * answered from the cache is still denied once the policy changes to require
 * another audience — a policy change empties the cache, and a hit re-checks
 * the audience anyway. Hits are visible in the metrics.
 */
import { strict as assert } from 'node:assert';
import { padBitSpellings, withSegment } from '../support/base64url-spellings.ts';
import { httpStatus } from '../support/envoy-check-client.ts';
import { eventually, MCP_RESOURCE, policyYAML, startHarness, type Harness } from '../support/service-harness.ts';

const ROUTING = '  hosts: [mcp.example.com]\n  pathPrefixes: [/mcp]\n';

async function cacheLookups(harness: Harness, result: 'hit' | 'miss'): Promise<number> {
  const text = await harness.service.metrics.registry.metrics();
  return Number(new RegExp(`^audience_guard_token_cache_lookups_total\\{result="${result}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
}

describe('verified-token cache through the gRPC server', function () {
  let harness: Harness;

  before(async function () {
    harness = await startHarness({ policies: (issuer) => policyYAML(issuer, { extra: ROUTING }) });
  });
  after(async function () {
    await harness.close();
  });

  it('must still deny a cached token after the policy changes to require another audience', async function () {
    const token = await harness.token({ resource: MCP_RESOURCE });
    const check = () => harness.client.check({ headers: { authorization: `Bearer ${token}` } });
    assert.equal((await check()).status?.code ?? 0, 0);
    const hitsBefore = await cacheLookups(harness, 'hit');
    assert.equal((await check()).status?.code ?? 0, 0);
    assert.equal(await cacheLookups(harness, 'hit'), hitsBefore + 1, 'the second check was answered from the cache');

    const generation = harness.service.store.current().generation;
    await harness.writePolicies(policyYAML(harness.auth.issuer, { resource: 'https://mcp.example.com/v2/mcp', extra: ROUTING }));
    await eventually(() => harness.service.store.current().generation > generation);

    const denied = await check();
    assert.notEqual(denied.status?.code ?? 0, 0);
    assert.equal(httpStatus(denied), 401);
    assert.equal(denied.dynamic_metadata?.fields?.reason?.stringValue, 'audience_mismatch');
    assert.equal((await check()).dynamic_metadata?.fields?.reason?.stringValue, 'audience_mismatch', 'and again, now possibly from the cache');
  });

});

describe('decision cache through the gRPC server', function () {
  let harness: Harness;

  before(async function () {
    harness = await startHarness({ policies: (issuer) => policyYAML(issuer, { extra: ROUTING }) });
  });
  after(async function () {
    await harness.close();
  });

  it('attack: a remembered allow must not survive the issuer dropping the key that signed it (docs/contract.md case 62)', async function () {
    const token = await harness.token({ resource: MCP_RESOURCE });
    const check = (value: string) => harness.client.check({ headers: { authorization: `Bearer ${value}` } });
    for (let round = 0; round < 3; round++) assert.equal((await check(token)).status?.code ?? 0, 0, 'allowed, and remembered from the second check on');
    await harness.auth.rotateSigningKey({ dropOld: true });
    // A token with the new key makes the service refetch the issuer's keys: the old key is gone.
    assert.equal((await check(await harness.token({ resource: MCP_RESOURCE }))).status?.code ?? 0, 0);
    const after = await check(token);
    assert.equal(httpStatus(after), 401);
    assert.equal(after.dynamic_metadata?.fields?.reason?.stringValue, 'unknown_key');
  });
});

describe('verified-token cache and token spellings through the gRPC server', function () {
  let harness: Harness;

  before(async function () {
    harness = await startHarness({ policies: (issuer) => policyYAML(issuer, { extra: ROUTING }) });
  });
  after(async function () {
    await harness.close();
  });

  it('attack: a cached token re-spelled with its pad bits set must be denied malformed_token, not answered from the cache', async function () {
    const token = await harness.token({ resource: MCP_RESOURCE });
    const check = (value: string) => harness.client.check({ headers: { authorization: `Bearer ${value}` } });
    assert.equal((await check(token)).status?.code ?? 0, 0);
    const spellings = [0, 1, 2].flatMap((index) => padBitSpellings(token.split('.')[index] ?? '').map((spelling) => withSegment(token, index, spelling)));
    assert.ok(spellings.length >= 15, 'the RS256 signature alone has 15');
    const hitsBefore = await cacheLookups(harness, 'hit');
    for (const spelling of spellings) {
      const denied = await check(spelling);
      assert.equal(httpStatus(denied), 401);
      assert.equal(denied.dynamic_metadata?.fields?.reason?.stringValue, 'malformed_token');
    }
    assert.equal(await cacheLookups(harness, 'hit'), hitsBefore, 'no other spelling was served from the cache');
    assert.equal((await check(token)).status?.code ?? 0, 0);
  });
});
