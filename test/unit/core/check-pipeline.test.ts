// The decision in the order of docs/contract.md §2.1 (first failure decides), with real
// RS256 signatures made by jose and a static in-test key resolver; the conformance
// cases of docs/contract.md Appendix A, Permissive mode (§2.4) and the allow contract (§2.7).
import { strict as assert } from 'node:assert';
import { createHash, KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { CompactSign, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { jwtCheckEnvironment, type CheckEnvironment } from '../../../src/core/check-environment.ts';
import { decide } from '../../../src/core/check-pipeline.ts';
import type { Decision } from '../../../src/core/decision.ts';
import type { HttpRequestView } from '../../../src/core/http-request.ts';
import type { KeyLookup, KeyResolver } from '../../../src/core/key-resolver.ts';
import type { Reason } from '../../../src/core/reasons.ts';
import { parseCheckRequest } from '../../../src/envoy/check-request.ts';
import { checkResponseFor } from '../../../src/envoy/check-response.ts';
import type { AudiencePolicySpec } from '../../../src/policy/policy-schema.ts';
import { PolicySnapshot } from '../../../src/core/policy-snapshot.ts';
import type { RuntimeIssuer, RuntimePolicy } from '../../../src/core/runtime-policy.ts';
import { referenceMatches } from '../audience-reference.ts';
import { ISSUER, RESOURCE, runtimePolicy } from '../policy-fixtures.ts';

const NOW = 1_700_000_000;
const KID = 'k1';
const JWT_ISSUER = 'https://legacy-idp.example.com';

/** A KeyResolver over a fixed set of keys per issuer; records every lookup. */
class StaticKeyResolver implements KeyResolver {
  readonly lookups: { issuer: string; kid: string | undefined; alg: string }[] = [];
  readonly #keys: ReadonlyMap<string, ReadonlyMap<string, KeyObject>>;
  readonly #available: boolean;

  constructor(keys: Readonly<Record<string, Readonly<Record<string, KeyObject>>>>, available = true) {
    this.#keys = new Map(Object.entries(keys).map(([issuer, byKid]) => [issuer, new Map(Object.entries(byKid))]));
    this.#available = available;
  }

  resolve(issuer: RuntimeIssuer, header: { readonly kid: string | undefined; readonly alg: string }): Promise<KeyLookup> {
    this.lookups.push({ issuer: issuer.issuer, kid: header.kid, alg: header.alg });
    if (!this.#available) return Promise.resolve({ kind: 'keys_unavailable' });
    const byKid = this.#keys.get(issuer.issuer);
    const key = header.kid === undefined ? [...(byKid?.values() ?? [])][0] : byKid?.get(header.kid);
    return Promise.resolve(key === undefined ? { kind: 'unknown_key' } : { kind: 'key', key });
  }
}

let signingKey: CryptoKey;
let otherSigningKey: CryptoKey;
let ecSigningKey: CryptoKey;
let publicKey: KeyObject;

function goodClaims(overrides: JWTPayload = {}): JWTPayload {
  return {
    iss: ISSUER,
    aud: RESOURCE,
    sub: 'user-1',
    client_id: 'mcp-client',
    jti: 'jti-1',
    iat: NOW - 10,
    exp: NOW + 300,
    scope: 'mcp:tools',
    ...overrides,
  };
}

function without(claims: JWTPayload, name: string): JWTPayload {
  return Object.fromEntries(Object.entries(claims).filter(([key]) => key !== name));
}

async function sign(claims: JWTPayload = goodClaims(), header: Record<string, unknown> = {}, key: CryptoKey | Uint8Array = signingKey): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: KID, ...header }).sign(key);
}

function segment(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function view(authorization: string | undefined, overrides: Partial<HttpRequestView> = {}): HttpRequestView {
  return { method: 'POST', host: 'mcp.example.com', path: '/mcp', authorization, policyReference: undefined, ...overrides };
}

interface Setup {
  readonly policy: RuntimePolicy;
  readonly snapshot: PolicySnapshot;
  readonly keys: StaticKeyResolver;
  readonly env: CheckEnvironment;
}

function setup(spec: Partial<AudiencePolicySpec> = {}, options: { available?: boolean; maxTokenBytes?: number } = {}): Setup {
  const policy = runtimePolicy({
    requiredScopes: ['mcp:tools'],
    issuers: [{ issuer: ISSUER, algorithms: ['RS256'] }, { issuer: JWT_ISSUER, algorithms: ['RS256'], profile: 'jwt' }],
    ...spec,
  });
  const snapshot = new PolicySnapshot([policy], 1);
  const keys = new StaticKeyResolver({ [ISSUER]: { [KID]: publicKey }, [JWT_ISSUER]: { [KID]: publicKey } }, options.available ?? true);
  const env = jwtCheckEnvironment({ keys, now: () => NOW, maxTokenBytes: options.maxTokenBytes ?? 16 * 1024 });
  return { policy, snapshot, keys, env };
}

async function decideWith(authorization: string | undefined, spec: Partial<AudiencePolicySpec> = {}, options: { available?: boolean; maxTokenBytes?: number; request?: Partial<HttpRequestView> } = {}): Promise<Decision> {
  const { snapshot, env } = setup(spec, options);
  return decide(view(authorization, options.request), snapshot, env);
}

function reasonOf(decision: Decision): Reason | 'allow' | 'metadata' {
  return decision.kind === 'deny' ? decision.reason : decision.kind;
}

async function reasonFor(token: string, spec: Partial<AudiencePolicySpec> = {}, options: { available?: boolean; maxTokenBytes?: number } = {}): Promise<Reason | 'allow' | 'metadata'> {
  return reasonOf(await decideWith(`Bearer ${token}`, spec, options));
}

function sha16(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 16);
}

describe('decision pipeline (docs/contract.md §2.1)', () => {
  before(async () => {
    const pair = await generateKeyPair('RS256');
    signingKey = pair.privateKey;
    publicKey = KeyObject.from(pair.publicKey);
    otherSigningKey = (await generateKeyPair('RS256')).privateKey;
    ecSigningKey = (await generateKeyPair('ES256')).privateKey;
  });

  describe('allow', () => {
    it('allows a good token for the resource (case 1)', async () => {
      const decision = await decideWith(`Bearer ${await sign()}`);
      assert.equal(decision.kind, 'allow');
      assert.equal(decision.notEnforced, undefined);
      assert.equal(decision.tokenSHA256, undefined);
      assert.deepEqual(decision.principal, { issuer: ISSUER, subject: 'user-1', clientId: 'mcp-client', audiences: [RESOURCE] });
    });

    it('removes authorization and dpop upstream when it allows (case 1)', async () => {
      const response = checkResponseFor(await decideWith(`Bearer ${await sign()}`), 'POST');
      assert.deepEqual(response.ok_response?.headers_to_remove, ['authorization', 'dpop']);
    });

    it('allows a lower-case bearer scheme (case 4)', async () => {
      assert.equal(reasonOf(await decideWith(`bearer ${await sign()}`)), 'allow');
    });

    it('allows an aud array containing the resource (case 16)', async () => {
      assert.equal(await reasonFor(await sign(goodClaims({ aud: ['https://other.example.com/mcp', RESOURCE] }))), 'allow');
    });

    it('allows aud https://MCP.example.com/mcp (case 17)', async () => {
      assert.equal(await reasonFor(await sign(goodClaims({ aud: 'https://MCP.example.com/mcp' }))), 'allow');
      assert.equal(await reasonFor(await sign(goodClaims({ aud: 'HTTPS://mcp.example.com:443/mcp' }))), 'allow');
    });

    it('allows an extra configured audience', async () => {
      assert.equal(await reasonFor(await sign(goodClaims({ aud: 'api://weather' })), { audiences: ['api://weather'] }), 'allow');
    });

    it('allows a token that expired 30 s ago with a skew of 60 s (case 19)', async () => {
      assert.equal(await reasonFor(await sign(goodClaims({ exp: NOW - 30 })), { clockSkewSeconds: 60 }), 'allow');
    });

    it('allows a typ of application/at+jwt', async () => {
      assert.equal(await reasonFor(await sign(goodClaims(), { typ: 'application/at+jwt' })), 'allow');
    });

    it('allows a jwt-profile issuer\'s token with typ JWT and without client_id and jti', async () => {
      const claims = without(without(goodClaims({ iss: JWT_ISSUER }), 'client_id'), 'jti');
      assert.equal(await reasonFor(await sign(claims, { typ: 'JWT' })), 'allow');
    });

    for (const typ of ['at+jwt', 'application/at+jwt', 'AT+JWT', undefined]) {
      it(`allows a jwt-profile issuer's token with typ ${typ ?? 'absent'} and without client_id and jti`, async () => {
        const claims = without(without(goodClaims({ iss: JWT_ISSUER }), 'client_id'), 'jti');
        assert.equal(await reasonFor(await sign(claims, { typ })), 'allow');
      });
    }

    it('allows required scopes granted through scp or through an implication', async () => {
      assert.equal(await reasonFor(await sign(without(goodClaims({ scp: ['mcp:tools'] }), 'scope'))), 'allow');
      assert.equal(await reasonFor(await sign(goodClaims({ scope: 'mcp:admin' })), { scopeImplications: { 'mcp:admin': ['mcp:tools'] } }), 'allow');
    });

    it('asks the key resolver with the token\'s own issuer, kid and alg', async () => {
      const { snapshot, env, keys } = setup();
      await decide(view(`Bearer ${await sign()}`), snapshot, env);
      assert.deepEqual(keys.lookups, [{ issuer: ISSUER, kid: KID, alg: 'RS256' }]);
    });
  });

  describe('each reason is reachable', () => {
    it('denies no_policy for a host no policy covers, before looking at the credential (case 26)', async () => {
      assert.equal(reasonOf(await decideWith(undefined, {}, { request: { host: 'other.example.com' } })), 'no_policy');
      assert.equal(reasonOf(await decideWith('Bearer', {}, { request: { host: 'other.example.com' } })), 'no_policy');
    });

    it('answers the metadata document without a token (case 23)', async () => {
      const decision = await decideWith(undefined, {}, { request: { method: 'GET', path: '/.well-known/oauth-protected-resource/mcp' } });
      assert.equal(decision.kind, 'metadata');
      const response = checkResponseFor(decision, 'GET');
      assert.equal(response.denied_response?.status?.code, 200);
      assert.equal((JSON.parse(response.denied_response.body ?? '{}') as { resource?: string }).resource, RESOURCE);
    });

    it('answers the metadata document even with a malformed Authorization header', async () => {
      const decision = await decideWith('Bearer', {}, { request: { method: 'GET', path: '/.well-known/oauth-protected-resource/mcp' } });
      assert.equal(decision.kind, 'metadata');
    });

    it('denies missing_token without an Authorization header (case 2)', async () => {
      assert.equal(reasonOf(await decideWith(undefined)), 'missing_token');
    });

    it('denies missing_token for a Basic credential (case 3)', async () => {
      assert.equal(reasonOf(await decideWith('Basic dXNlcjpwYXNz')), 'missing_token');
    });

    it('denies missing_token when the token is only in the query string (case 6)', async () => {
      const token = await sign();
      const parsed = parseCheckRequest({ attributes: { request: { http: { headers: { ':method': 'POST', ':authority': 'mcp.example.com', ':path': `/mcp?access_token=${token}` } } } } });
      const { snapshot, env } = setup();
      assert.equal(reasonOf(await decide(parsed.view, snapshot, env)), 'missing_token');
    });

    it('denies invalid_request for Bearer with nothing after it (case 5)', async () => {
      assert.equal(reasonOf(await decideWith('Bearer')), 'invalid_request');
    });

    it('denies invalid_request for two Authorization headers joined by Envoy', async () => {
      const token = await sign();
      assert.equal(reasonOf(await decideWith(`Bearer ${token},Bearer ${token}`)), 'invalid_request');
    });

    it('denies token_too_large above the size cap', async () => {
      const token = await sign();
      assert.equal(await reasonFor(token, {}, { maxTokenBytes: token.length - 1 }), 'token_too_large');
      assert.equal(await reasonFor(token, {}, { maxTokenBytes: token.length }), 'allow');
    });

    it('denies malformed_token for two segments aaa.bbb (case 7)', async () => {
      assert.equal(await reasonFor('aaa.bbb'), 'malformed_token');
    });

    it('denies malformed_token for a non-string kid', async () => {
      const token = `${segment({ alg: 'RS256', typ: 'at+jwt', kid: 5 })}.${segment(goodClaims())}.c2ln`;
      assert.equal(await reasonFor(token), 'malformed_token');
    });

    it('denies malformed_token for a correctly signed payload that is not a JSON object', async () => {
      const token = await new CompactSign(new TextEncoder().encode(JSON.stringify([goodClaims()])))
        .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: KID })
        .sign(signingKey);
      assert.equal(await reasonFor(token), 'malformed_token');
    });

    it('denies unsupported_token_type for typ JWT under profile rfc9068 (case 8)', async () => {
      assert.equal(await reasonFor(await sign(goodClaims(), { typ: 'JWT' })), 'unsupported_token_type');
    });

    it('denies unsupported_token_type for an untyped token under profile rfc9068', async () => {
      assert.equal(await reasonFor(await new SignJWT(goodClaims()).setProtectedHeader({ alg: 'RS256', kid: KID }).sign(signingKey)), 'unsupported_token_type');
    });

    it('attack: a DPoP-bound token (cnf.jkt) sent as Bearer must be refused as token_binding_mismatch (RFC 9449 §7.2)', async () => {
      assert.equal(await reasonFor(await sign(goodClaims({ cnf: { jkt: 'thumbprint' } }))), 'token_binding_mismatch');
    });

    it('attack: a token bound by a cnf member this service does not check must be refused as token_binding_mismatch', async () => {
      assert.equal(await reasonFor(await sign(goodClaims({ cnf: { 'x5t#S1': 'abc' } }))), 'token_binding_mismatch');
      assert.equal(await reasonFor(await sign(goodClaims({ cnf: 'jkt' }))), 'token_binding_mismatch');
    });

    it('denies disallowed_algorithm for alg none (case 9)', async () => {
      const unsecured = `${segment({ alg: 'none', typ: 'at+jwt' })}.${segment(goodClaims())}.`;
      assert.equal(await reasonFor(unsecured), 'disallowed_algorithm');
    });

    it('denies disallowed_algorithm for HS256, even signed with a key the attacker knows', async () => {
      const token = await sign(goodClaims(), { alg: 'HS256' }, new TextEncoder().encode('a-shared-secret-that-is-long-enough!!'));
      assert.equal(await reasonFor(token), 'disallowed_algorithm');
    });

    it('denies disallowed_algorithm for an alg outside the issuer\'s allow-list (case 10)', async () => {
      assert.equal(await reasonFor(await sign(goodClaims(), { alg: 'ES256' }, ecSigningKey)), 'disallowed_algorithm');
    });

    it('denies unknown_issuer for an iss the policy does not trust (case 13)', async () => {
      assert.equal(await reasonFor(await sign(goodClaims({ iss: 'https://evil.example.com' }))), 'unknown_issuer');
    });

    it('denies unknown_issuer for an iss that differs only in case or a trailing slash', async () => {
      assert.equal(await reasonFor(await sign(goodClaims({ iss: ISSUER.toUpperCase() }))), 'unknown_issuer');
      assert.equal(await reasonFor(await sign(goodClaims({ iss: `${ISSUER}/` }))), 'unknown_issuer');
    });

    it('never asks for keys of an issuer the policy does not trust', async () => {
      const { snapshot, env, keys } = setup();
      await decide(view(`Bearer ${await sign(goodClaims({ iss: 'https://evil.example.com' }))}`), snapshot, env);
      assert.deepEqual(keys.lookups, []);
    });

    it('denies unknown_key for a kid the issuer does not have (case 12)', async () => {
      assert.equal(await reasonFor(await sign(goodClaims(), { kid: 'rotated-away' })), 'unknown_key');
    });

    it('denies keys_unavailable when the issuer\'s keys cannot be had (case 25)', async () => {
      assert.equal(await reasonFor(await sign(), {}, { available: false }), 'keys_unavailable');
    });

    it('denies invalid_signature for a token signed by another key under a known kid', async () => {
      assert.equal(await reasonFor(await sign(goodClaims(), {}, otherSigningKey)), 'invalid_signature');
    });

    it('denies invalid_signature for a token whose payload was changed after signing', async () => {
      const [header = '', , signature = ''] = (await sign()).split('.');
      const forged = `${header}.${segment(goodClaims({ sub: 'admin' }))}.${signature}`;
      assert.equal(await reasonFor(forged), 'invalid_signature');
    });

    it('denies expired for a token that expired 10 minutes ago (case 18)', async () => {
      assert.equal(await reasonFor(await sign(goodClaims({ exp: NOW - 600 }))), 'expired');
    });

    it('denies not_yet_valid for nbf 10 minutes ahead (case 20)', async () => {
      assert.equal(await reasonFor(await sign(goodClaims({ nbf: NOW + 600 }))), 'not_yet_valid');
    });

    it('denies missing_claim for a token without sub under rfc9068 (case 21)', async () => {
      assert.equal(await reasonFor(await sign(without(goodClaims(), 'sub'))), 'missing_claim');
    });

    it('denies missing_claim for a token without aud (case 14)', async () => {
      assert.equal(await reasonFor(await sign(without(goodClaims(), 'aud'))), 'missing_claim');
    });

    it('denies missing_claim for an aud of the wrong type', async () => {
      assert.equal(await reasonFor(await sign(goodClaims({ aud: [RESOURCE, 1] as unknown as string[] }))), 'missing_claim');
      assert.equal(await reasonFor(await sign(goodClaims({ aud: [] }))), 'missing_claim');
    });

    it('denies missing_claim for a scope of the wrong type', async () => {
      assert.equal(await reasonFor(await sign(goodClaims({ scope: ['mcp:tools'] }))), 'missing_claim');
    });

    it('denies id_token_presented for an ID-token-shaped token under profile jwt', async () => {
      assert.equal(await reasonFor(await sign(goodClaims({ iss: JWT_ISSUER, nonce: 'n' }), { typ: 'JWT' })), 'id_token_presented');
    });

    for (const typ of ['at+jwt', 'application/at+jwt', undefined]) {
      for (const claim of ['nonce', 'at_hash']) {
        it(`attack: an ID token (with ${claim}) typed ${typ ?? 'without typ'} under profile jwt must be id_token_presented`, async () => {
          assert.equal(await reasonFor(await sign(goodClaims({ iss: JWT_ISSUER, [claim]: 'x' }), { typ })), 'id_token_presented');
        });
      }
    }

    it('denies audience_mismatch for a token issued for another MCP server (case 15)', async () => {
      assert.equal(await reasonFor(await sign(goodClaims({ aud: 'https://other-mcp.example.com/mcp' }))), 'audience_mismatch');
    });

    for (const aud of ['https://mcp.example.com/mcp/', 'https://mcp.example.com/MCP', 'https://mcp.example.com/%6Dcp', 'https://mcp.example.com', 'https://mcp.example.com/mcp#x', 'https://u@mcp.example.com/mcp', 'https://mcp.example.com:8443/mcp', 'http://mcp.example.com/mcp']) {
      it(`denies audience_mismatch for aud ${aud}`, async () => {
        assert.equal(await reasonFor(await sign(goodClaims({ aud }))), 'audience_mismatch');
      });
    }

    it('denies insufficient_scope and lists every required scope (case 22)', async () => {
      const decision = await decideWith(`Bearer ${await sign(goodClaims({ scope: 'mcp:tools' }))}`, { requiredScopes: ['mcp:tools', 'mcp:write'] });
      assert.equal(reasonOf(decision), 'insufficient_scope');
      assert.ok(decision.kind === 'deny');
      assert.deepEqual([...decision.challengeScopes], ['mcp:tools', 'mcp:write']);
      const response = checkResponseFor(decision, 'POST');
      assert.equal(response.denied_response?.status?.code, 403);
      const challenge = response.denied_response.headers?.find((option) => option.header?.key === 'www-authenticate')?.header?.value ?? '';
      assert.ok(challenge.includes('error="insufficient_scope"'));
      assert.ok(challenge.includes('scope="mcp:tools mcp:write"'));
    });

    it('denies insufficient_scope for a scope that differs only in case', async () => {
      assert.equal(await reasonFor(await sign(goodClaims({ scope: 'MCP:TOOLS' }))), 'insufficient_scope');
    });
  });

  describe('the first failure decides', () => {
    it('reports expired for a token that is both expired and for another audience', async () => {
      assert.equal(await reasonFor(await sign(goodClaims({ exp: NOW - 600, aud: 'https://other.example.com' }))), 'expired');
    });

    it('reports invalid_signature before expiry and audience', async () => {
      assert.equal(await reasonFor(await sign(goodClaims({ exp: NOW - 600, aud: 'https://other.example.com' }), {}, otherSigningKey)), 'invalid_signature');
    });

    it('reports disallowed_algorithm for alg none from an unknown issuer', async () => {
      const unsecured = `${segment({ alg: 'none', typ: 'at+jwt' })}.${segment(goodClaims({ iss: 'https://evil.example.com' }))}.`;
      assert.equal(await reasonFor(unsecured), 'disallowed_algorithm');
    });

    it('reports unsupported_token_type before disallowed_algorithm', async () => {
      const unsecured = `${segment({ alg: 'none', typ: 'JWT' })}.${segment(goodClaims())}.`;
      assert.equal(await reasonFor(unsecured), 'unsupported_token_type');
    });

    // Regression (found by this suite, fixed): before the issuer is known, checkHeader accepts a `typ` that fits ANY token profile
    // that exists, not one of the profiles of THIS policy's issuers. With a
    // policy whose issuers are all rfc9068, a token with typ JWT from an unknown issuer passes
    // step 4 and is reported as unknown_issuer (step 5) instead of unsupported_token_type
    // (step 4): the first failing step is not the one reported. (The same holds for `alg`:
    // an alg outside every issuer's allow-list but asymmetric is reported as unknown_issuer.)
    it('reports unsupported_token_type for typ JWT from an unknown issuer when every issuer is rfc9068', async () => {
      const token = await sign(goodClaims({ iss: 'https://evil.example.com' }), { typ: 'JWT' });
      assert.equal(await reasonFor(token, { issuers: [{ issuer: ISSUER, algorithms: ['RS256'] }] }), 'unsupported_token_type');
    });

    // Regression (found by this suite, fixed): same root cause as above, for `alg`: with unknown issuer, checkHeader accepts any
    // asymmetric alg, not only those some issuer of this policy allows, so a token signed with
    // ES256 from an unknown issuer (every issuer here allows only RS256) is reported as
    // unknown_issuer (step 5) instead of disallowed_algorithm (step 4).
    it('reports disallowed_algorithm for an alg no issuer of the policy allows, from an unknown issuer', async () => {
      const token = await sign(goodClaims({ iss: 'https://evil.example.com' }), { alg: 'ES256' }, ecSigningKey);
      assert.equal(await reasonFor(token), 'disallowed_algorithm');
    });

    it('reports audience_mismatch before insufficient_scope in Strict mode', async () => {
      assert.equal(await reasonFor(await sign(goodClaims({ aud: 'https://other.example.com', scope: 'other' }))), 'audience_mismatch');
    });

    it('reports token_too_large before malformed_token', async () => {
      assert.equal(await reasonFor('not-a-jwt', {}, { maxTokenBytes: 4 }), 'token_too_large');
    });

    it('reports a missing claim before the audience', async () => {
      assert.equal(await reasonFor(await sign(without(goodClaims({ aud: 'https://other.example.com' }), 'jti'))), 'missing_claim');
    });
  });

  describe('Permissive mode (docs/contract.md §2.4)', () => {
    it('allows an audience failure, marked not enforced, with the token hash for the log', async () => {
      const token = await sign(goodClaims({ aud: 'https://other-mcp.example.com/mcp' }));
      const decision = await decideWith(`Bearer ${token}`, { mode: 'Permissive' });
      assert.equal(decision.kind, 'allow');
      assert.equal(decision.notEnforced, 'audience_mismatch');
      assert.equal(decision.tokenSHA256, sha16(token));
      assert.deepEqual(checkResponseFor(decision, 'POST').ok_response?.headers_to_remove, ['authorization', 'dpop']);
    });

    it('does not mark a matching audience as not enforced', async () => {
      const decision = await decideWith(`Bearer ${await sign()}`, { mode: 'Permissive' });
      assert.ok(decision.kind === 'allow');
      assert.equal(decision.notEnforced, undefined);
      assert.equal(decision.tokenSHA256, undefined);
    });

    it('still denies an expired token', async () => {
      assert.equal(await reasonFor(await sign(goodClaims({ exp: NOW - 600, aud: 'https://other.example.com' })), { mode: 'Permissive' }), 'expired');
    });

    it('still denies a bad signature, an unknown issuer and a missing or malformed aud', async () => {
      const permissive = { mode: 'Permissive' } as const;
      assert.equal(await reasonFor(await sign(goodClaims({ aud: 'https://other.example.com' }), {}, otherSigningKey), permissive), 'invalid_signature');
      assert.equal(await reasonFor(await sign(goodClaims({ iss: 'https://evil.example.com' })), permissive), 'unknown_issuer');
      for (const claims of [without(goodClaims(), 'aud'), without(goodClaims({ iss: JWT_ISSUER }), 'aud'), goodClaims({ aud: 42 as unknown as string }), goodClaims({ aud: [] })]) {
        assert.equal(await reasonFor(await sign(claims, { typ: claims.iss === JWT_ISSUER ? 'JWT' : 'at+jwt' }), permissive), 'missing_claim', JSON.stringify(claims.aud));
      }
    });

    it('still denies insufficient scope after letting the audience through', async () => {
      assert.equal(await reasonFor(await sign(goodClaims({ aud: 'https://other.example.com', scope: 'other' })), { mode: 'Permissive' }), 'insufficient_scope');
    });

    for (const grant of ['tokenExchange', 'clientCredentials'] as const) {
      it(`attack: Permissive mode with ${grant} must deny a token issued for another resource (enforced), never asking for an upstream token`, async () => {
        const { snapshot, env } = setup({ mode: 'Permissive', upstream: { [grant]: { tokenEndpoint: 'https://idp.example.com/token', clientId: 'svc', clientSecretFile: '/s' } } });
        const asked: string[] = [];
        const upstreamTokens = { tokenFor: (policy: RuntimePolicy) => { asked.push(policy.id); return Promise.resolve({ kind: 'token' as const, accessToken: 'upstream-token' }); } };
        const foreign = await decide(view(`Bearer ${await sign(goodClaims({ aud: 'https://other-mcp.example.com/mcp' }))}`), snapshot, { ...env, upstreamTokens });
        assert.equal(reasonOf(foreign), 'audience_mismatch');
        assert.ok(foreign.kind === 'deny', 'a deny is always enforced');
        assert.deepEqual(asked, []);
        const own = await decide(view(`Bearer ${await sign()}`), snapshot, { ...env, upstreamTokens });
        assert.equal(own.kind, 'allow', 'a token for this resource still gets the upstream token');
        assert.deepEqual(asked, ['mcp/weather']);
      });
    }
  });

  describe('what a decision may carry', () => {
    it('carries the token only as the first 16 hex digits of its SHA-256', async () => {
      const token = await sign(goodClaims({ exp: NOW - 600 }));
      const decision = await decideWith(`Bearer ${token}`);
      assert.ok(decision.kind === 'deny');
      assert.equal(decision.tokenSHA256, sha16(token));
      const { policy: _policy, ...rest } = decision;
      const wire = JSON.stringify(rest);
      for (const part of token.split('.')) assert.equal(wire.includes(part), false);
    });

    it('exposes no claims of a token whose signature did not verify', async () => {
      const decision = await decideWith(`Bearer ${await sign(goodClaims({ aud: 'https://other.example.com' }), {}, otherSigningKey)}`);
      assert.ok(decision.kind === 'deny');
      assert.equal(decision.principal, undefined);
    });

    it('exposes the verified claims when a later check fails', async () => {
      const decision = await decideWith(`Bearer ${await sign(goodClaims({ aud: 'https://other.example.com' }))}`);
      assert.ok(decision.kind === 'deny');
      assert.equal(decision.principal?.subject, 'user-1');
    });

    it('has no token hash when there was no token', async () => {
      const decision = await decideWith(undefined);
      assert.ok(decision.kind === 'deny');
      assert.equal(decision.tokenSHA256, undefined);
    });
  });

  describe('properties', () => {
    const caseVariant = (value: string): fc.Arbitrary<string> =>
      fc.array(fc.boolean(), { minLength: value.length, maxLength: value.length })
        .map((flags) => Array.from(value).map((character, index) => (flags[index] === true ? character.toUpperCase() : character)).join(''));
    const variantArb = fc.tuple(
      fc.constantFrom('https', 'http').chain(caseVariant),
      fc.constantFrom('mcp.example.com', 'other.example.com', 'mcp.example.com.evil.test').chain(caseVariant),
      fc.constantFrom('', ':443', ':80', ':8443'),
      fc.constantFrom('', '/', '/mcp', '/mcp/', '/MCP', '/%6Dcp', '/mcpx', '/mcp/x', '/./mcp'),
      fc.constantFrom('', '', '', '#', '#x', '?q'),
    ).map(([scheme, host, port, path, suffix]) => `${scheme}://${host}${port}${path}${suffix}`);
    const audArb = fc.array(fc.oneof(variantArb, fc.constantFrom('api://weather', 'API://weather'), fc.string({ maxLength: 20 })), { minLength: 1, maxLength: 3 });

    for (const mode of ['Strict', 'Permissive'] as const) {
      it(`${mode}: allows exactly when one aud value is an accepted value by the rule, and every allow removes authorization`, async () => {
        const spec: Partial<AudiencePolicySpec> = { mode, audiences: ['api://weather'] };
        const { snapshot, env } = setup(spec);
        await fc.assert(fc.asyncProperty(audArb, async (aud) => {
          const decision = await decide(view(`Bearer ${await sign(goodClaims({ aud }))}`), snapshot, env);
          const byRule = referenceMatches(aud, [RESOURCE, 'api://weather']);
          if (mode === 'Strict') {
            assert.equal(decision.kind === 'allow', byRule, `aud ${JSON.stringify(aud)}`);
          } else {
            assert.equal(decision.kind, 'allow');
            assert.equal(decision.notEnforced === undefined, byRule, `aud ${JSON.stringify(aud)}`);
          }
          if (decision.kind === 'allow') {
            const response = checkResponseFor(decision, 'POST');
            assert.ok(response.ok_response?.headers_to_remove?.includes('authorization'));
            assert.ok(response.ok_response?.query_parameters_to_remove?.includes('access_token'));
            for (const option of response.ok_response?.headers ?? []) assert.notEqual(option.header?.key?.toLowerCase(), 'authorization');
          } else {
            assert.equal(reasonOf(decision), 'audience_mismatch');
          }
        }), { numRuns: 150 });
      });
    }

    it('never throws and never allows for an arbitrary Authorization value', async () => {
      const { snapshot, env } = setup();
      await fc.assert(fc.asyncProperty(fc.option(fc.string({ unit: 'binary', maxLength: 80 })), async (authorization) => {
        const decision = await decide(view(authorization ?? undefined), snapshot, env);
        assert.equal(decision.kind, 'deny');
      }), { numRuns: 500 });
    });
  });
});
