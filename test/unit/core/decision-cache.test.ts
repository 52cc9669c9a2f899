// The decision cache (src/core/decision-cache.ts): a token decided twice under
// the same policy of the same snapshot is answered with the remembered
// decision from then on — but never past the token's exp, never after the
// policies or an issuer's keys change, never for a request that carries a
// DPoP proof or a client certificate, never for a policy that opts out.
import { strict as assert } from 'node:assert';
import { KeyObject } from 'node:crypto';
import { generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { LRUDecisionCache } from '../../../src/cache/decision-cache.ts';
import { LRUVerifiedTokenCache } from '../../../src/cache/verified-token-cache.ts';
import { jwtCheckEnvironment } from '../../../src/core/check-environment.ts';
import { decide } from '../../../src/core/check-pipeline.ts';
import type { Decision } from '../../../src/core/decision.ts';
import type { KeyLookup, KeyResolver } from '../../../src/core/key-resolver.ts';
import { PolicySnapshot } from '../../../src/core/policy-snapshot.ts';
import type { RequestExtras } from '../../../src/core/request-extras.ts';
import type { RuntimePolicy } from '../../../src/core/runtime-policy.ts';
import type { AudiencePolicySpec } from '../../../src/policy/policy-schema.ts';
import { ISSUER, RESOURCE, runtimePolicy } from '../policy-fixtures.ts';

const NOW = 1_700_000_000;

/** The key for every lookup until told otherwise; counts lookups (= signature checks attempted). */
class SwitchableKeys implements KeyResolver {
  lookups = 0;
  lookup: KeyLookup;
  constructor(key: KeyObject) {
    this.lookup = { kind: 'key', key };
  }
  resolve(): Promise<KeyLookup> {
    this.lookups += 1;
    return Promise.resolve(this.lookup);
  }
}

let signingKey: CryptoKey;
let publicKey: KeyObject;

function sign(overrides: JWTPayload = {}): Promise<string> {
  const payload = { iss: ISSUER, aud: RESOURCE, sub: 'user-1', client_id: 'mcp-client', jti: 'jti-1', iat: NOW - 10, exp: NOW + 300, scope: 'mcp:tools', ...overrides };
  return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: 'k1' }).sign(signingKey);
}

function world(spec: Partial<AudiencePolicySpec> = {}, policyFlags: Partial<RuntimePolicy> = {}) {
  const policy: RuntimePolicy = { ...runtimePolicy({ requiredScopes: ['mcp:tools'], ...spec }, { name: 'mcp' }), ...policyFlags };
  const state = {
    now: NOW,
    keys: new SwitchableKeys(publicKey),
    snapshot: new PolicySnapshot([policy], 1),
    decisions: undefined as unknown as LRUDecisionCache,
    tokens: undefined as unknown as LRUVerifiedTokenCache,
    check(token: string, extras: RequestExtras = {}, scheme = 'Bearer'): Promise<Decision> {
      const env = jwtCheckEnvironment({ keys: state.keys, now: () => state.now, maxTokenBytes: 16_384, verifiedTokens: state.tokens, decisions: state.decisions });
      const view = { method: 'POST', host: 'mcp.example.com', path: '/mcp', authorization: `${scheme} ${token}`, policyReference: undefined };
      return decide(view, state.snapshot, env, extras);
    },
    /** What the service does when the policies or an issuer's keys change. */
    invalidate(): void {
      state.tokens.invalidate();
      state.decisions.invalidate();
    },
  };
  state.tokens = new LRUVerifiedTokenCache({ maxEntries: 100, maxBytes: 1 << 20, now: () => state.now });
  state.decisions = new LRUDecisionCache({ maxEntries: 100, maxBytes: 1 << 20, now: () => state.now });
  return state;
}

const outcome = (decision: Decision): string => (decision.kind === 'deny' ? decision.reason : decision.kind);

/** Three checks of `token`: the second remembers the decision, the third is answered from it. */
async function remembered(w: ReturnType<typeof world>, token: string): Promise<Decision> {
  await w.check(token);
  const second = await w.check(token);
  const third = await w.check(token);
  assert.equal(third, second, 'the third check is answered with the remembered decision');
  return third;
}

describe('the decision cache', () => {
  before(async () => {
    const pair = await generateKeyPair('RS256');
    signingKey = pair.privateKey;
    publicKey = KeyObject.from(pair.publicKey);
  });

  it('answers a token seen before with the same, frozen decision', async () => {
    const w = world();
    const token = await sign();
    const first = await w.check(token);
    assert.equal(Object.isFrozen(first), false, 'a token seen once is not remembered');
    assert.equal(w.decisions.size, 0);
    const decision = await remembered(w, token);
    assert.equal(outcome(decision), 'allow');
    assert.ok(Object.isFrozen(decision));
    assert.deepEqual(decision, first);
    assert.equal(w.keys.lookups, 1);
  });

  it('remembers a wrong-audience deny as a deny, with its claims', async () => {
    const w = world();
    const decision = await remembered(w, await sign({ aud: 'https://other.example.com/mcp' }));
    assert.equal(outcome(decision), 'audience_mismatch');
    assert.equal(decision.kind === 'deny' ? decision.principal?.subject : undefined, 'user-1');
  });

  it('attack: a remembered allow must not outlive the token\'s exp (no clock skew granted)', async () => {
    const w = world({ clockSkewSeconds: 60 });
    const token = await sign({ exp: NOW + 300 });
    await remembered(w, token);
    w.now = NOW + 300;
    const after = await w.check(token);
    assert.equal(Object.isFrozen(after), false, 'at exp the check is decided anew');
    w.now = NOW + 361;
    assert.equal(outcome(await w.check(token)), 'expired');
  });

  it('attack: a remembered allow must not be answered before the token\'s nbf (less the skew)', async () => {
    const w = world({ clockSkewSeconds: 0 });
    const token = await sign({ nbf: NOW - 5 });
    await remembered(w, token);
    w.now = NOW - 6; // the clock went back
    assert.equal(outcome(await w.check(token)), 'not_yet_valid');
  });

  it('attack: a remembered allow must not survive a key rotation', async () => {
    const w = world();
    const token = await sign();
    await remembered(w, token);
    w.keys.lookup = { kind: 'unknown_key' }; // the issuer dropped the key that signed it
    w.invalidate();
    assert.equal(outcome(await w.check(token)), 'unknown_key');
  });

  it('attack: a remembered allow must not survive a policy update (new generation, now requiring another scope)', async () => {
    const w = world();
    const token = await sign();
    await remembered(w, token);
    w.snapshot = new PolicySnapshot([runtimePolicy({ requiredScopes: ['mcp:admin'] }, { name: 'mcp' })], 2);
    assert.equal(outcome(await w.check(token)), 'insufficient_scope');
  });

  it('attack: a remembered decision must not be answered under a new snapshot generation, even for the very same policy object', async () => {
    const w = world();
    const token = await sign();
    await remembered(w, token);
    w.snapshot = new PolicySnapshot([...w.snapshot.policies], 2);
    assert.equal(Object.isFrozen(await w.check(token)), false, 'decided anew');
  });

  it('attack: a remembered Permissive allow must not survive a switch to Strict in a new snapshot, even before the cache is emptied', async () => {
    const w = world({ mode: 'Permissive' });
    const token = await sign({ aud: 'https://other.example.com/mcp' });
    assert.equal(outcome(await remembered(w, token)), 'allow');
    w.snapshot = new PolicySnapshot([runtimePolicy({ requiredScopes: ['mcp:tools'], mode: 'Strict' }, { name: 'mcp' })], 2);
    assert.equal(outcome(await w.check(token)), 'audience_mismatch');
  });

  it('attack: a check that started before the keys changed must not remember its decision afterwards', async () => {
    const w = world();
    const token = await sign();
    await w.check(token);
    const recall = w.decisions.recall(Buffer.alloc(32), w.snapshot.policies[0]!, 1);
    w.invalidate();
    recall.remember(await w.check(token), { notBefore: 0, expiresAt: NOW + 300 });
    assert.equal(w.decisions.size, 0);
  });

  it('attack: a request with a DPoP proof must never be answered from the cache (docs/contract.md case 63)', async () => {
    const w = world();
    const token = await sign();
    await remembered(w, token);
    const withProof = await w.check(token, { dpopProof: 'eyJhbGciOiJFUzI1NiJ9.e30.sig' });
    assert.equal(Object.isFrozen(withProof), false, 'decided anew');
  });

  it('attack: an unbound token remembered as Bearer, then sent under the DPoP scheme without a proof, must go through the binding step', async () => {
    const w = world();
    const token = await sign();
    assert.equal(outcome(await remembered(w, token)), 'allow');
    const asDpop = await w.check(token, {}, 'DPoP');
    assert.equal(asDpop.kind, 'deny', 'a DPoP credential is never answered from a Bearer decision');
  });

  it('attack: a request with a client certificate must never be answered from the cache', async () => {
    const w = world();
    const token = await sign();
    await remembered(w, token);
    assert.equal(Object.isFrozen(await w.check(token, { clientCertificate: '-----BEGIN CERTIFICATE-----' })), false);
  });

  it('attack: a policy that opts out (uncacheableDecisions) must never be answered from the cache', async () => {
    const w = world({}, { uncacheableDecisions: true });
    const token = await sign();
    for (let check = 0; check < 3; check++) assert.equal(Object.isFrozen(await w.check(token)), false);
    assert.equal(w.decisions.size, 0);
  });

  it('attack: a policy with MCP rules must never be answered from the cache, even without the opt-out flag', async () => {
    const w = world({}, { mcp: { tools: {} } } as Partial<RuntimePolicy>);
    const token = await sign();
    for (let check = 0; check < 3; check++) assert.equal(Object.isFrozen(await w.check(token)), false);
    assert.equal(w.decisions.size, 0);
  });

  it('never remembers a deny decided before the token verified', async () => {
    const w = world();
    const expired = await sign({ exp: NOW - 120 });
    for (let check = 0; check < 3; check++) assert.equal(outcome(await w.check(expired)), 'expired');
    assert.equal(w.decisions.size, 0);
  });
});
