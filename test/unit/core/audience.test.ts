// The audience rule (docs/contract.md §2.2, RFC 8707, RFC 9068 §4 step 4): a token
// is accepted only when one `aud` value is the resource (or an extra audience)
// after folding scheme/host case, the default port and an empty path — and nothing
// else.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { audienceMatches, audienceValues, canonicalAudience } from '../../../src/core/audience.ts';
import { referenceCanonical, referenceMatches } from '../audience-reference.ts';
import { runtimePolicy } from '../policy-fixtures.ts';

const RESOURCE = 'https://mcp.example.com/mcp';

/** The accepted set as compile-policy builds it: canonical forms of the configured values. */
function acceptedSet(configured: readonly string[]): Set<string> {
  const set = new Set<string>();
  for (const value of configured) {
    const canonical = canonicalAudience(value);
    if (canonical !== undefined) set.add(canonical);
  }
  return set;
}

function matches(aud: string | readonly string[], ...configured: string[]): boolean {
  const accepted = acceptedSet(configured.length === 0 ? [RESOURCE] : configured);
  return audienceMatches(typeof aud === 'string' ? [aud] : aud, accepted);
}

// Generators of well-formed http(s) URIs around the protected resource, rich in
// the variants the rule is about (case, ports, paths that only look alike).
const caseVariant = (value: string): fc.Arbitrary<string> =>
  fc.array(fc.boolean(), { minLength: value.length, maxLength: value.length })
    .map((flags) => Array.from(value).map((character, index) => (flags[index] === true ? character.toUpperCase() : character)).join(''));

const schemeArb = fc.constantFrom('https', 'http').chain(caseVariant);
const hostArb = fc.constantFrom('mcp.example.com', 'example.com', 'mcp.example.com.evil.test', '127.0.0.1', '[::1]', 'api.example.com').chain(caseVariant);
const portArb = fc.constantFrom('', ':443', ':80', ':8443', ':8080', ':0443', ':');
const pathArb = fc.constantFrom(
  '', '/', '/mcp', '/mcp/', '/MCP', '/Mcp', '/%6Dcp', '/%6dcp', '/mcpx', '/mcp/x', '/./mcp', '/a/../mcp', '/mcp?x=1', '?x=1',
  '/caf\u00e9', '/cafe\u0301', '/mcp/tools', '//mcp',
);
const suffixArb = fc.constantFrom('', '', '', '#', '#frag');
const userinfoArb = fc.constantFrom('', '', '', 'user@', 'user:pw@', '@');

const httpURIArb = fc.tuple(schemeArb, userinfoArb, hostArb, portArb, pathArb, suffixArb)
  .map(([scheme, userinfo, host, port, path, suffix]) => `${scheme}://${userinfo}${host}${port}${path}${suffix}`);
const wellFormedURIArb = fc.tuple(schemeArb, hostArb, portArb, pathArb)
  .map(([scheme, host, port, path]) => `${scheme}://${host}${port}${path}`);
const nonURIArb = fc.constantFrom('api://weather', 'API://weather', 'api://Weather', 'urn:example:mcp', 'URN:example:mcp', 'weather', '');
const audienceArb = fc.oneof(
  { arbitrary: httpURIArb, weight: 6 },
  { arbitrary: nonURIArb, weight: 1 },
  { arbitrary: fc.webUrl({ withFragments: true, withQueryParameters: true, authoritySettings: { withPort: true, withUserInfo: true } }), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 1 },
);

describe('audience rule (docs/contract.md §2.2)', () => {
  describe('the configured resource', () => {
    it('accepts a token whose aud is exactly the resource', () => {
      assert.equal(matches(RESOURCE), true);
    });

    it('rejects a token whose aud does not contain the resource', () => {
      assert.equal(matches('https://other.example.com/mcp'), false);
      assert.equal(matches(['https://other.example.com/mcp', 'https://mcp.example.com/other']), false);
    });

    it('accepts an aud array that contains the resource among other values', () => {
      assert.equal(matches(['https://other.example.com/mcp', RESOURCE]), true);
    });

    it('accepts any of the extra configured audiences', () => {
      assert.equal(matches('api://weather', RESOURCE, 'api://weather'), true);
      assert.equal(matches(RESOURCE, RESOURCE, 'api://weather'), true);
    });

    it('accepts exactly the audiences compile-policy puts in the accepted set', () => {
      const policy = runtimePolicy({ audiences: ['api://weather', 'HTTPS://Other.Example.com:443'] });
      assert.equal(audienceMatches(['https://MCP.example.com:443/mcp'], policy.acceptedAudiences), true);
      assert.equal(audienceMatches(['https://other.example.com/'], policy.acceptedAudiences), true);
      assert.equal(audienceMatches(['api://weather'], policy.acceptedAudiences), true);
      assert.equal(audienceMatches(['API://weather'], policy.acceptedAudiences), false);
    });
  });

  describe('scheme and host compare case-insensitively', () => {
    for (const aud of ['HTTPS://mcp.example.com/mcp', 'Https://mcp.example.com/mcp', 'https://MCP.EXAMPLE.COM/mcp', 'https://Mcp.Example.Com/mcp', 'HTTPS://MCP.EXAMPLE.COM/mcp']) {
      it(`accepts ${aud} for ${RESOURCE}`, () => {
        assert.equal(matches(aud), true);
      });
    }

    it('accepts a lower-case aud for a resource configured with an upper-case host', () => {
      assert.equal(matches(RESOURCE, 'https://MCP.Example.com/mcp'), true);
    });

    it('must not accept http for an https resource', () => {
      assert.equal(matches('http://mcp.example.com/mcp'), false);
    });

    it('must not accept another scheme that merely starts like https', () => {
      assert.equal(matches('httpss://mcp.example.com/mcp'), false);
      assert.equal(matches('wss://mcp.example.com/mcp'), false);
    });
  });

  describe('an explicit default port equals no port', () => {
    it('accepts :443 on an https aud for a resource without a port', () => {
      assert.equal(matches('https://mcp.example.com:443/mcp'), true);
    });

    it('accepts no port on an aud for a resource configured with :443', () => {
      assert.equal(matches(RESOURCE, 'https://mcp.example.com:443/mcp'), true);
    });

    it('accepts :80 on an http aud for an http resource without a port', () => {
      assert.equal(matches('http://127.0.0.1:80/mcp', 'http://127.0.0.1/mcp'), true);
      assert.equal(matches('HTTP://LOCALHOST:80/mcp', 'http://localhost/mcp'), true);
    });

    it('accepts :443 with an IPv6 literal host', () => {
      assert.equal(matches('https://[::1]:443/mcp', 'https://[::1]/mcp'), true);
    });

    it('must not fold :8443 into the default port', () => {
      assert.equal(matches('https://mcp.example.com:8443/mcp'), false);
      assert.equal(matches(RESOURCE, 'https://mcp.example.com:8443/mcp'), false);
    });

    it('must not treat :80 as the default port of https', () => {
      assert.equal(matches('https://mcp.example.com:80/mcp'), false);
    });

    it('must not treat :443 as the default port of http', () => {
      assert.equal(matches('http://127.0.0.1:443/mcp', 'http://127.0.0.1/mcp'), false);
    });

    it('must not fold a port on an IPv6 literal that is not the default', () => {
      assert.equal(matches('https://[::1]:8443/mcp', 'https://[::1]/mcp'), false);
    });

    it('keeps a non-default port significant: :8443 matches only :8443', () => {
      assert.equal(matches('https://mcp.example.com:8443/mcp', 'https://mcp.example.com:8443/mcp'), true);
      assert.equal(matches('https://MCP.example.com:8443/mcp', 'https://mcp.example.com:8443/mcp'), true);
    });
  });

  describe('an empty path equals /', () => {
    it('accepts https://host for a resource https://host/', () => {
      assert.equal(matches('https://mcp.example.com', 'https://mcp.example.com/'), true);
    });

    it('accepts https://host/ for a resource https://host', () => {
      assert.equal(matches('https://mcp.example.com/', 'https://mcp.example.com'), true);
    });

    it('accepts https://HOST:443 for a resource https://host/', () => {
      assert.equal(matches('https://MCP.example.com:443', 'https://mcp.example.com/'), true);
    });

    it('must not let a root resource accept a deeper path', () => {
      assert.equal(matches(RESOURCE, 'https://mcp.example.com'), false);
    });
  });

  describe('nothing else is normalised', () => {
    const notEqual: readonly (readonly [string, string])[] = [
      ['/%6Dcp', 'percent-encoding of an unreserved character'],
      ['/%6dcp', 'lower-case percent-encoding'],
      ['/./mcp', 'a "." dot segment'],
      ['/x/../mcp', 'a ".." dot segment'],
      ['/mcp/', 'a trailing slash'],
      ['/MCP', 'path case'],
      ['/Mcp', 'path case of one letter'],
      ['//mcp', 'a doubled slash'],
    ];
    for (const [path, what] of notEqual) {
      it(`must not normalise ${what}: https://mcp.example.com${path} is not ${RESOURCE}`, () => {
        assert.equal(matches(`https://mcp.example.com${path}`), false);
      });
    }

    it('must not remove a trailing slash from the configured resource either', () => {
      assert.equal(matches(RESOURCE, 'https://mcp.example.com/mcp/'), false);
      assert.equal(matches('https://mcp.example.com/mcp/', 'https://mcp.example.com/mcp/'), true);
    });

    it('must not percent-decode the configured resource either', () => {
      assert.equal(matches(RESOURCE, 'https://mcp.example.com/%6Dcp'), false);
      assert.equal(matches('https://mcp.example.com/%6Dcp', 'https://mcp.example.com/%6Dcp'), true);
    });

    it('must not apply Unicode normalisation (NFC and NFD differ)', () => {
      const nfc = 'https://mcp.example.com/caf\u00e9';
      const nfd = 'https://mcp.example.com/cafe\u0301';
      assert.equal(nfc.normalize('NFC'), nfd.normalize('NFC'));
      assert.equal(matches(nfd, nfc), false);
      assert.equal(matches(nfc, nfd), false);
      assert.equal(matches(nfc, nfc), true);
    });

    it('must not fold the case of non-ASCII letters in the host', () => {
      assert.equal(matches('https://\u00c9xample.com/mcp', 'https://\u00e9xample.com/mcp'), false);
    });

    it('must not accept a value with a query for a resource without one', () => {
      assert.equal(matches('https://mcp.example.com/mcp?x=1'), false);
    });

    it('must not ignore surrounding white space', () => {
      assert.equal(matches(` ${RESOURCE}`), false);
      assert.equal(matches(`${RESOURCE} `), false);
    });
  });

  describe('no prefix matching', () => {
    for (const aud of ['https://mcp.example.com/mcp/tools', 'https://mcp.example.com/mcpx', 'https://mcp.example.com/', 'https://mcp.example.com', 'https://mcp.example.com/mc']) {
      it(`must not treat ${aud} as matching ${RESOURCE}`, () => {
        assert.equal(matches(aud), false);
      });
    }

    it('must not treat /mcp as matching /mcpx', () => {
      assert.equal(matches(RESOURCE, 'https://mcp.example.com/mcpx'), false);
    });

    it('must not accept a host that only ends with or starts with the resource host', () => {
      assert.equal(matches('https://mcp.example.com.evil.test/mcp'), false);
      assert.equal(matches('https://evilmcp.example.com/mcp'), false);
      assert.equal(matches('https://a.mcp.example.com/mcp'), false);
    });
  });

  describe('fragments and userinfo never match', () => {
    for (const aud of [`${RESOURCE}#`, `${RESOURCE}#frag`, 'https://mcp.example.com#/mcp']) {
      it(`never matches ${aud}`, () => {
        assert.equal(matches(aud), false);
        assert.equal(canonicalAudience(aud), undefined);
      });
    }

    for (const aud of ['https://user@mcp.example.com/mcp', 'https://user:pw@mcp.example.com/mcp', 'https://@mcp.example.com/mcp', 'https://mcp.example.com@evil.test/mcp']) {
      it(`never matches the userinfo form ${aud}`, () => {
        assert.equal(matches(aud), false);
        assert.equal(canonicalAudience(aud), undefined);
      });
    }

    it('never matches a fragment even when the same string is in the accepted set', () => {
      const verbatim = `${RESOURCE}#frag`;
      assert.equal(audienceMatches([verbatim], new Set([verbatim])), false);
    });

    it('never matches userinfo even when the same string is in the accepted set', () => {
      const verbatim = 'https://user@mcp.example.com/mcp';
      assert.equal(audienceMatches([verbatim], new Set([verbatim])), false);
    });
  });

  describe('non-URI audiences compare as exact strings', () => {
    it('accepts api://weather exactly', () => {
      assert.equal(matches('api://weather', 'api://weather'), true);
    });

    for (const aud of ['API://weather', 'api://Weather', 'api://WEATHER', 'api://weather/', 'api://weather:443']) {
      it(`must not accept ${aud} for api://weather`, () => {
        assert.equal(matches(aud, 'api://weather'), false);
      });
    }

    it('compares URNs exactly, including case', () => {
      assert.equal(matches('urn:example:mcp', 'urn:example:mcp'), true);
      assert.equal(matches('URN:example:mcp', 'urn:example:mcp'), false);
    });

    it('leaves a non-http value unchanged in canonical form', () => {
      for (const value of ['api://Weather', 'urn:X', 'weather', '', 'HTTPS:mcp.example.com']) assert.equal(canonicalAudience(value), value);
    });
  });

  describe('aud claim shape', () => {
    it('reads a string aud as one value', () => {
      assert.deepEqual(audienceValues(RESOURCE), [RESOURCE]);
    });

    it('reads an array of strings as its values', () => {
      assert.deepEqual(audienceValues(['a', RESOURCE]), ['a', RESOURCE]);
    });

    const invalid: readonly (readonly [string, unknown])[] = [
      ['a number', 42],
      ['an object', { aud: RESOURCE }],
      ['an empty array', []],
      ['an array with a number', [RESOURCE, 1]],
      ['an array with null', [RESOURCE, null]],
      ['an array with a nested array', [[RESOURCE]]],
      ['a boolean', true],
      ['null', null],
      ['absent', undefined],
    ];
    for (const [what, aud] of invalid) {
      it(`treats ${what} as an invalid aud`, () => {
        assert.equal(audienceValues(aud), undefined);
      });
    }
  });

  describe('properties', () => {
    it('accepts an aud exactly when the rule says one value is in the accepted set', () => {
      fc.assert(fc.property(fc.array(audienceArb, { minLength: 1, maxLength: 4 }), fc.array(fc.oneof(wellFormedURIArb, nonURIArb), { minLength: 1, maxLength: 3 }), (aud, configured) => {
        assert.equal(audienceMatches(aud, acceptedSet(configured)), referenceMatches(aud, configured));
      }), { numRuns: 2000 });
    });

    it('never accepts a value the rule does not accept, for arbitrary strings', () => {
      fc.assert(fc.property(fc.array(fc.oneof(audienceArb, fc.string({ unit: 'grapheme', maxLength: 30 })), { minLength: 1, maxLength: 4 }), fc.array(audienceArb, { minLength: 1, maxLength: 3 }), (aud, configured) => {
        if (audienceMatches(aud, acceptedSet(configured))) assert.equal(referenceMatches(aud, configured), true);
      }), { numRuns: 2000 });
    });

    it('computes the same canonical form as the rule for well-formed URIs', () => {
      fc.assert(fc.property(fc.oneof(httpURIArb, nonURIArb), (value) => {
        assert.equal(canonicalAudience(value), referenceCanonical(value));
      }), { numRuns: 2000 });
    });

    it('canonicalAudience is idempotent on URIs with a well-formed authority', () => {
      fc.assert(fc.property(fc.oneof(httpURIArb, nonURIArb, fc.webUrl({ withQueryParameters: true, authoritySettings: { withPort: true } }), fc.string({ unit: 'binary' })), (value) => {
        const once = canonicalAudience(value);
        if (once !== undefined) assert.equal(canonicalAudience(once), once);
      }), { numRuns: 2000 });
    });

    // Regression (found by this suite, fixed): canonicalAudience strips only one trailing ":443", so for an authority with two
    // port suffixes it is not idempotent: "https://a:443:443" -> "https://a:443/" -> "https://a/".
    // A canonical form should be a fixed point (or such a malformed authority should never
    // match, like userinfo). Low severity: no resource can be configured this way.
    it('canonicalAudience is idempotent even on a malformed authority with two ports', () => {
      const once = canonicalAudience('https://a:443:443');
      assert.notEqual(once, undefined);
      assert.equal(canonicalAudience(once!), once);
    });

    it('upper-casing the scheme and host never changes whether an aud matches', () => {
      fc.assert(fc.property(wellFormedURIArb, fc.array(wellFormedURIArb, { minLength: 1, maxLength: 3 }), (aud, configured) => {
        const separator = aud.indexOf('://') + 3;
        const pathStart = aud.slice(separator).search(/[/?]/);
        const authorityEnd = pathStart === -1 ? aud.length : separator + pathStart;
        const upper = aud.slice(0, authorityEnd).toUpperCase() + aud.slice(authorityEnd);
        assert.equal(audienceMatches([upper], acceptedSet(configured)), audienceMatches([aud], acceptedSet(configured)));
      }), { numRuns: 1000 });
    });

    it('changing the case of one letter of the path breaks the match', () => {
      const pathArbitrary = fc.stringMatching(/^(\/[a-z0-9]{1,6}){1,3}$/).filter((path) => /[a-z]/.test(path));
      fc.assert(fc.property(fc.constantFrom('https://mcp.example.com', 'HTTPS://MCP.example.com:443'), pathArbitrary, fc.nat(), (origin, path, pick) => {
        const letters = Array.from(path).flatMap((character, index) => (/[a-z]/.test(character) ? [index] : []));
        const at = letters[pick % letters.length]!;
        const changed = path.slice(0, at) + path.charAt(at).toUpperCase() + path.slice(at + 1);
        assert.equal(matches(`${origin}${path}`, `https://mcp.example.com${path}`), true);
        assert.equal(matches(`${origin}${changed}`, `https://mcp.example.com${path}`), false);
      }), { numRuns: 500 });
    });

    it('adding a trailing slash or a fragment breaks the match', () => {
      const pathArbitrary = fc.stringMatching(/^(\/[a-zA-Z0-9]{1,6}){1,3}$/);
      fc.assert(fc.property(pathArbitrary, fc.string({ maxLength: 8 }).filter((value) => !value.includes('\n')), (path, fragment) => {
        const resource = `https://mcp.example.com${path}`;
        assert.equal(matches(`${resource}/`, resource), false);
        assert.equal(matches(`${resource}#${fragment}`, resource), false);
      }), { numRuns: 500 });
    });
  });
});
