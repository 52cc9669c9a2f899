// The challenges of a policy that accepts DPoP (RFC 9449 §7.1, RFC 9110 §11.6.1):
// one WWW-Authenticate header with the Bearer challenge first (while Bearer is
// accepted) and the DPoP challenge with `algs`; the `error` in the challenge of
// the scheme the client used, or in the DPoP one for a proof error; only DPoP
// under `dpop: Required`; Bearer alone, unchanged, under `dpop: Disabled`.
import { strict as assert } from 'node:assert';
import { challengeFor } from '../../../src/core/challenge.ts';
import { runtimePolicy } from '../policy-fixtures.ts';

const M = 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp';

type Challenges = Map<string, Map<string, string>>;

/** Challenges by scheme, each with its auth-params; throws on a repeated scheme or parameter. */
function challengesOf(header: string | undefined): Challenges {
  assert.ok(header !== undefined, 'expected a challenge');
  const challenges: Challenges = new Map();
  let current: Map<string, string> | undefined;
  const pattern = /\s*(?:([A-Za-z][\w-]*) (?=[\w-]+=)|([\w-]+)="((?:[^"\\]|\\.)*)"\s*(,|$))/gy;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(header)) !== null && match[0] !== '') {
    const [, scheme, name, value] = match;
    if (scheme !== undefined) {
      assert.ok(!challenges.has(scheme), `scheme ${scheme} twice in ${header}`);
      current = new Map();
      challenges.set(scheme, current);
    } else if (name !== undefined && current !== undefined) {
      assert.ok(!current.has(name), `${name} twice in one challenge of ${header}`);
      current.set(name, value ?? '');
    }
    if (pattern.lastIndex >= header.length) break;
  }
  assert.equal(pattern.lastIndex, header.length, `unparsed rest in ${header}`);
  return challenges;
}

const allowed = runtimePolicy({ requiredScopes: ['mcp:tools'], issuers: [{ issuer: 'https://idp.example.com', algorithms: ['RS256', 'ES256'] }] });
const required = runtimePolicy({ proofOfPossession: { dpop: 'Required', dpopAlgorithms: ['ES256'] } });
const disabled = runtimePolicy({ proofOfPossession: { dpop: 'Disabled' } });

describe('DPoP challenges (RFC 9449 §7.1)', () => {
  it('offers Bearer first, then DPoP with the issuer\'s algorithms, for a missing token (dpop Allowed)', () => {
    const header = challengeFor('missing_token', allowed, ['mcp:tools']);
    assert.equal(header, `Bearer resource_metadata="${M}", scope="mcp:tools", DPoP algs="RS256 ES256"`);
    assert.deepEqual([...challengesOf(header).keys()], ['Bearer', 'DPoP']);
  });

  it('puts a proof error in the DPoP challenge, keeping resource_metadata in the Bearer one', () => {
    const challenges = challengesOf(challengeFor('invalid_dpop_proof', allowed, [], 'dpop'));
    assert.equal(challenges.get('DPoP')?.get('error'), 'invalid_dpop_proof');
    assert.equal(challenges.get('DPoP')?.get('algs'), 'RS256 ES256');
    assert.equal(challenges.get('Bearer')?.get('error'), undefined);
    assert.equal(challenges.get('Bearer')?.get('resource_metadata'), M);
  });

  it('answers a replay as invalid_dpop_proof and a missing nonce as use_dpop_nonce, in the DPoP challenge', () => {
    assert.equal(challengesOf(challengeFor('dpop_replayed', allowed, [], 'dpop')).get('DPoP')?.get('error'), 'invalid_dpop_proof');
    assert.equal(challengesOf(challengeFor('dpop_nonce_required', allowed, [], 'dpop')).get('DPoP')?.get('error'), 'use_dpop_nonce');
  });

  it('puts a token error in the challenge of the scheme the client used', () => {
    assert.equal(challengesOf(challengeFor('expired', allowed, [], 'dpop')).get('DPoP')?.get('error'), 'invalid_token');
    assert.equal(challengesOf(challengeFor('expired', allowed, [], 'dpop')).get('Bearer')?.get('error'), undefined);
    assert.equal(challengesOf(challengeFor('token_binding_mismatch', allowed, [], 'bearer')).get('Bearer')?.get('error'), 'invalid_token');
    assert.equal(challengesOf(challengeFor('token_binding_mismatch', allowed, [], 'bearer')).get('DPoP')?.get('error'), undefined);
  });

  it('under dpop Required sends only the DPoP challenge, with resource_metadata and the error', () => {
    const missing = challengesOf(challengeFor('missing_token', required, []));
    assert.deepEqual([...missing.keys()], ['DPoP']);
    assert.equal(missing.get('DPoP')?.get('resource_metadata'), M);
    assert.equal(missing.get('DPoP')?.get('algs'), 'ES256');
    const refused = challengesOf(challengeFor('dpop_required', required, [], 'bearer'));
    assert.deepEqual([...refused.keys()], ['DPoP']);
    assert.equal(refused.get('DPoP')?.get('error'), 'invalid_token');
  });

  it('under dpop Disabled keeps the Bearer challenge exactly as without DPoP', () => {
    assert.equal(challengeFor('missing_token', disabled, []), `Bearer resource_metadata="${M}"`);
    assert.match(challengeFor('expired', disabled, []) ?? '', /^Bearer error="invalid_token", error_description="[^"]+", resource_metadata="[^"]+"$/);
  });

  it('has no challenge without a policy, or for a reason that carries none', () => {
    assert.equal(challengeFor('missing_token', undefined, []), undefined);
    assert.equal(challengeFor('dpop_unavailable', allowed, [], 'dpop'), undefined);
  });
});
