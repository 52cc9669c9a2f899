/**
 * The suite-wide leak scan (test/support/root-hooks.ts) must be able to fail:
 * prove that its matcher finds a whole token and each segment of one, and
 * ignores output that only carries the token's SHA-256 prefix.
 */
import { strict as assert } from 'node:assert';
import { tokenSHA256 } from '../../src/core/token-hash.ts';
import { leaksIn } from '../support/secret-ledger.ts';

describe('token leak scan', function () {
  const token = 'eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJ1c2VyLTEiLCJhdWQiOiJodHRwczovL21jcC5leGFtcGxlLmNvbS9tY3AifQ.c2lnbmF0dXJlLWJ5dGVzLWZvci10ZXN0';

  it('finds a whole token in output', function () {
    assert.equal(leaksIn([token], `{"msg":"x","authorization":"Bearer ${token}"}`).leaks.length > 0, true);
  });

  it('finds a lone payload or signature segment in output', function () {
    for (const segment of token.split('.')) {
      assert.equal(leaksIn([token], `{"msg":"x","claims":"${segment}"}`).leaks.length, 1, segment.slice(0, 10));
    }
  });

  it('does not flag the token_sha256 correlation id', function () {
    assert.deepEqual(leaksIn([token], `{"token_sha256":"${tokenSHA256(token)}"}`).leaks, []);
  });

  describe('an opaque token (introspection)', function () {
    const opaque = 'Vd2Nq7hKxQmWf3J0pLr8sTzYbC4eGuA1iO6nX9kHwE5';

    it('finds it whole in output', function () {
      assert.equal(leaksIn([opaque], `{"msg":"x","token":"${opaque}"}`).leaks.length, 1);
    });

    it('does not flag its token_sha256 correlation id', function () {
      assert.deepEqual(leaksIn([opaque], `{"token_sha256":"${tokenSHA256(opaque)}"}`).leaks, []);
    });
  });
});
