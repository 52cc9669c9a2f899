// The verified-token cache (src/cache/verified-token-cache.ts) against the
// contract in src/core/verified-token-cache.ts: keyed by SHA-256 and snapshot
// generation (never the token), never past `exp` on an injected clock,
// bounded in entries and estimated bytes, emptied by invalidate() — including
// for a check that looked up before the invalidation and remembers after it.
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { estimatedEntryBytes } from '../../../src/cache/entry-size.ts';
import { LRUVerifiedTokenCache } from '../../../src/cache/verified-token-cache.ts';
import { tokenDigest } from '../../../src/core/token-hash.ts';
import type { RememberedToken } from '../../../src/core/verified-token-cache.ts';

const NOW = 1_700_000_000;

function verified(subject = 'user-1'): RememberedToken {
  return {
    header: { alg: 'RS256', typ: 'at+jwt', kid: 'k1' },
    payload: { iss: 'https://idp.example.com', sub: subject, aud: 'https://mcp.example.com/mcp', exp: NOW + 300, iat: NOW, jti: `jti-${subject}`, client_id: 'c' },
    keySetId: 'https://idp.example.com (discovered)',
  };
}

/** A token-shaped string (three base64url segments) standing in for a real one. */
function fakeToken(index: number): string {
  const segment = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${segment({ alg: 'RS256', typ: 'at+jwt' })}.${segment({ sub: `user-${String(index)}`, pad: 'x'.repeat(40) })}.${segment({ signature: index })}`;
}

/** The remembered token's own fields of a hit (an entry also carries its expiry and generation). */
function rememberedPart(hit: RememberedToken | undefined): RememberedToken | undefined {
  return hit === undefined ? undefined : { header: hit.header, payload: hit.payload, keySetId: hit.keySetId };
}

describe('LRUVerifiedTokenCache', () => {
  let clock: number;
  const cache = (overrides: { maxEntries?: number; maxBytes?: number; onLookup?: (hit: boolean) => void } = {}): LRUVerifiedTokenCache =>
    new LRUVerifiedTokenCache({ maxEntries: overrides.maxEntries ?? 100, maxBytes: overrides.maxBytes ?? 1 << 20, now: () => clock, ...(overrides.onLookup === undefined ? {} : { onLookup: overrides.onLookup }) });

  beforeEach(() => {
    clock = NOW;
  });

  describe('keys', () => {
    it('must key an entry by the snapshot generation and the SHA-256 of the token, never by the token or a segment of it', () => {
      const tokens = cache();
      const token = fakeToken(1);
      tokens.lookup(tokenDigest(token), 7).remember(verified(), NOW + 300);
      const keys = tokens.keys();
      assert.deepEqual(keys, [`7:${createHash('sha256').update(token).digest('base64')}`]);
      for (const key of keys) {
        assert.ok(!key.includes(token));
        for (const segment of token.split('.')) assert.ok(!key.includes(segment), 'no token segment in a key');
      }
    });

    it('must miss for the same token under another snapshot generation', () => {
      const tokens = cache();
      const digest = tokenDigest(fakeToken(1));
      tokens.lookup(digest, 1).remember(verified(), NOW + 300);
      assert.notEqual(tokens.lookup(digest, 1).hit, undefined);
      assert.equal(tokens.lookup(digest, 2).hit, undefined);
    });

    it('must miss for another token', () => {
      const tokens = cache();
      tokens.lookup(tokenDigest(fakeToken(1)), 1).remember(verified(), NOW + 300);
      assert.equal(tokens.lookup(tokenDigest(fakeToken(2)), 1).hit, undefined);
    });

    it('returns what was remembered', () => {
      const tokens = cache();
      const digest = tokenDigest(fakeToken(1));
      const entry = verified();
      tokens.lookup(digest, 1).remember(entry, NOW + 300);
      assert.deepEqual(rememberedPart(tokens.lookup(digest, 1).hit), entry);
    });
  });

  describe('sharing repeated values', () => {
    it('keeps one header object for tokens with the same header, and their claims unchanged', () => {
      const tokens = cache();
      const [first, second] = [fakeToken(1), fakeToken(2)].map(tokenDigest) as [Buffer, Buffer];
      tokens.lookup(first, 1).remember(verified('user-1'), NOW + 300);
      tokens.lookup(second, 1).remember(verified('user-2'), NOW + 300);
      const [a, b] = [tokens.lookup(first, 1).hit, tokens.lookup(second, 1).hit];
      assert.equal(a?.header, b?.header, 'one shared header');
      assert.deepEqual(rememberedPart(a), verified('user-1'));
      assert.deepEqual(rememberedPart(b), verified('user-2'));
    });

    it('keeps tokens with different headers apart', () => {
      const tokens = cache();
      const [first, second] = [fakeToken(1), fakeToken(2)].map(tokenDigest) as [Buffer, Buffer];
      tokens.lookup(first, 1).remember(verified(), NOW + 300);
      tokens.lookup(second, 1).remember({ ...verified(), header: { alg: 'ES256', typ: 'at+jwt', kid: 'k2' } }, NOW + 300);
      assert.deepEqual(tokens.lookup(first, 1).hit?.header, { alg: 'RS256', typ: 'at+jwt', kid: 'k1' });
      assert.deepEqual(tokens.lookup(second, 1).hit?.header, { alg: 'ES256', typ: 'at+jwt', kid: 'k2' });
    });

    it('keeps a claim named __proto__ as a claim, and array claims as arrays', () => {
      const tokens = cache();
      const digest = tokenDigest(fakeToken(1));
      const payload = JSON.parse('{"iss":"https://idp.example.com","aud":["https://a.example/mcp","https://b.example/mcp"],"__proto__":{"admin":true},"exp":1700000300}') as Record<string, unknown>;
      tokens.lookup(digest, 1).remember({ ...verified(), payload }, NOW + 300);
      const hit = tokens.lookup(digest, 1).hit?.payload;
      assert.ok(hit !== undefined && Object.hasOwn(hit, '__proto__'));
      assert.equal(Object.getPrototypeOf(hit), Object.prototype);
      assert.deepEqual(hit.aud, ['https://a.example/mcp', 'https://b.example/mcp']);
      assert.equal((hit as { admin?: unknown }).admin, undefined);
    });
  });

  describe('expiry (injected clock)', () => {
    it('must return an entry before its exp and never at or after it', () => {
      const tokens = cache();
      const digest = tokenDigest(fakeToken(1));
      tokens.lookup(digest, 1).remember(verified(), NOW + 10);
      clock = NOW + 9.999;
      assert.notEqual(tokens.lookup(digest, 1).hit, undefined);
      clock = NOW + 10;
      assert.equal(tokens.lookup(digest, 1).hit, undefined);
      clock = NOW;
      assert.equal(tokens.lookup(digest, 1).hit, undefined, 'an expired entry is dropped, not kept for a clock going back');
      assert.equal(tokens.size, 0);
    });

    it('must not store a token whose exp has been reached, or one without a usable exp', () => {
      const tokens = cache();
      tokens.lookup(tokenDigest(fakeToken(1)), 1).remember(verified(), NOW);
      tokens.lookup(tokenDigest(fakeToken(2)), 1).remember(verified(), NOW - 1);
      tokens.lookup(tokenDigest(fakeToken(3)), 1).remember(verified(), Number.NaN);
      assert.equal(tokens.size, 0);
    });
  });

  describe('bounds', () => {
    it('must hold at most maxEntries tokens, dropping the least recently used first', () => {
      const tokens = cache({ maxEntries: 3 });
      const digests = [1, 2, 3, 4].map((index) => tokenDigest(fakeToken(index)));
      for (const digest of digests.slice(0, 3)) tokens.lookup(digest, 1).remember(verified(), NOW + 300);
      assert.notEqual(tokens.lookup(digests[0]!, 1).hit, undefined, 'touch the first: the second is now least recent');
      tokens.lookup(digests[3]!, 1).remember(verified(), NOW + 300);
      assert.equal(tokens.size, 3);
      assert.equal(tokens.lookup(digests[1]!, 1).hit, undefined);
      for (const index of [0, 2, 3]) assert.notEqual(tokens.lookup(digests[index]!, 1).hit, undefined);
    });

    it('must hold at most maxBytes of estimated memory', () => {
      const perEntry = estimatedEntryBytes(verified());
      const tokens = cache({ maxEntries: 1_000, maxBytes: perEntry * 5 });
      for (let index = 0; index < 50; index++) tokens.lookup(tokenDigest(fakeToken(index)), 1).remember(verified(), NOW + 300);
      assert.equal(tokens.size, 5);
      assert.ok(tokens.estimatedBytes <= perEntry * 5);
    });

    it('estimates more memory for a token with more and longer claims', () => {
      const small = verified();
      const large = { ...small, payload: { ...small.payload, scope: 'a '.repeat(500), groups: Array.from({ length: 50 }, (_, index) => `group-${String(index)}`), extra: { nested: 'x'.repeat(300) } } };
      assert.ok(estimatedEntryBytes(large) > estimatedEntryBytes(small) + 1_000);
    });

    it('does not store a single entry larger than maxBytes', () => {
      const tokens = cache({ maxBytes: 100 });
      tokens.lookup(tokenDigest(fakeToken(1)), 1).remember(verified(), NOW + 300);
      assert.equal(tokens.size, 0);
    });
  });

  describe('invalidation', () => {
    it('must forget every token on invalidate()', () => {
      const tokens = cache();
      const digest = tokenDigest(fakeToken(1));
      tokens.lookup(digest, 1).remember(verified(), NOW + 300);
      tokens.invalidate();
      assert.equal(tokens.size, 0);
      assert.equal(tokens.lookup(digest, 1).hit, undefined);
    });

    it('must not store what a check that looked up before invalidate() remembers after it', () => {
      const tokens = cache();
      const digest = tokenDigest(fakeToken(1));
      const lookup = tokens.lookup(digest, 1); // the check starts, then awaits keys
      tokens.invalidate(); // the issuer's keys change meanwhile
      lookup.remember(verified(), NOW + 300); // verified with the old key
      assert.equal(tokens.lookup(digest, 1).hit, undefined);
      assert.equal(tokens.size, 0);
    });

    it('stores again for checks that start after invalidate()', () => {
      const tokens = cache();
      const digest = tokenDigest(fakeToken(1));
      tokens.invalidate();
      tokens.lookup(digest, 1).remember(verified(), NOW + 300);
      assert.notEqual(tokens.lookup(digest, 1).hit, undefined);
    });
  });

  it('tells onLookup about every hit and miss', () => {
    const seen: boolean[] = [];
    const tokens = cache({ onLookup: (hit) => seen.push(hit) });
    const digest = tokenDigest(fakeToken(1));
    tokens.lookup(digest, 1).remember(verified(), NOW + 300);
    tokens.lookup(digest, 1);
    clock = NOW + 300;
    tokens.lookup(digest, 1);
    assert.deepEqual(seen, [false, true, false]);
  });
});
