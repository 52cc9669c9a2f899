// No response carries any part of the presented token (README "Responses",
// SECURITY.md): every CheckResponse below answers a request that carried a
// real RS256 token, decided by the real pipeline. Verified `sub` and
// `client_id` may appear, as dynamic metadata only; the claims of a token
// whose signature did not verify appear nowhere.
import { strict as assert } from 'node:assert';
import { KeyObject } from 'node:crypto';
import { generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { jwtCheckEnvironment } from '../../../src/core/check-environment.ts';
import { decide } from '../../../src/core/check-pipeline.ts';
import type { Decision } from '../../../src/core/decision.ts';
import type { KeyLookup, KeyResolver } from '../../../src/core/key-resolver.ts';
import { REASONS, type Reason } from '../../../src/core/reasons.ts';
import { digestLogId, tokenDigest } from '../../../src/core/token-hash.ts';
import { checkResponseFor } from '../../../src/envoy/check-response.ts';
import type { CheckResponse } from '../../../src/envoy/proto.ts';
import { PolicySnapshot } from '../../../src/core/policy-snapshot.ts';
import { padBitSpellings, withSegment } from '../../support/base64url-spellings.ts';
import { ISSUER, RESOURCE, runtimePolicy } from '../policy-fixtures.ts';

const NOW = 1_700_000_000;
const JWT_ISSUER = 'https://legacy-idp.example.com';
const SUBJECT = 'subject-4b1d9e';
const CLIENT = 'client-7c2a5f';
const WINDOW = 16;

type Keys = 'right' | 'wrong' | 'unknown_key' | 'keys_unavailable';

interface Case {
  readonly label: string;
  readonly expect: Reason | 'allow';
  readonly authorization: string;
  /** Every token the request carried. */
  readonly tokens: readonly string[];
  /** Whether the signature verified before the decision. */
  readonly verified: boolean;
  readonly keys?: Keys;
  readonly host?: string;
  readonly maxTokenBytes?: number;
}

interface Answer {
  readonly label: string;
  readonly verified: boolean;
  readonly tokens: readonly string[];
  readonly outcome: Reason | 'allow';
  readonly response: CheckResponse;
}

const POLICIES = new PolicySnapshot([
  runtimePolicy({ requiredScopes: ['mcp:tools'], issuers: [{ issuer: ISSUER, algorithms: ['RS256'] }, { issuer: JWT_ISSUER, algorithms: ['RS256'], profile: 'jwt' }] }, { name: 'mcp' }),
  runtimePolicy({ resource: 'https://audit.example.com/mcp', mode: 'Permissive' }, { name: 'audit', loadOrder: 1 }),
  runtimePolicy({ resource: 'https://tools.example.com/mcp', upstream: { clientCredentials: { tokenEndpoint: 'https://idp.example.com/token', clientId: 'guard', clientSecretFile: '/secrets/guard' } } }, { name: 'tools', loadOrder: 2 }),
], 1);

function claims(overrides: JWTPayload = {}): JWTPayload {
  return { iss: ISSUER, aud: RESOURCE, sub: SUBJECT, client_id: CLIENT, jti: 'jti-1', iat: NOW - 10, exp: NOW + 300, scope: 'mcp:tools', ...overrides };
}

/** Every WINDOW-character piece of the token: a truncated or partial echo is an echo too. */
function pieces(token: string): string[] {
  return Array.from({ length: Math.max(1, token.length - WINDOW + 1) }, (_, start) => token.slice(start, start + WINDOW));
}

function outcomeOf(decision: Decision): Reason | 'allow' {
  if (decision.kind === 'metadata') throw new Error('no metadata request here');
  return decision.kind === 'deny' ? decision.reason : 'allow';
}

describe('attack: a CheckResponse echoing the presented token', () => {
  const answers: Answer[] = [];

  before(async () => {
    const rsa = await generateKeyPair('RS256');
    const stranger = await generateKeyPair('RS256');
    const ec = await generateKeyPair('ES256');
    const sign = (payload: JWTPayload, header: Record<string, unknown> = {}, key: CryptoKey = rsa.privateKey): Promise<string> =>
      new SignJWT(payload).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: 'k1', ...header }).sign(key);
    const good = await sign(claims());
    const bearer = async (label: string, expect: Reason | 'allow', token: string | Promise<string>, verified: boolean, more: Partial<Case> = {}): Promise<Case> => {
      const value = await token;
      return { label, expect, authorization: `Bearer ${value}`, tokens: [value], verified, ...more };
    };
    const without = (payload: JWTPayload, name: string): JWTPayload => Object.fromEntries(Object.entries(payload).filter(([key]) => key !== name));
    const cases: Case[] = [
      await bearer('allow', 'allow', good, true),
      await bearer('allow under profile jwt, no client_id', 'allow', sign(without(claims({ iss: JWT_ISSUER }), 'client_id'), { typ: 'JWT' }), true),
      await bearer('allow, audience not enforced (Permissive)', 'allow', good, true, { host: 'audit.example.com' }),
      { label: 'another auth scheme', expect: 'missing_token', authorization: `Basic ${good}`, tokens: [good], verified: false },
      { label: 'an unbound token sent as DPoP', expect: 'token_binding_mismatch', authorization: `DPoP ${good}`, tokens: [good], verified: true },
      { label: 'two credentials', expect: 'invalid_request', authorization: `Bearer ${good}, Bearer ${good}`, tokens: [good], verified: false },
      await bearer('pad bits set in the signature', 'malformed_token', withSegment(good, 2, padBitSpellings(good.split('.')[2] ?? '')[0] ?? ''), false),
      await bearer('over the size cap', 'token_too_large', good, false, { maxTokenBytes: good.length - 1 }),
      await bearer('typ JWT under rfc9068', 'unsupported_token_type', sign(claims(), { typ: 'JWT' }), false),
      await bearer('alg outside the allow-list', 'disallowed_algorithm', sign(claims(), { alg: 'ES256' }, ec.privateKey), false),
      await bearer('untrusted issuer', 'unknown_issuer', sign(claims({ iss: 'https://evil.example.com' })), false),
      await bearer('unknown kid', 'unknown_key', good, false, { keys: 'unknown_key' }),
      await bearer('keys unavailable', 'keys_unavailable', good, false, { keys: 'keys_unavailable' }),
      await bearer('signed by another key', 'invalid_signature', good, false, { keys: 'wrong' }),
      await bearer('no policy for the host', 'no_policy', good, false, { host: 'elsewhere.example.com' }),
      await bearer('expired', 'expired', sign(claims({ exp: NOW - 600 })), true),
      await bearer('not yet valid', 'not_yet_valid', sign(claims({ nbf: NOW + 600 })), true),
      await bearer('missing jti', 'missing_claim', sign(without(claims(), 'jti')), true),
      await bearer('ID token shape', 'id_token_presented', sign(claims({ iss: JWT_ISSUER, nonce: 'nonce-1' }), { typ: 'JWT' }), true),
      await bearer('another audience', 'audience_mismatch', sign(claims({ aud: 'https://other.example.com/mcp' })), true),
      await bearer('scope missing', 'insufficient_scope', sign(claims({ scope: 'other' })), true),
      await bearer('no upstream token', 'upstream_token_unavailable', sign(claims({ aud: 'https://tools.example.com/mcp' })), true, { host: 'tools.example.com' }),
    ];
    const keys = (which: Keys): KeyResolver => ({
      resolve: (): Promise<KeyLookup> => Promise.resolve(
        which === 'right' ? { kind: 'key', key: KeyObject.from(rsa.publicKey) }
          : which === 'wrong' ? { kind: 'key', key: KeyObject.from(stranger.publicKey) }
            : { kind: which },
      ),
    });
    for (const testCase of cases) {
      const env = jwtCheckEnvironment({ keys: keys(testCase.keys ?? 'right'), now: () => NOW, maxTokenBytes: testCase.maxTokenBytes ?? 16_384 });
      const decision = await decide({ method: 'POST', host: testCase.host ?? 'mcp.example.com', path: '/mcp', authorization: testCase.authorization, policyReference: undefined }, POLICIES, env);
      assert.equal(outcomeOf(decision), testCase.expect, testCase.label);
      answers.push({ label: testCase.label, verified: testCase.verified, tokens: testCase.tokens, outcome: testCase.expect, response: checkResponseFor(decision, 'POST') });
    }
    // Reasons the pipeline does not decide from a token (the service's edges: timeouts,
    // internal errors, path and policy checks): a deny with the verified principal of `good`.
    const decided = new Set(answers.map((answer) => answer.outcome));
    const policy = POLICIES.policies[0]!;
    for (const reason of REASONS.filter((name) => !decided.has(name))) {
      const decision: Decision = { kind: 'deny', reason, policy, challengeScopes: policy.requiredScopes, tokenSHA256: digestLogId(tokenDigest(good)), principal: { issuer: ISSUER, subject: SUBJECT, clientId: CLIENT, audiences: [RESOURCE] } };
      answers.push({ label: `${reason} (decided outside the pipeline)`, verified: true, tokens: [good], outcome: reason, response: checkResponseFor(decision, 'POST') });
    }
  });

  it('the requests reach every reason, an allow and a not-enforced allow', () => {
    const outcomes = new Set(answers.map((answer) => answer.outcome));
    for (const reason of REASONS) assert.ok(outcomes.has(reason), reason);
    assert.ok(outcomes.has('allow'));
    assert.ok(answers.some((answer) => answer.response.dynamic_metadata?.fields?.decision?.stringValue === 'allowed_not_enforced'));
  });

  it('must not put the token, or any 16 characters of it, into any part of any response', () => {
    for (const answer of answers) {
      const wire = JSON.stringify(answer.response);
      for (const token of answer.tokens) {
        for (const piece of pieces(token)) assert.equal(wire.includes(piece), false, `${answer.label}: echoes "${piece}"`);
      }
    }
  });

  it('must not echo sub or client_id of a token whose signature did not verify', () => {
    for (const answer of answers.filter((candidate) => !candidate.verified)) {
      const wire = JSON.stringify(answer.response);
      for (const claim of [SUBJECT, CLIENT]) assert.equal(wire.includes(claim), false, `${answer.label}: echoes ${claim}`);
    }
  });

  it('sends verified sub and client_id as dynamic metadata only, never in the body or headers', () => {
    for (const answer of answers) {
      const { denied_response: denied, ok_response: ok } = answer.response;
      const visible = JSON.stringify([denied?.body, denied?.headers, ok?.headers, ok?.response_headers_to_add, answer.response.status?.message]);
      for (const claim of [SUBJECT, CLIENT]) assert.equal(visible.includes(claim), false, `${answer.label}: ${claim} visible to the client or upstream`);
    }
  });
});
