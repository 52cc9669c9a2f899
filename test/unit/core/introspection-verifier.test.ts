// Opaque tokens in the decision (README "Opaque tokens"): which tokens are introspected and
// where, and how an RFC 7662 answer is judged, through decide() with a scripted introspector.
import { strict as assert } from 'node:assert';
import { jwtCheckEnvironment } from '../../../src/core/check-environment.ts';
import { decide } from '../../../src/core/check-pipeline.ts';
import { hasCompactJWSShape } from '../../../src/core/dispatching-token-verifier.ts';
import { IntrospectionVerifier } from '../../../src/core/introspection-verifier.ts';
import type { KeyResolver } from '../../../src/core/key-resolver.ts';
import { PolicySnapshot } from '../../../src/core/policy-snapshot.ts';
import type { RuntimeIssuer } from '../../../src/core/runtime-policy.ts';
import type { IntrospectionResult, TokenIntrospector } from '../../../src/core/token-introspector.ts';
import { tokenDigest } from '../../../src/core/token-hash.ts';
import { NO_EXTRAS } from '../../../src/core/request-extras.ts';
import { ISSUER, RESOURCE, runtimePolicy } from '../policy-fixtures.ts';

const NOW = 1_700_000_000;
const OPAQUE = '2YotnFZFEjr1zCsicMWpAA'; // RFC 6749's example access token: token68, not three parts
const OTHER_ISSUER = 'https://login.example.org';
const introspection = { clientId: 'guard', clientSecretFile: '/run/secret' };
const policy = runtimePolicy({
  issuers: [{ issuer: OTHER_ISSUER }, { issuer: ISSUER, introspection }],
  requiredScopes: ['mcp:tools'],
  clockSkewSeconds: 60,
});
const plain = runtimePolicy({}, { name: 'plain' });

class ScriptedIntrospector implements TokenIntrospector {
  readonly asked: { issuer: string; token: string }[] = [];
  readonly result: IntrospectionResult;
  constructor(result: IntrospectionResult) {
    this.result = result;
  }
  introspect(token: { value: string }, issuer: RuntimeIssuer): Promise<IntrospectionResult> {
    this.asked.push({ issuer: issuer.issuer, token: token.value });
    return Promise.resolve(this.result);
  }
}

const NO_KEYS: KeyResolver = { resolve: () => Promise.resolve({ kind: 'keys_unavailable' }) };

function answer(overrides: Record<string, unknown> = {}): IntrospectionResult {
  return { kind: 'answer', answer: { active: true, token_type: 'Bearer', iss: ISSUER, aud: RESOURCE, exp: NOW + 300, scope: 'mcp:tools', client_id: 'app', ...overrides } };
}

async function decision(result: IntrospectionResult, token = OPAQUE, chosen = policy) {
  const introspector = new ScriptedIntrospector(result);
  const env = jwtCheckEnvironment({ keys: NO_KEYS, now: () => NOW, maxTokenBytes: 64, introspector });
  const snapshot = new PolicySnapshot([chosen], 1);
  const request = { method: 'POST', host: 'mcp.example.com', path: '/mcp', authorization: `Bearer ${token}`, policyReference: `mcp/${chosen.name}` };
  const outcome = await decide(request, snapshot, env);
  return { outcome, introspector, reason: outcome.kind === 'deny' ? outcome.reason : outcome.kind };
}

describe('opaque tokens in the decision', () => {
  it('allows an active answer for this resource, asking only the policy\'s introspecting issuer', async () => {
    const { reason, introspector } = await decision(answer());
    assert.equal(reason, 'allow');
    assert.deepEqual(introspector.asked, [{ issuer: ISSUER, token: OPAQUE }]);
  });

  it('accepts the access-token types Bearer, DPoP and N_A in any case, or none', async () => {
    for (const tokenType of ['bearer', 'DPoP', 'N_A', undefined]) assert.equal((await decision(answer({ token_type: tokenType }))).reason, 'allow');
  });

  it('does not require the RFC 9068 claims sub, jti and iat of an answer', async () => {
    assert.equal((await decision(answer({ sub: undefined, jti: undefined, iat: undefined }))).reason, 'allow');
  });

  const refusals: [string, IntrospectionResult, string][] = [
    ['inactive', { kind: 'answer', answer: { active: false } }, 'expired'],
    ['active as a string', answer({ active: 'true' }), 'expired'],
    ['a refresh token', answer({ token_type: 'refresh_token' }), 'unsupported_token_type'],
    ['another issuer', answer({ iss: OTHER_ISSUER }), 'unknown_issuer'],
    ['no exp', answer({ exp: undefined }), 'missing_claim'],
    ['exp past the skew', answer({ exp: NOW - 61 }), 'expired'],
    ['nbf beyond the skew', answer({ nbf: NOW + 61 }), 'not_yet_valid'],
    ['no aud', answer({ aud: undefined }), 'missing_claim'],
    ['another resource', answer({ aud: 'https://other.example.com/mcp' }), 'audience_mismatch'],
    ['too few scopes', answer({ scope: 'mcp:read' }), 'insufficient_scope'],
    ['a numeric sub', answer({ sub: 42 }), 'missing_claim'],
    ['no answer', { kind: 'unavailable' }, 'introspection_unavailable'],
  ];
  for (const [what, result, expected] of refusals) {
    it(`attack: an answer with ${what} must be refused (${expected})`, async () => {
      assert.equal((await decision(result)).reason, expected);
    });
  }

  it('accepts exp within the clock skew', async () => {
    assert.equal((await decision(answer({ exp: NOW - 59 }))).reason, 'allow');
  });

  it('attack: a JWS-shaped token must never be introspected (the JWT path decides)', async () => {
    const { reason, introspector } = await decision(answer(), 'eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln');
    assert.notEqual(reason, 'allow');
    assert.deepEqual(introspector.asked, []);
  });

  it('attack: an opaque token over --max-token-bytes must be refused before it is sent anywhere', async () => {
    const { reason, introspector } = await decision(answer(), 'a'.repeat(65));
    assert.equal(reason, 'token_too_large');
    assert.deepEqual(introspector.asked, []);
  });

  it('attack: an opaque token on a policy without an introspecting issuer must not be sent anywhere', async () => {
    const { reason, introspector } = await decision(answer(), OPAQUE, plain);
    assert.equal(reason, 'malformed_token');
    assert.deepEqual(introspector.asked, []);
  });

  it('passes cnf, scope, client_id and sub on in the verified claims for the steps after it', async () => {
    const cnf = { jkt: 'thumbprint' };
    const verifier = new IntrospectionVerifier(new ScriptedIntrospector(answer({ cnf, sub: 'user-1' })), () => NOW);
    const request = { method: 'POST', host: 'mcp.example.com', path: '/mcp', authorization: undefined, policyReference: undefined };
    const verified = await verifier.verify({ value: OPAQUE, digest: tokenDigest(OPAQUE) }, { policy, generation: 1, request, extras: NO_EXTRAS });
    if (verified.kind !== 'verified') throw new assert.AssertionError({ message: `refused: ${verified.reason}` });
    assert.deepEqual([verified.claims.cnf, verified.claims.sub, verified.verifiedBy, verified.expiresAt], [cnf, 'user-1', 'introspection', NOW + 300]);
  });

  it('tells a compact JWS by its three parts', () => {
    assert.deepEqual(['a.b.c', 'a..c', 'abc', 'a.b', 'a.b.c.d.e', '.b.c'].map(hasCompactJWSShape), [true, true, false, false, false, true]);
  });
});
