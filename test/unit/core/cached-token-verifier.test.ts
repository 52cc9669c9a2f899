// The verified-token cache as a decorator of the JWT verifier (ADR 0005,
// ADR 0008): a hit skips the signature, only while the token's issuer in the
// policy at hand uses the key set that verified it; a miss that verifies is
// stored until the token's exp; a refusal is never stored; the header and
// issuer rules and the claims against the current time run on every call.
import { strict as assert } from 'node:assert';
import { KeyObject } from 'node:crypto';
import { generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { LRUVerifiedTokenCache } from '../../../src/cache/verified-token-cache.ts';
import { CachedTokenVerifier } from '../../../src/core/cached-token-verifier.ts';
import { JwtVerifier } from '../../../src/core/jwt-verifier.ts';
import type { KeyLookup, KeyResolver } from '../../../src/core/key-resolver.ts';
import { NO_EXTRAS } from '../../../src/core/request-extras.ts';
import type { RuntimePolicy } from '../../../src/core/runtime-policy.ts';
import { tokenDigest } from '../../../src/core/token-hash.ts';
import type { PresentedToken, TokenVerification, VerificationContext } from '../../../src/core/token-verifier.ts';
import { ISSUER, RESOURCE, runtimePolicy } from '../policy-fixtures.ts';

const NOW = 1_700_000_000;
const MAX_TOKEN_BYTES = 16_384;

/** One key for every issuer; counts the lookups, i.e. the signature checks started. */
class CountingKeys implements KeyResolver {
  lookups = 0;
  readonly #key: KeyObject;
  constructor(key: KeyObject) {
    this.#key = key;
  }
  resolve(): Promise<KeyLookup> {
    this.lookups += 1;
    return Promise.resolve({ kind: 'key', key: this.#key });
  }
}

let signingKey: CryptoKey;
let publicKey: KeyObject;

function claims(overrides: JWTPayload = {}): JWTPayload {
  return { iss: ISSUER, aud: RESOURCE, sub: 'user-1', client_id: 'mcp-client', jti: 'jti-1', iat: NOW - 10, exp: NOW + 300, ...overrides };
}

async function presented(payload: JWTPayload = claims()): Promise<PresentedToken> {
  const value = await new SignJWT(payload).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: 'k1' }).sign(signingKey);
  return { value, digest: tokenDigest(value) };
}

function context(policy: RuntimePolicy, generation = 1): VerificationContext {
  return { policy, generation, request: { method: 'POST', host: 'mcp.example.com', path: '/mcp', authorization: undefined, policyReference: undefined }, extras: NO_EXTRAS };
}

interface Rig {
  readonly keys: CountingKeys;
  readonly cache: LRUVerifiedTokenCache;
  readonly lookups: boolean[];
  readonly verifier: CachedTokenVerifier;
  /** The checks' clock. */
  now: number;
}

function rig(): Rig {
  const keys = new CountingKeys(publicKey);
  const lookups: boolean[] = [];
  const cache = new LRUVerifiedTokenCache({ maxEntries: 10, maxBytes: 1 << 20, now: () => NOW, onLookup: (hit) => lookups.push(hit) });
  const state = { keys, cache, lookups, now: NOW, verifier: undefined as unknown as CachedTokenVerifier };
  state.verifier = new CachedTokenVerifier(new JwtVerifier({ keys, now: () => state.now, maxTokenBytes: MAX_TOKEN_BYTES }), cache);
  return state;
}

function outcome(verification: TokenVerification): string {
  return verification.kind === 'refused' ? verification.reason : verification.verifiedBy;
}

describe('CachedTokenVerifier (the verified-token cache around the JWT verifier)', () => {
  const policy = runtimePolicy();
  /** The same issuer, fetched from another JWKS URI: another key set. */
  const otherKeySetPolicy = runtimePolicy({ issuers: [{ issuer: ISSUER, jwksUri: 'https://idp.example.com/other-jwks' }] });

  before(async () => {
    const pair = await generateKeyPair('RS256');
    signingKey = pair.privateKey;
    publicKey = KeyObject.from(pair.publicKey);
  });

  it('a miss verifies the signature and stores the decoding with its key set until exp', async () => {
    const r = rig();
    const token = await presented();
    assert.equal(outcome(await r.verifier.verify(token, context(policy))), 'signature');
    assert.equal(r.keys.lookups, 1);
    const stored = r.cache.lookup(token.digest, 1).hit;
    assert.equal(stored?.keySetId, policy.issuerList[0]?.keySetId);
    assert.equal(stored?.payload.sub, 'user-1');
  });

  it('a hit skips the signature and still returns the verified claims', async () => {
    const r = rig();
    const token = await presented();
    await r.verifier.verify(token, context(policy));
    const again = await r.verifier.verify(token, context(policy));
    assert.equal(outcome(again), 'remembered');
    assert.equal(again.kind === 'verified' ? again.expiresAt : undefined, NOW + 300);
    assert.equal(r.keys.lookups, 1, 'one signature check for two calls');
    assert.deepEqual(r.lookups, [false, true]);
  });

  it('attack: a hit under a policy whose issuer uses another key set must verify the signature again', async () => {
    const r = rig();
    const token = await presented();
    await r.verifier.verify(token, context(policy));
    assert.equal(outcome(await r.verifier.verify(token, context(otherKeySetPolicy))), 'signature');
    assert.equal(r.keys.lookups, 2);
    assert.equal(r.cache.lookup(token.digest, 1).hit?.keySetId, otherKeySetPolicy.issuerList[0]?.keySetId, 'the new verification is remembered');
  });

  it('attack: a hit must still be judged by the current time (expired) and by the policy\'s issuers', async () => {
    const r = rig();
    const token = await presented(claims({ exp: NOW + 30 }));
    await r.verifier.verify(token, context(policy));
    r.now = NOW + 30 + 61;
    assert.equal(outcome(await r.verifier.verify(token, context(policy))), 'expired');
    const stranger = runtimePolicy({ issuers: [{ issuer: 'https://stranger.example.com' }] });
    assert.equal(outcome(await r.verifier.verify(token, context(stranger))), 'unknown_issuer');
    assert.equal(r.keys.lookups, 1);
  });

  it('never stores a refused token: its claims failed, or its signature did', async () => {
    const r = rig();
    const notYet = await presented(claims({ nbf: NOW + 600 }));
    assert.equal(outcome(await r.verifier.verify(notYet, context(policy))), 'not_yet_valid');
    const forgedValue = (await presented()).value.replace(/\.[^.]+$/, `.${'A'.repeat(342)}`);
    const forged = { value: forgedValue, digest: tokenDigest(forgedValue) };
    assert.equal(outcome(await r.verifier.verify(forged, context(policy))), 'invalid_signature');
    assert.equal(r.cache.size, 0);
  });

  it('misses under another snapshot generation', async () => {
    const r = rig();
    const token = await presented();
    await r.verifier.verify(token, context(policy, 1));
    assert.equal(outcome(await r.verifier.verify(token, context(policy, 2))), 'signature');
    assert.deepEqual(r.lookups, [false, false]);
  });

  it('does not look up a token over the size cap: it is refused before any decoding', async () => {
    const r = rig();
    const value = 'a'.repeat(MAX_TOKEN_BYTES + 1);
    assert.equal(outcome(await r.verifier.verify({ value, digest: tokenDigest(value) }, context(policy))), 'token_too_large');
    assert.deepEqual(r.lookups, []);
  });
});
