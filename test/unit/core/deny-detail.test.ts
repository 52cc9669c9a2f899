// The closed-set deny detail (the deny log's `missing_claim`, `typ` and
// `granted_scopes`): which claim a `missing_claim` deny is about, by the very
// rule checkClaims applies; the `typ` category, never its value; and the granted
// scopes, bounded so that a token cannot make a log line grow without limit.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { checkClaims, claimAtFault } from '../../../src/core/claims.ts';
import { typCategory } from '../../../src/core/jws-header.ts';
import { grantedScopeList, grantedScopes, malformedScopeClaim } from '../../../src/core/scopes.ts';

const NOW = 1_700_000_000;
const FULL = { iss: 'https://idp.example.com', aud: 'https://mcp.example.com/mcp', sub: 'user-1', client_id: 'client-1', jti: 'token-1', iat: NOW - 10, exp: NOW + 300 };

describe('deny detail', () => {
  describe('claimAtFault', () => {
    it('names the first required claim that is absent or null, from the profile\'s list', () => {
      assert.equal(claimAtFault(FULL, 'rfc9068'), undefined);
      assert.equal(claimAtFault({ ...FULL, sub: undefined }, 'rfc9068'), 'sub');
      assert.equal(claimAtFault({ ...FULL, jti: null }, 'rfc9068'), 'jti');
      assert.equal(claimAtFault({ ...FULL, sub: undefined, jti: undefined }, 'jwt'), undefined, 'profile jwt does not require sub or jti');
      assert.equal(claimAtFault({ ...FULL, client_id: 5 }, 'jwt'), 'client_id', 'a string claim of another type');
      assert.equal(claimAtFault({ ...FULL, nbf: '0' }, 'rfc9068'), 'nbf', 'a date that is not a number');
    });

    it('is set exactly when checkClaims answers missing_claim', () => {
      const value = fc.oneof(fc.constant(undefined), fc.constant(null), fc.string(), fc.integer(), fc.boolean());
      fc.assert(fc.property(fc.record({ sub: value, jti: value, exp: fc.oneof(value, fc.constant(NOW + 300)), nbf: value }), fc.constantFrom('rfc9068' as const, 'jwt' as const), (changes, profile) => {
        const payload = { ...FULL, ...changes };
        assert.equal(claimAtFault(payload, profile) !== undefined, checkClaims(payload, profile, NOW, 60) === 'missing_claim');
      }));
    });
  });

  it('typCategory: at+jwt and JWT as media types, absent, anything else is other', () => {
    for (const typ of ['at+jwt', 'AT+JWT', 'application/at+jwt']) assert.equal(typCategory(typ), 'at+jwt');
    for (const typ of ['JWT', 'jwt', 'application/jwt']) assert.equal(typCategory(typ), 'JWT');
    assert.equal(typCategory(undefined), 'absent');
    for (const typ of ['secevent+jwt', '', 7, null, ['at+jwt']]) assert.equal(typCategory(typ), 'other');
  });

  it('malformedScopeClaim names the scope claim whose type is wrong, exactly when grantedScopes refuses', () => {
    assert.equal(malformedScopeClaim({ scope: 'a b' }), undefined);
    assert.equal(malformedScopeClaim({ scope: ['a'] }), 'scope');
    assert.equal(malformedScopeClaim({ scp: [1] }), 'scp');
    fc.assert(fc.property(fc.record({ scope: fc.anything(), scp: fc.anything() }, { requiredKeys: [] }), (payload) => {
      assert.equal(malformedScopeClaim(payload) === undefined, grantedScopes(payload) !== undefined);
    }));
  });

  it('attack: a token granting huge scopes must not make the deny line unbounded', () => {
    const listed = grantedScopeList(new Set(Array.from({ length: 10_000 }, (_, index) => `${'s'.repeat(5_000)}${String(index)}`)));
    assert.equal(listed.length, 64);
    assert.ok(listed.every((scope) => scope.length <= 257));
    assert.deepEqual(grantedScopeList(new Set(['b', 'a'])), ['a', 'b']);
  });
});
