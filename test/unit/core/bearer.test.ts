// Credential extraction (docs/contract.md §2.1 step 2; RFC 6750 §2.1,
// RFC 9110 §11.4):
//   credentials = "Bearer" 1*SP token68, scheme case-insensitive;
//   another scheme or no header is "no credentials"; bad syntax or a repeated
//   header (Envoy joins repeats with ",") is a malformed request.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { extractBearer } from '../../../src/core/bearer.ts';

// token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="  (RFC 9110 §11.2)
const TOKEN68_CHARACTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/';
function isToken68(value: string): boolean {
  let index = 0;
  while (index < value.length && TOKEN68_CHARACTERS.includes(value.charAt(index))) index += 1;
  if (index === 0) return false;
  while (index < value.length && value.charAt(index) === '=') index += 1;
  return index === value.length;
}

const token68Arb = fc.tuple(
  fc.string({ unit: fc.constantFrom(...Array.from(TOKEN68_CHARACTERS)), minLength: 1, maxLength: 60 }),
  fc.integer({ min: 0, max: 2 }),
).map(([body, padding]) => body + '='.repeat(padding));

const bearerSpellingArb = fc.array(fc.boolean(), { minLength: 6, maxLength: 6 })
  .map((flags) => Array.from('bearer').map((character, index) => (flags[index] === true ? character.toUpperCase() : character)).join(''));

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl';

describe('Bearer credential extraction (RFC 6750 §2.1)', () => {
  describe('a well-formed Bearer credential', () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
      it(`accepts the scheme spelled ${scheme} (scheme names are case-insensitive)`, () => {
        assert.deepEqual(extractBearer(`${scheme} abc`), { kind: 'token', token: 'abc', scheme: 'bearer' });
      });
    }

    it('accepts a compact JWT as the token', () => {
      assert.deepEqual(extractBearer(`Bearer ${JWT}`), { kind: 'token', token: JWT, scheme: 'bearer' });
    });

    it('accepts more than one space between scheme and token (1*SP)', () => {
      assert.deepEqual(extractBearer('Bearer    abc'), { kind: 'token', token: 'abc', scheme: 'bearer' });
    });

    it('accepts token68 with trailing "=" padding', () => {
      assert.deepEqual(extractBearer('Bearer abc='), { kind: 'token', token: 'abc=', scheme: 'bearer' });
      assert.deepEqual(extractBearer('Bearer abc=='), { kind: 'token', token: 'abc==', scheme: 'bearer' });
    });

    it('accepts every token68 character', () => {
      assert.deepEqual(extractBearer(`Bearer ${TOKEN68_CHARACTERS}`), { kind: 'token', token: TOKEN68_CHARACTERS, scheme: 'bearer' });
    });
  });

  describe('a DPoP credential (RFC 9449 §7.1)', () => {
    for (const scheme of ['DPoP', 'dpop', 'DPOP']) {
      it(`accepts the scheme spelled ${scheme}, and says so`, () => {
        assert.deepEqual(extractBearer(`${scheme} ${JWT}`), { kind: 'token', token: JWT, scheme: 'dpop' });
      });
    }

    it('refuses DPoP with nothing after it, like Bearer', () => {
      assert.deepEqual(extractBearer('DPoP'), { kind: 'malformed' });
      assert.deepEqual(extractBearer('DPoP a b'), { kind: 'malformed' });
    });
  });

  describe('no credentials: a challenge without error', () => {
    it('treats an absent header as missing', () => {
      assert.deepEqual(extractBearer(undefined), { kind: 'missing' });
    });

    it('treats an empty header as missing', () => {
      assert.deepEqual(extractBearer(''), { kind: 'missing' });
    });

    for (const value of ['Basic xyz', 'Basic dXNlcjpwYXNz', 'Negotiate abc', 'Token abc', 'Bearerx abc', 'Bear abc']) {
      it(`treats another scheme (${value}) as missing, not as an error`, () => {
        assert.deepEqual(extractBearer(value), { kind: 'missing' });
      });
    }
  });

  describe('malformed: invalid_request', () => {
    const malformed: readonly (readonly [string, string])[] = [
      ['Bearer', 'the scheme alone'],
      ['Bearer ', 'the scheme and a space'],
      ['Bearer    ', 'the scheme and only spaces'],
      ['Bearer\tabc', 'a tab instead of a space'],
      ['Bearer\t abc', 'a tab before the spaces'],
      ['Bearer a b', 'two tokens'],
      ['Bearer abc ', 'a trailing space'],
      ['Bearer abc\t', 'a trailing tab'],
      ['Bearer a=b', 'an "=" in the middle'],
      ['Bearer =abc', 'only "=" before the token characters'],
      ['Bearer ===', 'only padding'],
      ['Bearer abc, Bearer def', 'two Bearer headers joined by Envoy'],
      ['Bearer abc,Bearer def', 'two headers joined without a space'],
      ['Basic xyz, Bearer abc', 'two methods joined by Envoy'],
      ['Bearer abc, Basic xyz', 'a Bearer header and another method joined by Envoy'],
      ['Bearer abc,', 'a trailing comma'],
      ['Bearer ab\u00e7', 'a non-ASCII token character'],
      ['Bearer \u00e7', 'a lone non-ASCII character'],
      ['Bearer\u00a0abc', 'a no-break space as separator'],
      ['Bearer "abc"', 'a quoted token'],
      ['Bearer abc;def', 'a semicolon'],
      ['Bearer a%2Fb', 'a percent sign'],
      ['Be@rer abc', 'a scheme that is not a token'],
    ];
    for (const [value, what] of malformed) {
      it(`rejects ${what} as malformed: ${JSON.stringify(value)}`, () => {
        assert.deepEqual(extractBearer(value), { kind: 'malformed' });
      });
    }
  });

  describe('properties', () => {
    it('never throws, for any header value', () => {
      fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (value) => {
        const result = extractBearer(value);
        assert.ok(['token', 'missing', 'malformed'].includes(result.kind));
      }), { numRuns: 2000 });
    });

    it('never throws for Bearer followed by anything', () => {
      fc.assert(fc.property(bearerSpellingArb, fc.string({ unit: 'binary', maxLength: 40 }), (scheme, rest) => {
        const result = extractBearer(`${scheme}${rest}`);
        assert.ok(['token', 'missing', 'malformed'].includes(result.kind));
      }), { numRuns: 1000 });
    });

    it('never returns a token for a credential whose scheme is not Bearer', () => {
      const schemeArb = fc.string({ unit: fc.constantFrom(...Array.from('!#$%&\'*+-.^_`|~abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')), minLength: 1, maxLength: 10 })
        .filter((scheme) => scheme.toLowerCase() !== 'bearer');
      fc.assert(fc.property(schemeArb, fc.string({ unit: 'binary', maxLength: 40 }), (scheme, rest) => {
        assert.notEqual(extractBearer(`${scheme} ${rest}`).kind, 'token');
      }), { numRuns: 2000 });
    });

    it('returns a token only from "bearer" 1*SP token68, and exactly that token68', () => {
      fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 60 }), fc.string({ unit: fc.constantFrom('B', 'e', 'a', 'r', ' ', 'x', '=', ',', '\t', 'A'), maxLength: 20 }), (random, shaped) => {
        for (const value of [random, shaped, `Bearer ${shaped}`, `bearer  ${random}`]) {
          const result = extractBearer(value);
          if (result.kind !== 'token') continue;
          assert.ok(isToken68(result.token), `not token68: ${JSON.stringify(result.token)}`);
          const scheme = value.slice(0, 6);
          assert.equal(scheme.toLowerCase(), 'bearer');
          const separator = value.slice(6, value.length - result.token.length);
          assert.ok(separator.length >= 1 && /^ +$/.test(separator));
        }
      }), { numRuns: 2000 });
    });

    it('extracts any token68 after any spelling of Bearer and one or more spaces', () => {
      fc.assert(fc.property(bearerSpellingArb, fc.integer({ min: 1, max: 5 }), token68Arb, (scheme, spaces, token) => {
        assert.deepEqual(extractBearer(`${scheme}${' '.repeat(spaces)}${token}`), { kind: 'token', token, scheme: 'bearer' });
      }), { numRuns: 1000 });
    });

    it('treats two Bearer credentials joined by a comma as malformed, whatever the tokens', () => {
      fc.assert(fc.property(token68Arb, token68Arb, fc.constantFrom(',', ', ', ' , '), (first, second, joiner) => {
        assert.deepEqual(extractBearer(`Bearer ${first}${joiner}Bearer ${second}`), { kind: 'malformed' });
      }), { numRuns: 500 });
    });
  });
});
