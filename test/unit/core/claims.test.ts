// Claim rules for a verified token (docs/contract.md §2.1 step 7, §2.3;
// RFC 7519 §4.1, RFC 9068 §2.2 and §4 step 6, RFC 9449/8705 for `cnf`).
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { checkClaims } from '../../../src/core/claims.ts';

const NOW = 1_700_000_000;
const SKEW = 60;

function rfc9068Claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: 'https://idp.example.com',
    aud: 'https://mcp.example.com/mcp',
    sub: 'user-1',
    client_id: 'client-1',
    jti: 'token-1',
    iat: NOW - 10,
    exp: NOW + 300,
    ...overrides,
  };
}

function without(claims: Record<string, unknown>, name: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(claims).filter(([key]) => key !== name));
}

describe('claim rules (RFC 7519 §4.1, RFC 9068 §2.2)', () => {
  it('accepts a complete RFC 9068 token within its lifetime', () => {
    assert.equal(checkClaims(rfc9068Claims(), 'rfc9068', NOW, SKEW), 'ok');
  });

  describe('exp', () => {
    it('requires exp under both profiles', () => {
      assert.equal(checkClaims(without(rfc9068Claims(), 'exp'), 'rfc9068', NOW, SKEW), 'missing_claim');
      assert.equal(checkClaims(without(rfc9068Claims(), 'exp'), 'jwt', NOW, SKEW), 'missing_claim');
    });

    for (const [what, exp] of [['a string', String(NOW + 300)], ['null', null], ['an object', {}], ['an array', [NOW + 300]], ['a boolean', true]] as const) {
      it(`rejects an exp that is ${what} (exp must be a NumericDate)`, () => {
        assert.equal(checkClaims(rfc9068Claims({ exp }), 'rfc9068', NOW, SKEW), 'missing_claim');
      });
    }

    it('rejects a token expired 10 minutes ago', () => {
      assert.equal(checkClaims(rfc9068Claims({ exp: NOW - 600 }), 'rfc9068', NOW, SKEW), 'expired');
    });

    it('accepts a token expired 30 s ago with a skew of 60 s', () => {
      assert.equal(checkClaims(rfc9068Claims({ exp: NOW - 30 }), 'rfc9068', NOW, SKEW), 'ok');
    });

    it('rejects a token at exactly exp when there is no skew (now must be before exp)', () => {
      assert.equal(checkClaims(rfc9068Claims({ exp: NOW }), 'rfc9068', NOW, 0), 'expired');
    });

    it('accepts a token one second before exp when there is no skew', () => {
      assert.equal(checkClaims(rfc9068Claims({ exp: NOW + 1 }), 'rfc9068', NOW, 0), 'ok');
    });

    it('rejects a token at exactly exp + skew, accepts one second earlier', () => {
      assert.equal(checkClaims(rfc9068Claims({ exp: NOW - SKEW }), 'rfc9068', NOW, SKEW), 'expired');
      assert.equal(checkClaims(rfc9068Claims({ exp: NOW - SKEW + 1 }), 'rfc9068', NOW, SKEW), 'ok');
    });

    it('accepts fractional NumericDates', () => {
      assert.equal(checkClaims(rfc9068Claims({ exp: NOW + 0.5 }), 'rfc9068', NOW, 0), 'ok');
      assert.equal(checkClaims(rfc9068Claims({ exp: NOW - 0.5 }), 'rfc9068', NOW, 0), 'expired');
    });
  });

  describe('nbf and iat', () => {
    it('rejects a token whose nbf is 10 minutes ahead', () => {
      assert.equal(checkClaims(rfc9068Claims({ nbf: NOW + 600 }), 'rfc9068', NOW, SKEW), 'not_yet_valid');
    });

    it('accepts nbf in the future within the skew, and exactly at now + skew', () => {
      assert.equal(checkClaims(rfc9068Claims({ nbf: NOW + 30 }), 'rfc9068', NOW, SKEW), 'ok');
      assert.equal(checkClaims(rfc9068Claims({ nbf: NOW + SKEW }), 'rfc9068', NOW, SKEW), 'ok');
    });

    it('rejects nbf one second beyond the skew', () => {
      assert.equal(checkClaims(rfc9068Claims({ nbf: NOW + SKEW + 1 }), 'rfc9068', NOW, SKEW), 'not_yet_valid');
    });

    it('rejects nbf in the future when there is no skew', () => {
      assert.equal(checkClaims(rfc9068Claims({ nbf: NOW + 1 }), 'rfc9068', NOW, 0), 'not_yet_valid');
      assert.equal(checkClaims(rfc9068Claims({ nbf: NOW }), 'rfc9068', NOW, 0), 'ok');
    });

    it('rejects a token issued in the future beyond the skew', () => {
      assert.equal(checkClaims(rfc9068Claims({ iat: NOW + SKEW + 1 }), 'rfc9068', NOW, SKEW), 'not_yet_valid');
      assert.equal(checkClaims(rfc9068Claims({ iat: NOW + SKEW }), 'rfc9068', NOW, SKEW), 'ok');
    });

    it('rejects a non-numeric nbf or iat', () => {
      assert.equal(checkClaims(rfc9068Claims({ nbf: 'yesterday' }), 'rfc9068', NOW, SKEW), 'missing_claim');
      assert.equal(checkClaims(rfc9068Claims({ iat: String(NOW) }), 'rfc9068', NOW, SKEW), 'missing_claim');
      assert.equal(checkClaims({ ...rfc9068Claims(), iat: String(NOW) }, 'jwt', NOW, SKEW), 'missing_claim');
    });
  });

  describe('string claims', () => {
    for (const claim of ['iss', 'sub', 'client_id', 'jti']) {
      for (const [what, value] of [['a number', 7], ['an object', { v: 'x' }], ['an array', ['x']], ['a boolean', false]] as const) {
        it(`rejects ${claim} that is ${what}`, () => {
          assert.equal(checkClaims(rfc9068Claims({ [claim]: value }), 'rfc9068', NOW, SKEW), 'missing_claim');
        });
      }
    }

    it('rejects a wrongly typed optional claim under the jwt profile too', () => {
      assert.equal(checkClaims(rfc9068Claims({ client_id: 42 }), 'jwt', NOW, SKEW), 'missing_claim');
      assert.equal(checkClaims(rfc9068Claims({ jti: 42 }), 'jwt', NOW, SKEW), 'missing_claim');
    });
  });

  describe('profile rfc9068: iss exp aud sub client_id iat jti are required', () => {
    for (const claim of ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti']) {
      it(`rejects a token without ${claim} as missing_claim`, () => {
        assert.equal(checkClaims(without(rfc9068Claims(), claim), 'rfc9068', NOW, SKEW), 'missing_claim');
      });

      it(`treats a null ${claim} as missing`, () => {
        assert.equal(checkClaims(rfc9068Claims({ [claim]: null }), 'rfc9068', NOW, SKEW), 'missing_claim');
      });
    }
  });

  describe('profile jwt', () => {
    it('tolerates a token without client_id and jti', () => {
      assert.equal(checkClaims(without(without(rfc9068Claims(), 'client_id'), 'jti'), 'jwt', NOW, SKEW), 'ok');
    });

    it('tolerates a token without sub and iat', () => {
      assert.equal(checkClaims(without(without(rfc9068Claims(), 'sub'), 'iat'), 'jwt', NOW, SKEW), 'ok');
    });

    for (const claim of ['iss', 'exp', 'aud']) {
      it(`still requires ${claim}`, () => {
        assert.equal(checkClaims(without(rfc9068Claims(), claim), 'jwt', NOW, SKEW), 'missing_claim');
      });
    }

    it('rejects a token carrying nonce as an ID token', () => {
      assert.equal(checkClaims(rfc9068Claims({ nonce: 'n-0S6_WzA2Mj' }), 'jwt', NOW, SKEW), 'id_token_presented');
    });

    it('rejects a token carrying at_hash as an ID token', () => {
      assert.equal(checkClaims(rfc9068Claims({ at_hash: 'MTIzNDU2Nzg5MDEyMzQ1Ng' }), 'jwt', NOW, SKEW), 'id_token_presented');
    });

    it('rejects an ID-token-shaped token even when nonce is empty', () => {
      assert.equal(checkClaims(rfc9068Claims({ nonce: '' }), 'jwt', NOW, SKEW), 'id_token_presented');
    });

    it('still enforces expiry', () => {
      assert.equal(checkClaims(rfc9068Claims({ exp: NOW - 600 }), 'jwt', NOW, SKEW), 'expired');
    });
  });

  describe('sender-constrained tokens (cnf)', () => {
    it('leaves cnf to the binding step: the claims of a DPoP- or certificate-bound token pass', () => {
      assert.equal(checkClaims(rfc9068Claims({ cnf: { jkt: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I' } }), 'rfc9068', NOW, SKEW), 'ok');
      assert.equal(checkClaims(rfc9068Claims({ cnf: { 'x5t#S256': 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2' } }), 'jwt', NOW, SKEW), 'ok');
    });
  });

  describe('properties', () => {
    it('accepts exactly when now < exp + skew, for any exp, skew and clock', () => {
      fc.assert(fc.property(fc.integer({ min: -100_000, max: 100_000 }), fc.integer({ min: 0, max: 300 }), (offset, skew) => {
        const verdict = checkClaims(rfc9068Claims({ exp: NOW + offset, iat: NOW - 100_000 }), 'rfc9068', NOW, skew);
        assert.equal(verdict, NOW < NOW + offset + skew ? 'ok' : 'expired');
      }), { numRuns: 1000 });
    });

    it('accepts exactly when nbf <= now + skew, for any nbf and skew', () => {
      fc.assert(fc.property(fc.integer({ min: -100_000, max: 100_000 }), fc.integer({ min: 0, max: 300 }), (offset, skew) => {
        const verdict = checkClaims(rfc9068Claims({ nbf: NOW + offset }), 'rfc9068', NOW, skew);
        assert.equal(verdict, NOW + offset <= NOW + skew ? 'ok' : 'not_yet_valid');
      }), { numRuns: 1000 });
    });

    it('never returns ok for a payload missing a required claim', () => {
      const required = ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'];
      fc.assert(fc.property(fc.subarray(required, { minLength: 1 }), (missing) => {
        let claims = rfc9068Claims();
        for (const claim of missing) claims = without(claims, claim);
        assert.equal(checkClaims(claims, 'rfc9068', NOW, SKEW), 'missing_claim');
      }));
    });
  });
});
