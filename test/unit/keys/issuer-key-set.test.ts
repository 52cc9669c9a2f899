// One issuer's verification keys (docs/contract.md §2.1 step 6, §3.4): fetched
// on refresh, cached, refetched on an unknown kid at most once per cooldown,
// kept through a failed refresh (an outage degrades to "old keys still work"),
// keys_unavailable only when nothing was ever had; concurrent callers share one
// fetch. The clock is injected, so cooldowns are tested without waiting.
import { strict as assert } from 'node:assert';
import type { ServerResponse } from 'node:http';
import { KeyObject } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type { KeyLookup } from '../../../src/core/key-resolver.ts';
import { IssuerKeySet, type KeySetOptions, type KeySetRefresh } from '../../../src/keys/issuer-key-set.ts';
import { eventually, json, startLocalServer, type LocalServer } from './local-http.ts';

const ISSUER = 'https://idp.example.com/realms/mcp';
const COOLDOWN_MS = 30_000;
const RETRY_MIN_MS = 1_000;

interface JWKSState {
  keys: JWK[];
  status: number;
  /** While true, answers are held until `release()`. */
  hold: boolean;
  held: ServerResponse[];
}

let rsaJWK: JWK;
let rotatedJWK: JWK;
let ecJWK: JWK;

async function publicJWK(alg: string, kid: string): Promise<JWK> {
  const { publicKey } = await generateKeyPair(alg, { extractable: true });
  return { ...(await exportJWK(publicKey)), kid };
}

function jwkOf(lookup: KeyLookup): JWK {
  assert.equal(lookup.kind, 'key');
  assert.ok(lookup.key instanceof KeyObject);
  return lookup.key.export({ format: 'jwk' });
}

describe('IssuerKeySet', () => {
  let server: LocalServer;
  let state: JWKSState;
  let clock: number;
  let events: KeySetRefresh[];
  const sets: IssuerKeySet[] = [];

  function answer(response: ServerResponse): void {
    if (state.status === 200) json(response, 200, { keys: state.keys });
    else json(response, state.status, { error: 'server_error' });
  }

  function release(): void {
    state.hold = false;
    for (const response of state.held.splice(0)) answer(response);
  }

  function options(overrides: Partial<KeySetOptions> = {}): KeySetOptions {
    return {
      fetchLimits: { timeoutMs: 3_000, maxBytes: 64 * 1024 },
      maxKeys: 10,
      unknownKeyCooldownMs: COOLDOWN_MS,
      // Real timers for routine refresh and retry are far away: only the test drives fetches.
      refreshIntervalMs: 3_600_000,
      retryMinMs: RETRY_MIN_MS,
      retryMaxMs: 3_600_000,
      now: () => clock,
      ...overrides,
    };
  }

  function track(set: IssuerKeySet): IssuerKeySet {
    sets.push(set);
    return set;
  }

  /** A key set with a configured JWKS URI on the local server. */
  function keySet(overrides: Partial<KeySetOptions> = {}): IssuerKeySet {
    return track(new IssuerKeySet(ISSUER, `${server.origin}/jwks`, options(overrides), (event) => events.push(event)));
  }

  /** A key set without a JWKS URI: it must discover one from `issuer`. */
  function discoveringKeySet(issuer: string): IssuerKeySet {
    return track(new IssuerKeySet(issuer, undefined, options(), (event) => events.push(event)));
  }

  function jwksRequests(): number {
    return server.requests.filter((path) => path === '/jwks').length;
  }

  before(async () => {
    [rsaJWK, rotatedJWK, ecJWK] = await Promise.all([publicJWK('RS256', 'rsa-1'), publicJWK('RS256', 'rsa-2'), publicJWK('ES256', 'ec-1')]);
  });

  beforeEach(async () => {
    clock = 1_000_000;
    events = [];
    state = { keys: [rsaJWK, ecJWK], status: 200, hold: false, held: [] };
    server = await startLocalServer((request, response) => {
      if (request.url !== '/jwks') {
        json(response, 404, {});
        return;
      }
      if (state.hold) state.held.push(response);
      else answer(response);
    });
  });

  afterEach(async () => {
    for (const set of sets.splice(0)) set.close();
    release();
    await server.close();
  });

  describe('fetching', () => {
    it('is not ready before the first refresh and is ready with the served keys after it', async () => {
      const set = keySet();
      assert.equal(set.ready, false);
      await set.refresh();
      assert.equal(set.ready, true);
      assert.equal(set.lastError, undefined);
      assert.equal(jwksRequests(), 1);
      assert.equal(jwkOf(await set.resolve('rsa-1', 'RS256')).n, rsaJWK.n);
      assert.equal(jwkOf(await set.resolve('ec-1', 'ES256')).x, ecJWK.x);
      assert.equal(jwksRequests(), 1, 'known keys are served from the cache');
    });

    it('fetches on the first resolve when nothing was loaded yet', async () => {
      const set = keySet();
      assert.equal(jwkOf(await set.resolve('rsa-1', 'RS256')).n, rsaJWK.n);
      assert.equal(jwksRequests(), 1);
    });

    it('answers unknown_key for a known kid with an algorithm its key does not fit', async () => {
      const set = keySet();
      await set.refresh();
      assert.deepEqual(await set.resolve('ec-1', 'RS256'), { kind: 'unknown_key' });
    });

    it('discovers the JWKS URI from the issuer when none is configured', async () => {
      let issuer = '';
      const idp = await startLocalServer((request, response) => {
        if (request.url === '/.well-known/oauth-authorization-server/realms/mcp') json(response, 200, { issuer, jwks_uri: `${server.origin}/jwks` });
        else json(response, 404, {});
      });
      try {
        issuer = `${idp.origin}/realms/mcp`;
        const set = discoveringKeySet(issuer);
        await set.refresh();
        assert.equal(set.ready, true, set.lastError);
        assert.equal(jwkOf(await set.resolve('rsa-1', 'RS256')).n, rsaJWK.n);
        assert.equal(jwksRequests(), 1);
      } finally {
        await idp.close();
      }
    });

    it('discovers the JWKS URI again after a failed fetch (the issuer may have moved it)', async () => {
      let issuer = '';
      let jwksPath = '/old-jwks';
      const idp = await startLocalServer((request, response) => {
        if (request.url === '/.well-known/oauth-authorization-server/realms/mcp') json(response, 200, { issuer, jwks_uri: `${server.origin}${jwksPath}` });
        else json(response, 404, {});
      });
      try {
        issuer = `${idp.origin}/realms/mcp`;
        const set = discoveringKeySet(issuer);
        await set.refresh();
        assert.equal(set.ready, false);
        jwksPath = '/jwks';
        await set.refresh();
        assert.equal(set.ready, true, set.lastError);
        assert.equal(idp.requests.length, 2, 'discovery is asked again');
      } finally {
        await idp.close();
      }
    });

    it('is not ready when discovery finds no document for the issuer', async () => {
      const set = discoveringKeySet(`${server.origin}/realms/mcp`);
      await set.refresh();
      assert.equal(set.ready, false);
      assert.match(set.lastError ?? '', /discovery failed/);
      assert.deepEqual(await set.resolve('rsa-1', 'RS256'), { kind: 'keys_unavailable' });
    });
  });

  describe('unknown kid', () => {
    it('refetches once and finds a key the issuer rotated in', async () => {
      const set = keySet();
      await set.refresh();
      state.keys = [rsaJWK, rotatedJWK];
      assert.equal(jwkOf(await set.resolve('rsa-2', 'RS256')).n, rotatedJWK.n);
      assert.equal(jwksRequests(), 2);
    });

    it('refetches at most once per cooldown, however many unknown kids arrive', async () => {
      const set = keySet();
      await set.refresh();
      assert.deepEqual(await set.resolve('invented-1', 'RS256'), { kind: 'unknown_key' });
      assert.equal(jwksRequests(), 2, 'the first unknown kid triggers one refetch');
      assert.deepEqual(await set.resolve('invented-2', 'RS256'), { kind: 'unknown_key' });
      assert.deepEqual(await set.resolve('invented-1', 'RS256'), { kind: 'unknown_key' });
      clock += COOLDOWN_MS - 1;
      assert.deepEqual(await set.resolve('invented-3', 'RS256'), { kind: 'unknown_key' });
      assert.equal(jwksRequests(), 2, 'no refetch within the cooldown');
      clock += 1;
      assert.deepEqual(await set.resolve('invented-4', 'RS256'), { kind: 'unknown_key' });
      assert.equal(jwksRequests(), 3, 'one more refetch once the cooldown has passed');
      assert.deepEqual(await set.resolve('invented-5', 'RS256'), { kind: 'unknown_key' });
      assert.equal(jwksRequests(), 3);
    });

    it('still finds a key rotated in during the cooldown once the cooldown has passed', async () => {
      const set = keySet();
      await set.refresh();
      await set.resolve('invented', 'RS256');
      state.keys = [rsaJWK, rotatedJWK];
      assert.deepEqual(await set.resolve('rsa-2', 'RS256'), { kind: 'unknown_key' });
      clock += COOLDOWN_MS;
      assert.equal(jwkOf(await set.resolve('rsa-2', 'RS256')).n, rotatedJWK.n);
    });

    it('does not refetch for a token without kid that matches no key', async () => {
      const set = keySet();
      await set.refresh();
      assert.deepEqual(await set.resolve(undefined, 'ES384'), { kind: 'unknown_key' });
      assert.equal(jwksRequests(), 1);
    });
  });

  describe('failures', () => {
    it('keeps the cached keys when a refresh fails', async () => {
      const set = keySet();
      await set.refresh();
      state.status = 500;
      await set.refresh();
      assert.equal(jwksRequests(), 2);
      assert.match(set.lastError ?? '', /HTTP 500/);
      assert.equal(set.ready, true);
      assert.equal(jwkOf(await set.resolve('rsa-1', 'RS256')).n, rsaJWK.n);
    });

    it('answers unknown_key, not keys_unavailable, for an unknown kid while the issuer is down but keys are cached', async () => {
      const set = keySet();
      await set.refresh();
      state.status = 503;
      assert.deepEqual(await set.resolve('invented', 'RS256'), { kind: 'unknown_key' });
      assert.equal(jwkOf(await set.resolve('rsa-1', 'RS256')).n, rsaJWK.n);
    });

    it('answers keys_unavailable when nothing is cached and the issuer is down', async () => {
      state.status = 500;
      const set = keySet();
      assert.deepEqual(await set.resolve('rsa-1', 'RS256'), { kind: 'keys_unavailable' });
      assert.equal(set.ready, false);
      assert.match(set.lastError ?? '', /HTTP 500/);
    });

    it('does not retry on every request while nothing is cached, only after retryMinMs', async () => {
      state.status = 500;
      const set = keySet();
      await set.resolve('rsa-1', 'RS256');
      await set.resolve('rsa-1', 'RS256');
      assert.equal(jwksRequests(), 1);
      state.status = 200;
      clock += RETRY_MIN_MS;
      assert.equal(jwkOf(await set.resolve('rsa-1', 'RS256')).n, rsaJWK.n);
      assert.equal(jwksRequests(), 2);
      assert.equal(set.lastError, undefined, 'a success clears the last error');
    });

    it('refuses a JWKS with more than maxKeys keys and keeps what it had', async () => {
      const set = keySet({ maxKeys: 2 });
      await set.refresh();
      state.keys = [rsaJWK, rotatedJWK, ecJWK];
      await set.refresh();
      assert.match(set.lastError ?? '', /more than 2 keys/);
      assert.deepEqual(await set.resolve('rsa-2', 'RS256'), { kind: 'unknown_key' });
      assert.equal(jwkOf(await set.resolve('rsa-1', 'RS256')).n, rsaJWK.n);
    });
  });

  describe('single flight', () => {
    it('lets concurrent resolves share one in-flight fetch', async () => {
      state.hold = true;
      const set = keySet();
      const pending = Array.from({ length: 5 }, () => set.resolve('rsa-1', 'RS256'));
      await eventually(() => state.held.length === 1, 'the first JWKS request');
      release();
      for (const lookup of await Promise.all(pending)) assert.equal(jwkOf(lookup).n, rsaJWK.n);
      assert.equal(jwksRequests(), 1);
    });

    it('lets concurrent unknown kids share one refetch', async () => {
      const set = keySet();
      await set.refresh();
      state.keys = [rsaJWK, rotatedJWK];
      state.hold = true;
      const pending = [set.resolve('rsa-2', 'RS256'), set.resolve('rsa-2', 'RS256'), set.resolve('invented', 'RS256')];
      await eventually(() => state.held.length === 1, 'the refetch');
      release();
      const [first, second, third] = await Promise.all(pending);
      assert.equal(jwkOf(first!).n, rotatedJWK.n);
      assert.equal(jwkOf(second!).n, rotatedJWK.n);
      assert.deepEqual(third, { kind: 'unknown_key' });
      assert.equal(jwksRequests(), 2);
    });

    it('returns the same promise for overlapping refresh calls', async () => {
      state.hold = true;
      const set = keySet();
      const first = set.refresh();
      const second = set.refresh();
      assert.equal(first, second);
      await eventually(() => state.held.length === 1, 'the JWKS request');
      release();
      await first;
      assert.equal(jwksRequests(), 1);
    });
  });

  describe('refresh events', () => {
    it('reports ok and failed refreshes with the issuer', async () => {
      const set = keySet();
      await set.refresh();
      state.status = 500;
      await set.refresh();
      assert.equal(events.length, 2);
      assert.deepEqual(events[0], { issuer: ISSUER, ok: true, changed: true });
      const failed = events[1]!;
      assert.equal(failed.issuer, ISSUER);
      assert.equal(failed.ok, false);
      assert.match(failed.error, /HTTP 500/);
    });

    it('says whether the keys changed, so verified-token caches can be emptied', async () => {
      const set = keySet();
      await set.refresh();
      await set.refresh();
      state.keys = [rotatedJWK, rsaJWK, ecJWK];
      await set.refresh();
      state.keys = [rotatedJWK];
      await set.refresh();
      assert.deepEqual(events.map((event) => event.ok && event.changed), [true, false, true, true]);
    });

    it('reports nothing and keeps nothing from a fetch that ends after close', async () => {
      state.hold = true;
      const set = keySet();
      const pending = set.refresh();
      await eventually(() => state.held.length === 1, 'the JWKS request');
      set.close();
      release();
      await pending;
      assert.deepEqual(events, []);
      assert.equal(set.ready, false);
    });
  });
});
