// The decision with a verified-token cache (issue 5, ADR 0005): a remembered
// token skips only decoding and the signature. The header and issuer rules of
// the policy at hand, the current time, the audience, the scopes and the mode
// still decide every request; only tokens that verified are remembered; a
// remembered token from another key set or snapshot is verified again.
import { strict as assert } from 'node:assert';
import { KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { LRUVerifiedTokenCache } from '../../../src/cache/verified-token-cache.ts';
import { jwtCheckEnvironment } from '../../../src/core/check-environment.ts';
import { decide } from '../../../src/core/check-pipeline.ts';
import type { Decision } from '../../../src/core/decision.ts';
import type { KeyLookup, KeyResolver } from '../../../src/core/key-resolver.ts';
import { tokenDigest } from '../../../src/core/token-hash.ts';
import type { AudiencePolicySpec } from '../../../src/policy/policy-schema.ts';
import { PolicySnapshot } from '../../../src/core/policy-snapshot.ts';
import type { RuntimeIssuer } from '../../../src/core/runtime-policy.ts';
import { padBitMask, padBitSpellings, withPadBits, withSegment } from '../../support/base64url-spellings.ts';
import { ISSUER, RESOURCE, runtimePolicy } from '../policy-fixtures.ts';

const NOW = 1_700_000_000;
const OTHER_HOST = 'other.example.com';
const OTHER_RESOURCE = `https://${OTHER_HOST}/mcp`;

/** Answers every issuer with one key and counts the lookups (= signature checks attempted). */
class CountingKeyResolver implements KeyResolver {
  lookups = 0;
  readonly #key: KeyObject;
  constructor(key: KeyObject) {
    this.#key = key;
  }
  resolve(_issuer: RuntimeIssuer): Promise<KeyLookup> {
    this.lookups += 1;
    return Promise.resolve({ kind: 'key', key: this.#key });
  }
}

let signingKey: CryptoKey;
let strangerKey: CryptoKey;
let publicKey: KeyObject;

function claims(overrides: JWTPayload = {}): JWTPayload {
  return { iss: ISSUER, aud: RESOURCE, sub: 'user-1', client_id: 'mcp-client', jti: 'jti-1', iat: NOW - 10, exp: NOW + 300, scope: 'mcp:tools', ...overrides };
}

function sign(payload: JWTPayload = claims(), key: CryptoKey = signingKey, kid = 'k1'): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid }).sign(key);
}

interface World {
  readonly keys: CountingKeyResolver;
  readonly tokens: LRUVerifiedTokenCache;
  readonly hits: boolean[];
  /** The checks' clock; the cache's clock is separate so a test can hold it. */
  now: number;
  cacheNow: number;
  check(token: string, host?: string, snapshot?: PolicySnapshot): Promise<Decision>;
}

/** Policy `mcp` for mcp.example.com and policy `other` (overridable) for other.example.com, both trusting ISSUER. */
function world(other: Partial<AudiencePolicySpec> = {}, generation = 1): World & { snapshot: PolicySnapshot } {
  const snapshot = new PolicySnapshot([
    runtimePolicy({ requiredScopes: ['mcp:tools'] }, { name: 'mcp' }),
    runtimePolicy({ resource: OTHER_RESOURCE, ...other }, { name: 'other', loadOrder: 1 }),
  ], generation);
  const keys = new CountingKeyResolver(publicKey);
  const hits: boolean[] = [];
  const state = {
    keys,
    hits,
    now: NOW,
    cacheNow: NOW,
    snapshot,
    tokens: undefined as unknown as LRUVerifiedTokenCache,
    check(token: string, host = 'mcp.example.com', at: PolicySnapshot = snapshot): Promise<Decision> {
      const env = jwtCheckEnvironment({ keys, now: () => state.now, maxTokenBytes: 16_384, verifiedTokens: state.tokens });
      return decide({ method: 'POST', host, path: '/mcp', authorization: `Bearer ${token}`, policyReference: undefined }, at, env);
    },
  };
  state.tokens = new LRUVerifiedTokenCache({ maxEntries: 100, maxBytes: 1 << 20, now: () => state.cacheNow, onLookup: (hit) => hits.push(hit) });
  return state;
}

function outcome(decision: Decision): string {
  return decision.kind === 'deny' ? decision.reason : decision.kind;
}

describe('decision pipeline with the verified-token cache', () => {
  before(async () => {
    const pair = await generateKeyPair('RS256');
    signingKey = pair.privateKey;
    publicKey = KeyObject.from(pair.publicKey);
    strangerKey = (await generateKeyPair('RS256')).privateKey;
  });

  it('skips the signature for a token that verified before, and still allows it', async () => {
    const w = world();
    const token = await sign();
    assert.equal(outcome(await w.check(token)), 'allow');
    assert.equal(outcome(await w.check(token)), 'allow');
    assert.equal(w.keys.lookups, 1, 'one signature check for two requests');
    assert.deepEqual(w.hits, [false, true]);
  });

  describe('only successful verifications are remembered', () => {
    it('must verify a token with a bad signature in full every time', async () => {
      const w = world();
      const forged = await sign(claims(), strangerKey);
      assert.equal(outcome(await w.check(forged)), 'invalid_signature');
      assert.equal(outcome(await w.check(forged)), 'invalid_signature');
      assert.equal(w.keys.lookups, 2);
      assert.equal(w.tokens.size, 0);
    });

    it('must not remember a token whose claims failed (expired, not yet valid, missing)', async () => {
      const w = world();
      for (const payload of [claims({ exp: NOW - 120 }), claims({ nbf: NOW + 600 }), claims({ client_id: 42 })]) {
        const decision = await w.check(await sign(payload));
        assert.equal(decision.kind, 'deny');
      }
      assert.equal(w.tokens.size, 0);
    });

    it('must not remember a token refused before its signature was checked', async () => {
      const w = world();
      assert.equal(outcome(await w.check(await sign(claims({ iss: 'https://stranger.example.com' })))), 'unknown_issuer');
      assert.equal(w.keys.lookups, 0);
      assert.equal(w.tokens.size, 0);
    });
  });

  describe('a hit still applies the policy at hand', () => {
    it('must fail the audience check for a token of another audience under another policy (Strict)', async () => {
      const w = world();
      const token = await sign();
      assert.equal(outcome(await w.check(token)), 'allow');
      const decision = await w.check(token, OTHER_HOST);
      assert.equal(outcome(decision), 'audience_mismatch');
      assert.equal(decision.kind === 'deny' ? decision.policy?.name : undefined, 'other');
      assert.deepEqual(w.hits, [false, true], 'the second decision came from the cache');
      assert.equal(w.keys.lookups, 1);
    });

    it('must apply Permissive mode on a hit: allowed, with the audience failure recorded', async () => {
      const w = world({ mode: 'Permissive' });
      const token = await sign();
      await w.check(token);
      const decision = await w.check(token, OTHER_HOST);
      assert.ok(decision.kind === 'allow');
      assert.equal(decision.notEnforced, 'audience_mismatch');
      assert.deepEqual(w.hits, [false, true]);
    });

    it('must check the scopes of the policy at hand on a hit', async () => {
      const w = world({ audiences: [RESOURCE], requiredScopes: ['mcp:admin'] });
      const token = await sign();
      await w.check(token);
      assert.equal(outcome(await w.check(token, OTHER_HOST)), 'insufficient_scope');
      assert.deepEqual(w.hits, [false, true]);
    });

    it('must refuse as expired a remembered token whose exp (plus skew) has passed by the current time', async () => {
      const w = world();
      const token = await sign(claims({ exp: NOW + 30 }));
      assert.equal(outcome(await w.check(token)), 'allow');
      w.now = NOW + 30 + 61; // the checks' clock moves past exp + 60 s skew; the cache's clock is held
      assert.equal(outcome(await w.check(token)), 'expired');
      assert.deepEqual(w.hits, [false, true], 'the entry was returned, and the pipeline still applied the time');
    });

    it('must apply the header rules of the policy at hand on a hit (algorithm allow-list)', async () => {
      const w = world({ audiences: [RESOURCE], issuers: [{ issuer: ISSUER, algorithms: ['ES256'] }] });
      const token = await sign();
      await w.check(token);
      assert.equal(outcome(await w.check(token, OTHER_HOST)), 'disallowed_algorithm');
    });

    it('must refuse a remembered token under a policy that does not trust its issuer', async () => {
      const w = world({ audiences: [RESOURCE], issuers: [{ issuer: 'https://stranger.example.com' }] });
      const token = await sign();
      await w.check(token);
      assert.equal(outcome(await w.check(token, OTHER_HOST)), 'unknown_issuer');
    });

    it('must verify the signature again when the policy\'s issuer uses another key set', async () => {
      const w = world({ audiences: [RESOURCE], issuers: [{ issuer: ISSUER, jwksUri: 'https://idp.example.com/other-jwks' }] });
      const token = await sign();
      await w.check(token);
      assert.equal(outcome(await w.check(token, OTHER_HOST)), 'allow');
      assert.equal(w.keys.lookups, 2);
    });

    it('must miss under a new policy snapshot', async () => {
      const w = world();
      const token = await sign();
      await w.check(token);
      const next = new PolicySnapshot([...w.snapshot.policies], 2);
      assert.equal(outcome(await w.check(token, 'mcp.example.com', next)), 'allow');
      assert.deepEqual(w.hits, [false, false]);
      assert.equal(w.keys.lookups, 2);
    });
  });

  describe('one spelling per token (canonical base64url)', () => {
    it('attack: every pad-bit spelling of a verified token must be malformed_token, never served from the verified-token cache', async () => {
      const w = world();
      const token = await sign(claims({ jti: 'jti-1234' }));
      assert.deepEqual(token.split('.').map(padBitMask), [0b11, 0b11, 0b1111], 'every segment of this token has pad bits');
      assert.equal(outcome(await w.check(token)), 'allow');
      const spellings = [0, 1, 2].flatMap((index) => padBitSpellings(token.split('.')[index] ?? '').map((spelling) => withSegment(token, index, spelling)));
      assert.equal(spellings.length, 3 + 3 + 15);
      for (const spelling of spellings) {
        assert.equal(outcome(await w.check(spelling)), 'malformed_token', spelling);
        assert.equal(outcome(await w.check(spelling)), 'malformed_token', 'and again: nothing was remembered for it');
      }
      assert.equal(w.tokens.size, 1, 'only the canonical spelling is remembered');
      assert.equal(w.keys.lookups, 1, 'no other spelling reached the signature step');
      assert.equal(outcome(await w.check(token)), 'allow');
    });

    it('attack: setting the pad bits of any segment of a signed token must be malformed_token, before or after it is cached', async () => {
      const w = world();
      const shapes = fc.record({ kid: fc.string({ unit: fc.constantFrom('k', '1'), minLength: 1, maxLength: 3 }), jti: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 6 }) });
      await fc.assert(fc.asyncProperty(shapes, fc.nat(), fc.nat(), fc.boolean(), async ({ kid, jti }, which, bits, cachedFirst) => {
        const token = await sign(claims({ jti }), signingKey, kid);
        const padded = [0, 1, 2].filter((index) => padBitMask(token.split('.')[index] ?? '') !== 0);
        const index = padded[which % padded.length] ?? 2;
        const original = token.split('.')[index] ?? '';
        const spelling = withSegment(token, index, withPadBits(original, 1 + (bits % padBitMask(original))));
        if (cachedFirst) assert.equal(outcome(await w.check(token)), 'allow');
        assert.equal(outcome(await w.check(spelling)), 'malformed_token');
        assert.equal(w.tokens.lookup(tokenDigest(spelling), 1).hit, undefined, 'never remembered');
      }), { numRuns: 60 });
    });
  });

  it('never puts the token into the cache: only its digest in the keys, only decoded claims in the entries', async () => {
    const w = world();
    const token = await sign();
    await w.check(token);
    const [header = '', payload = '', signature = ''] = token.split('.');
    for (const key of w.tokens.keys()) {
      for (const piece of [token, header, payload, signature]) assert.ok(!key.includes(piece));
    }
    const entry = w.tokens.lookup(tokenDigest(token), 1).hit;
    assert.notEqual(entry, undefined);
    const stored = JSON.stringify(entry);
    for (const piece of [token, header, payload, signature]) assert.ok(!stored.includes(piece));
  });
});
