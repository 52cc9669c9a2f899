// Protected-header rules (docs/contract.md §2.1 step 4, §2.3; RFC 9068 §2.1 and
// §4 step 1, RFC 8725 §3.1, §3.11): `typ` per the issuer's profile, `alg` in the
// issuer's allow-list (never none or HMAC), `kid` a string when present.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { checkHeader } from '../../../src/core/jws-header.ts';
import type { TokenProfile } from '../../../src/core/token-profile.ts';
import type { RuntimeIssuer } from '../../../src/core/runtime-policy.ts';

function issuer(profile: TokenProfile, algorithms: readonly string[] = ['RS256', 'ES256']): RuntimeIssuer {
  return { issuer: 'https://idp.example.com', jwksUri: undefined, algorithms, profile, keySetId: 'test' };
}

const RFC9068 = issuer('rfc9068');
const JWT = issuer('jwt');
/** A token whose issuer the policy does not trust is checked against all of the policy's issuers. */
const POLICY_ISSUERS = [RFC9068, JWT];

describe('protected header (RFC 9068 §4 step 1, RFC 8725)', () => {
  describe('typ under profile rfc9068', () => {
    for (const typ of ['at+jwt', 'application/at+jwt', 'AT+JWT', 'At+Jwt', 'APPLICATION/AT+JWT', 'Application/at+jwt']) {
      it(`accepts typ ${typ} (media type, case-insensitive, application/ optional)`, () => {
        assert.equal(checkHeader({ alg: 'RS256', typ }, [RFC9068]), 'ok');
      });
    }

    const rejected: readonly (readonly [string, unknown])[] = [
      ['JWT', 'JWT'],
      ['jwt', 'jwt'],
      ['application/jwt', 'application/jwt'],
      ['absent', undefined],
      ['empty', ''],
      ['at+jwt with a parameter', 'at+jwt; charset=utf-8'],
      ['at+jwt with white space', ' at+jwt'],
      ['at+JWS', 'at+jws'],
      ['application/at+jwt+x', 'application/at+jwt+x'],
      ['application/application/at+jwt', 'application/application/at+jwt'],
      ['a number', 1],
      ['an array', ['at+jwt']],
      ['null', null],
      ['JOSE', 'JOSE'],
      ['dpop+jwt', 'dpop+jwt'],
      ['logout+jwt', 'logout+jwt'],
    ];
    for (const [what, typ] of rejected) {
      it(`rejects typ ${what} as unsupported_token_type`, () => {
        assert.equal(checkHeader({ alg: 'RS256', typ }, [RFC9068]), 'unsupported_token_type');
      });
    }
  });

  describe('typ under profile jwt', () => {
    for (const [what, typ] of [['absent', undefined], ['JWT', 'JWT'], ['jwt', 'jwt'], ['application/jwt', 'application/jwt'], ['APPLICATION/JWT', 'APPLICATION/JWT'],
      ['at+jwt', 'at+jwt'], ['application/at+jwt', 'application/at+jwt'], ['AT+JWT', 'AT+JWT'], ['Application/At+Jwt', 'Application/At+Jwt']] as const) {
      it(`accepts typ ${what}`, () => {
        assert.equal(checkHeader({ alg: 'RS256', ...(typ === undefined ? {} : { typ }) }, [JWT]), 'ok');
      });
    }

    for (const [what, typ] of [['dpop+jwt', 'dpop+jwt'], ['empty', ''], ['a number', 1], ['null', null], ['JOSE', 'JOSE'], ['JWT with a parameter', 'JWT; x=y'],
      ['at+jwt with a parameter', 'at+jwt; x=y'], ['application/application/at+jwt', 'application/application/at+jwt'], ['at+jwt with white space', 'at+jwt '], ['x/at+jwt', 'x/at+jwt']] as const) {
      it(`rejects typ ${what} as unsupported_token_type`, () => {
        assert.equal(checkHeader({ alg: 'RS256', typ }, [JWT]), 'unsupported_token_type');
      });
    }
  });

  describe('alg', () => {
    for (const alg of ['none', 'None', 'NONE', 'HS256', 'HS384', 'HS512', 'dir', 'RSA-OAEP', 'rs256', '']) {
      it(`rejects alg ${JSON.stringify(alg)} before the issuer is known`, () => {
        assert.equal(checkHeader({ alg, typ: 'at+jwt' }, POLICY_ISSUERS), 'disallowed_algorithm');
      });

      it(`rejects alg ${JSON.stringify(alg)} for a known issuer`, () => {
        assert.equal(checkHeader({ alg, typ: 'at+jwt' }, [issuer('rfc9068', ['RS256'])]), 'disallowed_algorithm');
      });
    }

    it('accepts, before the issuer is known, an alg that some issuer of the policy allows', () => {
      const issuers = [issuer('rfc9068', ['RS256', 'PS256']), issuer('rfc9068', ['ES256', 'ES384', 'EdDSA'])];
      for (const alg of ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA']) assert.equal(checkHeader({ alg, typ: 'at+jwt' }, issuers), 'ok');
      assert.equal(checkHeader({ alg: 'PS512', typ: 'at+jwt' }, issuers), 'disallowed_algorithm');
    });

    it('rejects an alg that is not in the issuer\'s list', () => {
      assert.equal(checkHeader({ alg: 'PS256', typ: 'at+jwt' }, [issuer('rfc9068', ['RS256'])]), 'disallowed_algorithm');
      assert.equal(checkHeader({ alg: 'ES384', typ: 'at+jwt' }, [issuer('rfc9068', ['RS256', 'ES256'])]), 'disallowed_algorithm');
    });

    it('accepts an alg that is in the issuer\'s list', () => {
      assert.equal(checkHeader({ alg: 'ES256', typ: 'at+jwt' }, [issuer('rfc9068', ['RS256', 'ES256'])]), 'ok');
    });

    it('compares alg case-sensitively', () => {
      assert.equal(checkHeader({ alg: 'Rs256', typ: 'at+jwt' }, [issuer('rfc9068', ['RS256'])]), 'disallowed_algorithm');
    });

    for (const [what, alg] of [['absent', undefined], ['a number', 256], ['null', null], ['an array', ['RS256']]] as const) {
      it(`rejects an alg that is ${what} as malformed`, () => {
        assert.equal(checkHeader({ typ: 'at+jwt', ...(alg === undefined ? {} : { alg }) }, [RFC9068]), 'malformed_token');
      });
    }
  });

  describe('kid', () => {
    it('accepts a string kid and an absent kid', () => {
      assert.equal(checkHeader({ alg: 'RS256', typ: 'at+jwt', kid: 'k1' }, [RFC9068]), 'ok');
      assert.equal(checkHeader({ alg: 'RS256', typ: 'at+jwt' }, [RFC9068]), 'ok');
    });

    for (const [what, kid] of [['a number', 1], ['null', null], ['an object', { id: 'k1' }], ['an array', ['k1']], ['a boolean', true]] as const) {
      it(`rejects a kid that is ${what} as malformed`, () => {
        assert.equal(checkHeader({ alg: 'RS256', typ: 'at+jwt', kid }, [RFC9068]), 'malformed_token');
        assert.equal(checkHeader({ alg: 'RS256', typ: 'at+jwt', kid }, POLICY_ISSUERS), 'malformed_token');
      });
    }
  });

  describe('order within the header', () => {
    it('reports typ before alg', () => {
      assert.equal(checkHeader({ alg: 'none', typ: 'JWT' }, [RFC9068]), 'unsupported_token_type');
    });

    it('reports a malformed alg before typ', () => {
      assert.equal(checkHeader({ alg: 5, typ: 'JWT' }, [RFC9068]), 'malformed_token');
    });
  });

  describe('keys are never taken from the token', () => {
    it('ignores jku, x5u, jwk and x5c: they neither allow nor fail the header', () => {
      const header = { alg: 'RS256', typ: 'at+jwt', jku: 'https://evil.test/jwks', x5u: 'https://evil.test/cert', jwk: { kty: 'oct', k: 'AA' }, x5c: ['MIIB'] };
      assert.equal(checkHeader(header, [RFC9068]), 'ok');
      assert.equal(checkHeader({ ...header, alg: 'HS256' }, [RFC9068]), 'disallowed_algorithm');
    });
  });

  describe('properties', () => {
    it('never accepts an alg outside the issuer\'s list', () => {
      const algArb = fc.oneof(fc.constantFrom('RS256', 'RS384', 'PS256', 'ES256', 'ES384', 'EdDSA', 'HS256', 'none'), fc.string({ maxLength: 8 }));
      fc.assert(fc.property(fc.subarray(['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA']), algArb, fc.constantFrom<TokenProfile>('rfc9068', 'jwt'), (algorithms, alg, profile) => {
        const verdict = checkHeader({ alg, typ: profile === 'rfc9068' ? 'at+jwt' : 'JWT' }, [issuer(profile, algorithms)]);
        assert.equal(verdict === 'ok', algorithms.includes(alg));
      }), { numRuns: 1000 });
    });

    it('never accepts none or an HMAC alg, whatever the issuer', () => {
      fc.assert(fc.property(fc.constantFrom('none', 'HS256', 'HS384', 'HS512'), fc.constantFrom<TokenProfile | undefined>('rfc9068', 'jwt', undefined), (alg, profile) => {
        const verdict = checkHeader({ alg, typ: profile === 'jwt' ? 'JWT' : 'at+jwt' }, profile === undefined ? POLICY_ISSUERS : [issuer(profile, ['RS256'])]);
        assert.notEqual(verdict, 'ok');
      }));
    });

    it('never throws for any header object', () => {
      fc.assert(fc.property(fc.dictionary(fc.constantFrom('alg', 'typ', 'kid', 'crit', 'x'), fc.jsonValue({ maxDepth: 1 })), (header) => {
        assert.ok(['ok', 'malformed_token', 'unsupported_token_type', 'disallowed_algorithm'].includes(checkHeader(header, [RFC9068])));
      }), { numRuns: 1000 });
    });
  });
});
