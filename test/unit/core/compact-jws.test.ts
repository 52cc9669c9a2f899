// Compact JWS structure (docs/contract.md §2.1 step 3; RFC 7515 §7.1,
// RFC 9068 §4 step 2): exactly three base64url segments, a JSON object header and
// payload, no encryption, and a size cap checked before any decoding.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { decodeCompactJWS, isCanonicalBase64url } from '../../../src/core/compact-jws.ts';
import { padBitMask, padBitSpellings, withPadBits, withSegment } from '../../support/base64url-spellings.ts';

const MAX = 16 * 1024;

function segment(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

const HEADER = { alg: 'RS256', typ: 'at+jwt', kid: 'k1' };
const PAYLOAD = { iss: 'https://idp.example.com', sub: 'user-1' };
const SIGNATURE = Buffer.from('not really a signature').toString('base64url');
const GOOD = `${segment(HEADER)}.${segment(PAYLOAD)}.${SIGNATURE}`;

describe('compact JWS decoding (RFC 7515 §7.1)', () => {
  it('decodes a three-segment token into its header and payload', () => {
    assert.deepEqual(decodeCompactJWS(GOOD, MAX), { kind: 'decoded', jws: { header: HEADER, payload: PAYLOAD } });
  });

  describe('segment count', () => {
    const cases: readonly (readonly [number, string])[] = [
      [1, segment(HEADER)],
      [2, `${segment(HEADER)}.${segment(PAYLOAD)}`],
      [4, `${GOOD}.${SIGNATURE}`],
      [5, `${segment({ alg: 'RSA-OAEP', enc: 'A256GCM' })}.${SIGNATURE}.${SIGNATURE}.${SIGNATURE}.${SIGNATURE}`],
    ];
    for (const [count, token] of cases) {
      it(`rejects a token with ${count} segment${count === 1 ? '' : 's'} as malformed`, () => {
        assert.equal(token.split('.').length, count);
        assert.deepEqual(decodeCompactJWS(token, MAX), { kind: 'malformed' });
      });
    }

    it('rejects the two-segment token aaa.bbb as malformed', () => {
      assert.deepEqual(decodeCompactJWS('aaa.bbb', MAX), { kind: 'malformed' });
    });

    it('decodes an unsecured JWS (empty signature) so that the header step can refuse its alg', () => {
      const unsecured = decodeCompactJWS(`${segment({ alg: 'none' })}.${segment(PAYLOAD)}.`, MAX);
      assert.deepEqual(unsecured, { kind: 'decoded', jws: { header: { alg: 'none' }, payload: PAYLOAD } });
    });

    it('rejects an empty header or payload segment', () => {
      assert.deepEqual(decodeCompactJWS(`.${segment(PAYLOAD)}.${SIGNATURE}`, MAX), { kind: 'malformed' });
      assert.deepEqual(decodeCompactJWS(`${segment(HEADER)}..${SIGNATURE}`, MAX), { kind: 'malformed' });
    });
  });

  describe('base64url', () => {
    for (const [what, character] of [['+', '+'], ['/', '/'], ['= padding', '='], ['~', '~'], ['a space', ' ']] as const) {
      it(`rejects a header segment containing ${what}`, () => {
        assert.deepEqual(decodeCompactJWS(`${segment(HEADER)}${character}.${segment(PAYLOAD)}.${SIGNATURE}`, MAX), { kind: 'malformed' });
      });

      it(`rejects a signature segment containing ${what}`, () => {
        assert.deepEqual(decodeCompactJWS(`${segment(HEADER)}.${segment(PAYLOAD)}.${SIGNATURE}${character}`, MAX), { kind: 'malformed' });
      });
    }

    it('rejects a payload segment in standard base64 with padding', () => {
      const standard = Buffer.from(JSON.stringify({ a: '>>>?' })).toString('base64');
      assert.match(standard, /[+/=]/);
      assert.deepEqual(decodeCompactJWS(`${segment(HEADER)}.${standard}.${SIGNATURE}`, MAX), { kind: 'malformed' });
    });
  });

  describe('canonical base64url (one spelling per token)', () => {
    // Header: 4n+3 characters (2 pad bits); payload: 4n+2 (4 pad bits); signature: 4n+2 (4 pad bits).
    const PADDED = `${segment(HEADER)}.${segment({ ...PAYLOAD, n: 12 })}.${SIGNATURE}`;
    const NAMES = ['header', 'payload', 'signature'] as const;

    it('the fixture has pad bits in every segment', () => {
      assert.deepEqual(PADDED.split('.').map(padBitMask), [0b11, 0b1111, 0b1111]);
      assert.equal(decodeCompactJWS(PADDED, MAX).kind, 'decoded');
    });

    for (const [index, name] of NAMES.entries()) {
      it(`attack: setting the unused pad bits of the ${name} segment (same bytes, another token hash) must be malformed`, () => {
        const original = PADDED.split('.')[index] ?? '';
        const spellings = padBitSpellings(original);
        assert.equal(spellings.length, padBitMask(original));
        for (const spelling of spellings) {
          assert.deepEqual(Buffer.from(spelling, 'base64url'), Buffer.from(original, 'base64url'), 'a lenient decoder reads the same bytes');
          assert.deepEqual(decodeCompactJWS(withSegment(PADDED, index, spelling), MAX), { kind: 'malformed' }, spelling);
        }
      });

      it(`attack: "=" padding on the ${name} segment must be malformed`, () => {
        const original = PADDED.split('.')[index] ?? '';
        assert.deepEqual(decodeCompactJWS(withSegment(PADDED, index, `${original}${'='.repeat(4 - (original.length % 4))}`), MAX), { kind: 'malformed' });
      });
    }

    it('agrees with the round-trip rule: a segment is canonical exactly when re-encoding its bytes gives it back', () => {
      const characters = fc.constantFrom(...'AQgwBEIMhx09-_+/= .'.split(''));
      fc.assert(fc.property(fc.string({ unit: characters, minLength: 1, maxLength: 12 }), (candidate) => {
        assert.equal(isCanonicalBase64url(candidate), Buffer.from(candidate, 'base64url').toString('base64url') === candidate, candidate);
      }), { numRuns: 3000 });
    });

    it('accepts the encoding of any bytes, and refuses it with any pad bits set', () => {
      fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 15 }), (bytes, bits) => {
        const encoded = Buffer.from(bytes).toString('base64url');
        assert.equal(isCanonicalBase64url(encoded), true);
        const mask = padBitMask(encoded);
        if (mask !== 0) assert.equal(isCanonicalBase64url(withPadBits(encoded, 1 + ((bits - 1) % mask))), false);
      }), { numRuns: 1000 });
    });
  });

  describe('JSON objects', () => {
    const notObjects: readonly (readonly [string, string])[] = [
      ['an array', segment([HEADER])],
      ['a string', segment('RS256')],
      ['a number', segment(42)],
      ['null', segment(null)],
      ['true', segment(true)],
      ['not JSON', Buffer.from('{alg:RS256}').toString('base64url')],
      ['truncated JSON', Buffer.from('{"alg":"RS256"').toString('base64url')],
    ];
    for (const [what, encoded] of notObjects) {
      it(`rejects a header that is ${what}`, () => {
        assert.deepEqual(decodeCompactJWS(`${encoded}.${segment(PAYLOAD)}.${SIGNATURE}`, MAX), { kind: 'malformed' });
      });

      it(`rejects a payload that is ${what}`, () => {
        assert.deepEqual(decodeCompactJWS(`${segment(HEADER)}.${encoded}.${SIGNATURE}`, MAX), { kind: 'malformed' });
      });
    }
  });

  describe('encrypted tokens (no decryption configured)', () => {
    it('rejects a header with enc as malformed', () => {
      assert.deepEqual(decodeCompactJWS(`${segment({ ...HEADER, enc: 'A256GCM' })}.${segment(PAYLOAD)}.${SIGNATURE}`, MAX), { kind: 'malformed' });
    });

    it('rejects enc even when its value is empty or null', () => {
      assert.deepEqual(decodeCompactJWS(`${segment({ ...HEADER, enc: '' })}.${segment(PAYLOAD)}.${SIGNATURE}`, MAX), { kind: 'malformed' });
      assert.deepEqual(decodeCompactJWS(`${segment({ ...HEADER, enc: null })}.${segment(PAYLOAD)}.${SIGNATURE}`, MAX), { kind: 'malformed' });
    });
  });

  describe('size cap', () => {
    function tokenOfLength(length: number): string {
      const prefix = `${segment(HEADER)}.${segment(PAYLOAD)}.`;
      return prefix + 'A'.repeat(length - prefix.length);
    }

    it('accepts a token of exactly the maximum size', () => {
      const token = tokenOfLength(MAX);
      assert.equal(token.length, MAX);
      assert.equal(decodeCompactJWS(token, MAX).kind, 'decoded');
    });

    it('rejects a token one byte over the maximum as too_large', () => {
      const token = tokenOfLength(MAX + 1);
      assert.deepEqual(decodeCompactJWS(token, MAX), { kind: 'too_large' });
    });

    it('applies the configured cap, not a fixed one', () => {
      assert.deepEqual(decodeCompactJWS(GOOD, GOOD.length - 1), { kind: 'too_large' });
      assert.equal(decodeCompactJWS(GOOD, GOOD.length).kind, 'decoded');
    });

    it('refuses an oversized token before looking at its structure', () => {
      assert.deepEqual(decodeCompactJWS('x'.repeat(MAX + 1), MAX), { kind: 'too_large' });
      assert.deepEqual(decodeCompactJWS('.'.repeat(MAX + 1), MAX), { kind: 'too_large' });
    });
  });

  describe('properties', () => {
    it('never throws, for any string', () => {
      fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (token) => {
        assert.ok(['decoded', 'too_large', 'malformed'].includes(decodeCompactJWS(token, MAX).kind));
      }), { numRuns: 2000 });
    });

    it('never throws for three base64url segments of random bytes', () => {
      const bytes = fc.uint8Array({ minLength: 1, maxLength: 60 }).map((value) => Buffer.from(value).toString('base64url'));
      fc.assert(fc.property(bytes, bytes, bytes, (header, payload, signature) => {
        const result = decodeCompactJWS(`${header}.${payload}.${signature}`, MAX);
        if (result.kind === 'decoded') {
          assert.equal(typeof result.jws.header, 'object');
          assert.ok(!Array.isArray(result.jws.header));
        }
      }), { numRuns: 1000 });
    });

    it('round-trips any JSON object header and payload', () => {
      const object = fc.dictionary(fc.string({ maxLength: 8 }).filter((key) => key !== 'enc' && key !== '__proto__'), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 });
      fc.assert(fc.property(object, object, (header, payload) => {
        const result = decodeCompactJWS(`${segment(header)}.${segment(payload)}.${SIGNATURE}`, 1 << 20);
        assert.equal(result.kind, 'decoded');
        assert.deepEqual(result.jws.header, JSON.parse(JSON.stringify(header)));
        assert.deepEqual(result.jws.payload, JSON.parse(JSON.stringify(payload)));
      }), { numRuns: 300 });
    });

    it('a decoded token always has exactly three segments and fits the cap', () => {
      fc.assert(fc.property(fc.string({ unit: fc.constantFrom('e', 'y', 'J', '9', '.', 'A', '_', '-', 'f', 'Q'), maxLength: 60 }), fc.integer({ min: 0, max: 80 }), (token, cap) => {
        const result = decodeCompactJWS(token, cap);
        if (result.kind === 'decoded') {
          assert.equal(token.split('.').length, 3);
          assert.ok(token.length <= cap);
        }
        if (token.length > cap) assert.equal(result.kind, 'too_large');
      }), { numRuns: 1000 });
    });
  });
});
