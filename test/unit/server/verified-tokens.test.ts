// The running service's cache (src/server/verified-tokens.ts): off at size
// 0; emptied by every policy snapshot and by every refresh that changed an
// issuer's keys (not by one that found the same keys, nor by a failed one);
// its lookups and size visible in the metrics.
import { strict as assert } from 'node:assert';
import { createVerifiedTokens } from '../../../src/server/verified-tokens.ts';
import { tokenDigest } from '../../../src/core/token-hash.ts';
import type { KeySetRefresh } from '../../../src/keys/issuer-key-set.ts';
import { Metrics } from '../../../src/obs/metrics.ts';
import { PolicyStore } from '../../../src/policy/policy-store.ts';
import { policyDocument } from '../policy-fixtures.ts';

const NOW = 1_700_000_000;
const ENTRY = { header: { alg: 'RS256' }, payload: { sub: 'user-1', exp: NOW + 300 }, keySetId: 'k' };

describe('the service\'s verified-token cache', () => {
  let store: PolicyStore;
  let refreshListeners: ((refresh: KeySetRefresh) => void)[];
  let metrics: Metrics;
  const keys = { onRefresh: (listener: (refresh: KeySetRefresh) => void) => { refreshListeners.push(listener); } };
  const refresh = (event: KeySetRefresh): void => { for (const listener of refreshListeners) listener(event); };

  beforeEach(() => {
    store = new PolicyStore();
    refreshListeners = [];
    metrics = new Metrics({ defaultMetrics: false });
  });

  function filled(): NonNullable<ReturnType<typeof createVerifiedTokens>> {
    const cache = createVerifiedTokens(10, { store, keys, metrics, now: () => NOW });
    assert.ok(cache !== undefined);
    cache.lookup(tokenDigest('a.b.c'), 0).remember(ENTRY, NOW + 300);
    assert.equal(cache.size, 1);
    return cache;
  }

  it('is off at size 0', () => {
    assert.equal(createVerifiedTokens(0, { store, keys, metrics, now: () => NOW }), undefined);
  });

  it('must be emptied by every new policy snapshot', () => {
    const cache = filled();
    store.replace([{ origin: 'test#0', document: policyDocument(), createdAt: 0 }], 0);
    assert.equal(cache.size, 0);
  });

  it('must be emptied when a refresh changed an issuer\'s keys', () => {
    const cache = filled();
    refresh({ issuer: 'https://idp.example.com', ok: true, changed: true });
    assert.equal(cache.size, 0);
  });

  it('keeps its tokens through a refresh that found the same keys, and through a failed one', () => {
    const cache = filled();
    refresh({ issuer: 'https://idp.example.com', ok: true, changed: false });
    refresh({ issuer: 'https://idp.example.com', ok: false, error: 'answered HTTP 503', limit: undefined });
    assert.equal(cache.size, 1);
  });

  it('counts hits and misses and reports its size in the metrics', async () => {
    const cache = filled();
    cache.lookup(tokenDigest('a.b.c'), 0);
    cache.lookup(tokenDigest('x.y.z'), 0);
    const text = await metrics.registry.metrics();
    assert.match(text, /^audience_guard_token_cache_lookups_total\{result="hit"\} 1$/m);
    assert.match(text, /^audience_guard_token_cache_lookups_total\{result="miss"\} 2$/m);
    assert.match(text, /^audience_guard_token_cache_entries 1$/m);
  });
});
