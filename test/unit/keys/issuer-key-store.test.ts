// The KeyResolver the core uses: one key set per distinct (issuer, JWKS URI),
// shared by every policy that trusts it, prefetched when a snapshot needs it
// and closed when no snapshot does; refresh outcomes reach listeners.
import { strict as assert } from 'node:assert';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type { KeySetRefresh } from '../../../src/keys/issuer-key-set.ts';
import { IssuerKeyStore } from '../../../src/keys/issuer-key-store.ts';
import { PolicySnapshot } from '../../../src/core/policy-snapshot.ts';
import type { RuntimeIssuer, RuntimePolicy } from '../../../src/core/runtime-policy.ts';
import { runtimePolicy } from '../policy-fixtures.ts';
import { eventually, json, startLocalServer, type LocalServer } from './local-http.ts';

const ISSUER_A = 'https://idp-a.example.com/realms/mcp';
const ISSUER_B = 'https://idp-b.example.com';

describe('IssuerKeyStore', () => {
  let server: LocalServer;
  let jwk: JWK;
  let status: number;
  let store: IssuerKeyStore;
  let clock: number;

  function count(path: string): number {
    return server.requests.filter((requested) => requested === path).length;
  }

  function policy(name: string, issuers: { issuer: string; jwksPath: string }[]): RuntimePolicy {
    return runtimePolicy({
      resource: `https://${name}.example.com/mcp`,
      issuers: issuers.map(({ issuer, jwksPath }) => ({ issuer, jwksUri: `${server.origin}${jwksPath}` })),
    }, { name, namespace: 'ns' });
  }

  function issuerOf(target: RuntimePolicy, issuer: string): RuntimeIssuer {
    const found = target.issuers.get(issuer);
    assert.ok(found !== undefined);
    return found;
  }

  before(async () => {
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    jwk = { ...(await exportJWK(publicKey)), kid: 'k1' };
  });

  beforeEach(async () => {
    status = 200;
    clock = 5_000_000;
    server = await startLocalServer((_request, response) => {
      if (status === 200) json(response, 200, { keys: [jwk] });
      else json(response, status, {});
    });
    store = new IssuerKeyStore({
      fetchLimits: { timeoutMs: 3_000, maxBytes: 64 * 1024 },
      refreshIntervalMs: 3_600_000,
      retryMinMs: 3_600_000,
      retryMaxMs: 3_600_000,
      now: () => clock,
    });
  });

  afterEach(async () => {
    store.close();
    await server.close();
  });

  it('creates one key set per distinct (issuer, JWKS URI), shared by the policies that trust it', async () => {
    const first = policy('first', [{ issuer: ISSUER_A, jwksPath: '/a' }]);
    const second = policy('second', [{ issuer: ISSUER_A, jwksPath: '/a' }, { issuer: ISSUER_B, jwksPath: '/b' }]);
    const third = policy('third', [{ issuer: ISSUER_A, jwksPath: '/a-other' }]);
    store.sync(new PolicySnapshot([first, second, third], 1));
    const shared = store.keySet(issuerOf(first, ISSUER_A));
    assert.ok(shared !== undefined);
    assert.equal(store.keySet(issuerOf(second, ISSUER_A)), shared);
    assert.notEqual(store.keySet(issuerOf(second, ISSUER_B)), undefined);
    assert.notEqual(store.keySet(issuerOf(third, ISSUER_A)), shared, 'the same issuer with another JWKS URI is another key set');
    await eventually(() => count('/a') === 1 && count('/b') === 1 && count('/a-other') === 1, 'one prefetch per key set');
    await eventually(() => shared.ready, 'the shared key set to load');
    assert.equal(server.requests.length, 3);
  });

  it('keeps existing key sets on a sync that still needs them (no refetch)', async () => {
    const first = policy('first', [{ issuer: ISSUER_A, jwksPath: '/a' }]);
    store.sync(new PolicySnapshot([first], 1));
    const set = store.keySet(issuerOf(first, ISSUER_A));
    await eventually(() => set?.ready === true, 'the key set to load');
    const again = policy('first', [{ issuer: ISSUER_A, jwksPath: '/a' }]);
    store.sync(new PolicySnapshot([again, policy('second', [{ issuer: ISSUER_A, jwksPath: '/a' }])], 2));
    assert.equal(store.keySet(issuerOf(again, ISSUER_A)), set);
    assert.equal(count('/a'), 1);
  });

  it('closes the key sets no policy needs any more', async () => {
    const first = policy('first', [{ issuer: ISSUER_A, jwksPath: '/a' }]);
    const second = policy('second', [{ issuer: ISSUER_B, jwksPath: '/b' }]);
    store.sync(new PolicySnapshot([first, second], 1));
    await eventually(() => count('/a') === 1 && count('/b') === 1, 'the prefetches');
    const kept = store.keySet(issuerOf(second, ISSUER_B));
    store.sync(new PolicySnapshot([second], 2));
    assert.equal(store.keySet(issuerOf(first, ISSUER_A)), undefined);
    assert.equal(store.keySet(issuerOf(second, ISSUER_B)), kept);
    // Needed again later: a fresh key set, fetched afresh.
    store.sync(new PolicySnapshot([first, second], 3));
    await eventually(() => count('/a') === 2, 'a new prefetch for the re-added key set');
  });

  it('resolves keys only from the named issuer\'s own key set', async () => {
    const first = policy('first', [{ issuer: ISSUER_A, jwksPath: '/a' }, { issuer: ISSUER_B, jwksPath: '/b' }]);
    store.sync(new PolicySnapshot([first], 1));
    const lookup = await store.resolve(issuerOf(first, ISSUER_B), { kid: 'k1', alg: 'ES256' });
    assert.equal(lookup.kind, 'key');
    status = 500;
    const other = policy('other', [{ issuer: ISSUER_A, jwksPath: '/down' }]);
    assert.deepEqual(await store.resolve(issuerOf(other, ISSUER_A), { kid: 'k1', alg: 'ES256' }), { kind: 'keys_unavailable' });
  });

  it('creates a key set on demand for an issuer no sync announced', async () => {
    const lonely = policy('lonely', [{ issuer: ISSUER_A, jwksPath: '/lonely' }]);
    const lookup = await store.resolve(issuerOf(lonely, ISSUER_A), { kid: 'k1', alg: 'ES256' });
    assert.equal(lookup.kind, 'key');
    assert.notEqual(store.keySet(issuerOf(lonely, ISSUER_A)), undefined);
  });

  it('tells every refresh listener about ok and failed refreshes, with the issuer', async () => {
    const seen: KeySetRefresh[] = [];
    const alsoSeen: KeySetRefresh[] = [];
    store.onRefresh((refresh) => seen.push(refresh));
    store.onRefresh((refresh) => alsoSeen.push(refresh));
    const first = policy('first', [{ issuer: ISSUER_A, jwksPath: '/a' }]);
    store.sync(new PolicySnapshot([first], 1));
    await eventually(() => seen.length === 1, 'the first refresh event');
    assert.deepEqual(seen[0], { issuer: ISSUER_A, ok: true, changed: true });
    status = 502;
    await store.keySet(issuerOf(first, ISSUER_A))!.refresh();
    assert.equal(seen.length, 2);
    const failed = seen[1]!;
    assert.equal(failed.issuer, ISSUER_A);
    assert.equal(failed.ok, false);
    assert.match(failed.error, /HTTP 502/);
    assert.deepEqual(alsoSeen, seen);
  });
});
