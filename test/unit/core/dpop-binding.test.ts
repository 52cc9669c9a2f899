// The binding step for DPoP-bound tokens (RFC 9449 §4.3, §7): each check of a
// proof gets a case that breaks exactly that check and nothing else, through
// decide() with real signatures made by jose (SignJWT, exportJWK,
// calculateJwkThumbprint) and the service's own replay cache and nonces.
import { strict as assert } from 'node:assert';
import { createHash, createHmac, KeyObject, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import type { BindingEnvironment } from '../../../src/core/binding-environment.ts';
import { jwtCheckEnvironment } from '../../../src/core/check-environment.ts';
import { decide } from '../../../src/core/check-pipeline.ts';
import type { Decision } from '../../../src/core/decision.ts';
import type { KeyResolver } from '../../../src/core/key-resolver.ts';
import { PolicySnapshot } from '../../../src/core/policy-snapshot.ts';
import type { RequestExtras } from '../../../src/core/request-extras.ts';
import { HmacNonceSource, NONCE_SLOT_SECONDS } from '../../../src/dpop/nonce-source.ts';
import { BoundedReplayCache } from '../../../src/dpop/replay-cache.ts';
import type { AudiencePolicySpec } from '../../../src/policy/policy-schema.ts';
import { ISSUER, RESOURCE, runtimePolicy } from '../policy-fixtures.ts';

const NOW = 1_700_000_000;
const HTU = 'https://mcp.example.com/mcp';

let tokenKey: CryptoKey;
let tokenKeys: KeyResolver;
let clientKey: { privateKey: CryptoKey; publicKey: CryptoKey };
let clientJwk: JWK;
let clientThumbprint: string;
let strangerKey: { privateKey: CryptoKey; publicKey: CryptoKey };

before(async () => {
  const rsa = await generateKeyPair('RS256', { extractable: true });
  tokenKey = rsa.privateKey;
  const tokenPublic = KeyObject.from(rsa.publicKey);
  tokenKeys = { resolve: () => Promise.resolve({ kind: 'key', key: tokenPublic }) };
  clientKey = await generateKeyPair('ES256', { extractable: true });
  clientJwk = await exportJWK(clientKey.publicKey);
  clientThumbprint = await calculateJwkThumbprint(clientJwk);
  strangerKey = await generateKeyPair('ES256', { extractable: true });
});

function accessToken(claims: JWTPayload = {}): Promise<string> {
  return new SignJWT({
    iss: ISSUER, aud: RESOURCE, sub: 'user-1', client_id: 'mcp-client', jti: randomUUID(), iat: NOW - 10, exp: NOW + 300,
    cnf: { jkt: clientThumbprint }, ...claims,
  }).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: 'k1' }).sign(tokenKey);
}

const ath = (token: string): string => createHash('sha256').update(token).digest('base64url');

interface ProofParts {
  readonly claims?: Record<string, unknown>;
  readonly header?: Record<string, unknown>;
  readonly key?: CryptoKey;
}

function proofFor(token: string, parts: ProofParts = {}): Promise<string> {
  return new SignJWT({ htm: 'POST', htu: HTU, iat: NOW, jti: randomUUID(), ath: ath(token), ...parts.claims })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: clientJwk, ...parts.header })
    .sign(parts.key ?? clientKey.privateKey);
}

/** A compact JWS with the given header and an empty or arbitrary signature (for what jose will not sign). */
function unsigned(header: Record<string, unknown>, payload: Record<string, unknown>, signature = ''): string {
  const segment = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${segment(header)}.${segment(payload)}.${signature}`;
}

interface World {
  readonly binding: BindingEnvironment | undefined;
  check(authorization: string, extras?: RequestExtras, method?: string): Promise<Decision>;
}

function world(pop: AudiencePolicySpec['proofOfPossession'] = {}, given: BindingEnvironment | 'none' = {
  replay: new BoundedReplayCache(1000, () => NOW), now: () => NOW,
}): World {
  const binding = given === 'none' ? undefined : given;
  const policy = runtimePolicy({ issuers: [{ issuer: ISSUER, algorithms: ['RS256', 'ES256'] }], proofOfPossession: pop });
  const snapshot = new PolicySnapshot([policy], 1);
  const env = jwtCheckEnvironment({ keys: tokenKeys, now: () => NOW, maxTokenBytes: 16_384, binding });
  return {
    binding,
    check: (authorization, extras = {}, method = 'POST') =>
      decide({ method, host: 'mcp.example.com', path: '/mcp', authorization, policyReference: undefined }, snapshot, env, extras),
  };
}

function outcome(decision: Decision): string {
  return decision.kind === 'deny' ? decision.reason : decision.kind;
}

/** A DPoP request for `token` with `proof` and the authority the client addressed. */
function dpop(token: string, proof: string | undefined, authority = 'mcp.example.com'): [string, RequestExtras] {
  return [`DPoP ${token}`, { authority, dpopProof: proof }];
}

describe('DPoP-bound tokens (RFC 9449)', () => {
  it('allows a DPoP-bound token with a valid proof (docs/contract.md case 34)', async () => {
    const token = await accessToken();
    assert.equal(outcome(await world().check(...dpop(token, await proofFor(token)))), 'allow');
  });

  describe('every proof check, broken alone: invalid_dpop_proof', () => {
    const breaks: readonly (readonly [string, (token: string) => Promise<string | undefined>])[] = [
      ['no DPoP header', () => Promise.resolve(undefined)],
      ['an empty DPoP header', () => Promise.resolve('')],
      ['two DPoP headers (comma-joined by Envoy)', async (token) => `${await proofFor(token)},${await proofFor(token)}`],
      ['not a compact JWS', () => Promise.resolve('not-a-proof')],
      ['typ JWT instead of dpop+jwt', (token) => proofFor(token, { header: { typ: 'JWT' } })],
      ['no typ', (token) => proofFor(token, { header: { typ: undefined } })],
      ['an alg outside the allow-list (ES384)', async (token) => {
        const es384 = await generateKeyPair('ES384', { extractable: true });
        return proofFor(token, { header: { alg: 'ES384', jwk: await exportJWK(es384.publicKey) }, key: es384.privateKey });
      }],
      ['no jwk', (token) => proofFor(token, { header: { jwk: undefined } })],
      ['a jwk that is not a key', (token) => proofFor(token, { header: { jwk: { kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA' } } })],
      ['a signature by another key than the jwk', (token) => proofFor(token, { key: strangerKey.privateKey })],
      ['htm of another method', (token) => proofFor(token, { claims: { htm: 'GET' } })],
      ['no htm', (token) => proofFor(token, { claims: { htm: undefined } })],
      ['htu of another path', (token) => proofFor(token, { claims: { htu: 'https://mcp.example.com/other' } })],
      ['htu of another host', (token) => proofFor(token, { claims: { htu: 'https://evil.example.com/mcp' } })],
      ['htu of another port', (token) => proofFor(token, { claims: { htu: 'https://mcp.example.com:8443/mcp' } })],
      ['htu with http where the resource is https', (token) => proofFor(token, { claims: { htu: 'http://mcp.example.com/mcp' } })],
      ['no htu', (token) => proofFor(token, { claims: { htu: undefined } })],
      ['iat older than proofMaxAgeSeconds', (token) => proofFor(token, { claims: { iat: NOW - 301 } })],
      ['iat further ahead than the clock skew', (token) => proofFor(token, { claims: { iat: NOW + 61 } })],
      ['iat not a number', (token) => proofFor(token, { claims: { iat: String(NOW) } })],
      ['no jti', (token) => proofFor(token, { claims: { jti: undefined } })],
      ['ath of another token', (token) => proofFor(token, { claims: { ath: ath(`${token}x`) } })],
      ['no ath', (token) => proofFor(token, { claims: { ath: undefined } })],
    ];
    for (const [name, proof] of breaks) {
      it(`refuses ${name}`, async () => {
        const token = await accessToken();
        assert.equal(outcome(await world().check(...dpop(token, await proof(token)))), 'invalid_dpop_proof');
      });
    }

    it('refuses a proof when the request does not say which authority the client addressed', async () => {
      const token = await accessToken();
      assert.equal(outcome(await world().check(`DPoP ${token}`, { dpopProof: await proofFor(token) })), 'invalid_dpop_proof');
    });
  });

  describe('attacks on the proof', () => {
    it('attack: a proof whose jwk carries the private key must be refused', async () => {
      const token = await accessToken();
      const privateJwk = await exportJWK(clientKey.privateKey);
      assert.ok(typeof privateJwk.d === 'string');
      assert.equal(outcome(await world().check(...dpop(token, await proofFor(token, { header: { jwk: privateJwk } })))), 'invalid_dpop_proof');
    });

    it('attack: a proof with alg none must be refused', async () => {
      const token = await accessToken();
      const proof = unsigned({ alg: 'none', typ: 'dpop+jwt', jwk: clientJwk }, { htm: 'POST', htu: HTU, iat: NOW, jti: 'j', ath: ath(token) });
      assert.equal(outcome(await world().check(...dpop(token, proof))), 'invalid_dpop_proof');
    });

    it('attack: an HS256 proof (with a symmetric jwk) must be refused', async () => {
      const token = await accessToken();
      const secret = Buffer.from('a-shared-secret-that-is-long-enough!!');
      const signingInput = unsigned(
        { alg: 'HS256', typ: 'dpop+jwt', jwk: { kty: 'oct', k: secret.toString('base64url') } },
        { htm: 'POST', htu: HTU, iat: NOW, jti: 'j', ath: ath(token) },
      ).slice(0, -1);
      const proof = `${signingInput}.${createHmac('sha256', secret).update(signingInput).digest('base64url')}`;
      assert.equal(outcome(await world().check(...dpop(token, proof))), 'invalid_dpop_proof');
    });

    it('attack: a valid proof by the client\'s key for another URL must be refused', async () => {
      const token = await accessToken();
      const proof = await proofFor(token, { claims: { htu: 'https://other-mcp.example.com/mcp' } });
      assert.equal(outcome(await world().check(...dpop(token, proof))), 'invalid_dpop_proof');
    });

    it('attack: a valid proof by another key than cnf.jkt names must be refused as token_binding_mismatch', async () => {
      const token = await accessToken();
      const proof = await proofFor(token, { header: { jwk: await exportJWK(strangerKey.publicKey) }, key: strangerKey.privateKey });
      assert.equal(outcome(await world().check(...dpop(token, proof))), 'token_binding_mismatch');
    });

    it('attack: the same proof sent twice must be refused the second time (docs/contract.md case 36)', async () => {
      const token = await accessToken();
      const proof = await proofFor(token);
      const guard = world();
      assert.equal(outcome(await guard.check(...dpop(token, proof))), 'allow');
      assert.equal(outcome(await guard.check(...dpop(token, proof))), 'dpop_replayed');
    });

    it('attack: a DPoP-bound token downgraded to Bearer must be refused (docs/contract.md case 35, RFC 9449 §7.2)', async () => {
      const token = await accessToken();
      assert.equal(outcome(await world().check(`Bearer ${token}`, { authority: 'mcp.example.com', dpopProof: await proofFor(token) })), 'token_binding_mismatch');
    });
  });

  describe('what the URL comparison folds', () => {
    const spellings = [
      ['a query and fragment in htu', 'https://mcp.example.com/mcp?x=1#f', 'mcp.example.com'],
      ['an upper-case scheme and host in htu', 'HTTPS://MCP.Example.COM/mcp', 'mcp.example.com'],
      ['the default port in htu', 'https://mcp.example.com:443/mcp', 'mcp.example.com'],
      ['the default port in :authority', 'https://mcp.example.com/mcp', 'mcp.example.com:443'],
      ['an upper-case :authority', 'https://mcp.example.com/mcp', 'MCP.example.com'],
    ] as const;
    for (const [name, htu, authority] of spellings) {
      it(`accepts ${name}`, async () => {
        const token = await accessToken();
        assert.equal(outcome(await world().check(...dpop(token, await proofFor(token, { claims: { htu } }), authority))), 'allow');
      });
    }

    it('accepts iat exactly proofMaxAgeSeconds old and exactly the clock skew ahead', async () => {
      const token = await accessToken();
      assert.equal(outcome(await world({ proofMaxAgeSeconds: 120 }).check(...dpop(token, await proofFor(token, { claims: { iat: NOW - 120 } })))), 'allow');
      assert.equal(outcome(await world({ proofMaxAgeSeconds: 120 }).check(...dpop(token, await proofFor(token, { claims: { iat: NOW - 121 } })))), 'invalid_dpop_proof');
      assert.equal(outcome(await world().check(...dpop(token, await proofFor(token, { claims: { iat: NOW + 60 } })))), 'allow');
    });

    it('takes the proof algorithms from dpopAlgorithms when the policy names them', async () => {
      const token = await accessToken();
      assert.equal(outcome(await world({ dpopAlgorithms: ['EdDSA'] }).check(...dpop(token, await proofFor(token)))), 'invalid_dpop_proof');
    });
  });

  describe('Required and Disabled', () => {
    it('dpop Required refuses a token without cnf.jkt (dpop_required), as Bearer and as DPoP', async () => {
      const token = await accessToken({ cnf: undefined });
      assert.equal(outcome(await world({ dpop: 'Required' }).check(`Bearer ${token}`)), 'dpop_required');
      assert.equal(outcome(await world({ dpop: 'Required' }).check(...dpop(token, await proofFor(token)))), 'dpop_required');
    });

    it('dpop Required allows a bound token with a valid proof', async () => {
      const token = await accessToken();
      assert.equal(outcome(await world({ dpop: 'Required' }).check(...dpop(token, await proofFor(token)))), 'allow');
    });

    it('dpop Disabled refuses a DPoP-bound token, even with a valid proof', async () => {
      const token = await accessToken();
      assert.equal(outcome(await world({ dpop: 'Disabled' }).check(...dpop(token, await proofFor(token)))), 'token_binding_mismatch');
    });

    it('refuses an unbound token sent with the DPoP scheme', async () => {
      const token = await accessToken({ cnf: undefined });
      assert.equal(outcome(await world().check(...dpop(token, await proofFor(token)))), 'token_binding_mismatch');
    });

    it('still allows an unbound Bearer token under the default Allowed', async () => {
      assert.equal(outcome(await world().check(`Bearer ${await accessToken({ cnf: undefined })}`)), 'allow');
    });
  });

  describe('the replay cache is bounded and never evicts a live entry', () => {
    it('refuses a new proof with dpop_unavailable (503) when the cache is full of live entries, and accepts again once they expired', async () => {
      let now = NOW;
      const guard = world({ proofMaxAgeSeconds: 60 }, { replay: new BoundedReplayCache(1, () => now), now: () => now });
      const token = await accessToken();
      assert.equal(outcome(await guard.check(...dpop(token, await proofFor(token)))), 'allow');
      assert.equal(outcome(await guard.check(...dpop(token, await proofFor(token)))), 'dpop_unavailable');
      now = NOW + 61;
      assert.equal(outcome(await guard.check(...dpop(token, await proofFor(token, { claims: { iat: now } })))), 'allow');
    });

    it('without a replay cache, refuses DPoP-bound tokens with dpop_unavailable rather than skipping the replay check', async () => {
      const token = await accessToken();
      assert.equal(outcome(await world({}, 'none').check(...dpop(token, await proofFor(token)))), 'dpop_unavailable');
    });
  });

  describe('nonces (--dpop-nonce-key-file)', () => {
    const KEY = Buffer.alloc(32, 7);
    const noncesAt = (now: number): HmacNonceSource => new HmacNonceSource(KEY, () => now);

    it('answers a proof without a nonce with dpop_nonce_required and the current nonce', async () => {
      const token = await accessToken();
      const nonces = noncesAt(NOW);
      const decision = await world({}, { replay: new BoundedReplayCache(10, () => NOW), now: () => NOW, nonces }).check(...dpop(token, await proofFor(token)));
      assert.equal(outcome(decision), 'dpop_nonce_required');
      assert.equal(decision.kind === 'deny' ? decision.dpopNonce : undefined, nonces.current());
    });

    it('accepts the nonce of the current and of the previous slot, not an older one', async () => {
      const token = await accessToken();
      const now = NOW + 2 * NONCE_SLOT_SECONDS;
      const env = (): BindingEnvironment => ({ replay: new BoundedReplayCache(10, () => now), now: () => now, nonces: noncesAt(now) });
      for (const [issuedAt, expected] of [[now, 'allow'], [now - NONCE_SLOT_SECONDS, 'allow'], [now - 2 * NONCE_SLOT_SECONDS, 'dpop_nonce_required']] as const) {
        const proof = await proofFor(token, { claims: { iat: now, nonce: noncesAt(issuedAt).current() } });
        assert.equal(outcome(await world({}, env()).check(...dpop(token, proof))), expected, `a nonce from ${String(now - issuedAt)} s ago`);
      }
    });

    it('refuses a nonce made with another key', async () => {
      const token = await accessToken();
      const foreign = new HmacNonceSource(Buffer.alloc(32, 9), () => NOW).current();
      const proof = await proofFor(token, { claims: { nonce: foreign } });
      assert.equal(outcome(await world({}, { replay: new BoundedReplayCache(10, () => NOW), now: () => NOW, nonces: noncesAt(NOW) }).check(...dpop(token, proof))), 'dpop_nonce_required');
    });
  });
});
