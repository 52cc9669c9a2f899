// Scope rules (docs/contract.md §2.6; RFC 9068 §2.2.3, RFC 6749 §3.3): granted
// scopes come from `scope` (space-delimited) or `scp` (string or array); comparison
// is exact and case-sensitive; implications expand the granted scopes first.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { advertisedScopes, grantedScopes, missingScopes } from '../../../src/core/scopes.ts';
import { runtimePolicy } from '../policy-fixtures.ts';

const NO_IMPLICATIONS: ReadonlyMap<string, readonly string[]> = new Map();

function granted(payload: Record<string, unknown>): string[] | undefined {
  const scopes = grantedScopes(payload);
  return scopes === undefined ? undefined : [...scopes].sort();
}

describe('scopes (docs/contract.md §2.6)', () => {
  describe('granted scopes', () => {
    it('reads a space-delimited scope string', () => {
      assert.deepEqual(granted({ scope: 'mcp:tools mcp:read' }), ['mcp:read', 'mcp:tools']);
    });

    it('ignores repeated spaces in scope', () => {
      assert.deepEqual(granted({ scope: '  mcp:tools   mcp:read ' }), ['mcp:read', 'mcp:tools']);
    });

    it('reads scp as a space-delimited string', () => {
      assert.deepEqual(granted({ scp: 'a b' }), ['a', 'b']);
    });

    it('reads scp as an array of strings', () => {
      assert.deepEqual(granted({ scp: ['a', 'b'] }), ['a', 'b']);
    });

    it('combines scope and scp', () => {
      assert.deepEqual(granted({ scope: 'a', scp: ['b'] }), ['a', 'b']);
    });

    it('grants nothing when neither scope nor scp is present', () => {
      assert.deepEqual(granted({}), []);
    });

    it('grants nothing for an empty scope string', () => {
      assert.deepEqual(granted({ scope: '' }), []);
    });

    const malformed: readonly (readonly [string, Record<string, unknown>])[] = [
      ['scope as an array', { scope: ['a'] }],
      ['scope as a number', { scope: 1 }],
      ['scope as null', { scope: null }],
      ['scope as an object', { scope: { a: true } }],
      ['scp as a number', { scp: 1 }],
      ['scp as an object', { scp: { a: true } }],
      ['scp as null', { scp: null }],
      ['scp as an array with a number', { scp: ['a', 1] }],
      ['scp as an array with a nested array', { scp: [['a']] }],
      ['a valid scope with a malformed scp', { scope: 'a', scp: 1 }],
    ];
    for (const [what, payload] of malformed) {
      it(`treats ${what} as malformed`, () => {
        assert.equal(grantedScopes(payload), undefined);
      });
    }

    it('does not split on tabs or commas (the delimiter is one space)', () => {
      assert.deepEqual(granted({ scope: 'a,b' }), ['a,b']);
      assert.deepEqual(granted({ scope: 'a\tb' }), ['a\tb']);
    });
  });

  describe('missing scopes', () => {
    it('reports nothing missing when no scopes are required', () => {
      assert.deepEqual(missingScopes([], new Set(), NO_IMPLICATIONS), []);
    });

    it('reports nothing missing when every required scope is granted', () => {
      assert.deepEqual(missingScopes(['a', 'b'], new Set(['b', 'a', 'c']), NO_IMPLICATIONS), []);
    });

    it('reports every required scope that is not granted', () => {
      assert.deepEqual(missingScopes(['a', 'b', 'c'], new Set(['b']), NO_IMPLICATIONS), ['a', 'c']);
    });

    it('compares case-sensitively', () => {
      assert.deepEqual(missingScopes(['mcp:tools'], new Set(['MCP:TOOLS']), NO_IMPLICATIONS), ['mcp:tools']);
      assert.deepEqual(missingScopes(['mcp:tools'], new Set(['mcp:Tools']), NO_IMPLICATIONS), ['mcp:tools']);
    });

    it('must not treat a scope as a prefix of another', () => {
      assert.deepEqual(missingScopes(['mcp:tools'], new Set(['mcp:tools:read', 'mcp:tool', 'mcp']), NO_IMPLICATIONS), ['mcp:tools']);
    });

    it('honours an implication: a broader granted scope covers a narrower required one', () => {
      const implications = new Map([['mcp:admin', ['mcp:tools']]]);
      assert.deepEqual(missingScopes(['mcp:tools'], new Set(['mcp:admin']), implications), []);
    });

    it('must not apply an implication backwards', () => {
      const implications = new Map([['mcp:admin', ['mcp:tools']]]);
      assert.deepEqual(missingScopes(['mcp:admin'], new Set(['mcp:tools']), implications), ['mcp:admin']);
    });

    it('honours every scope of a closed implication map', () => {
      const closed = new Map([['a', ['b', 'c']], ['b', ['c']]]);
      assert.deepEqual(missingScopes(['c', 'b'], new Set(['a']), closed), []);
    });

    it('honours a chain a -> b -> c once compilePolicy has closed it', () => {
      const policy = runtimePolicy({ requiredScopes: ['c'], scopeImplications: { a: ['b'], b: ['c'] } });
      assert.deepEqual(missingScopes(policy.requiredScopes, new Set(['a']), policy.scopeImplications), []);
      assert.deepEqual(missingScopes(policy.requiredScopes, new Set(['b']), policy.scopeImplications), []);
      assert.deepEqual(missingScopes(policy.requiredScopes, new Set(['d']), policy.scopeImplications), ['c']);
    });

    it('terminates on a cyclic implication and honours it both ways', () => {
      const policy = runtimePolicy({ requiredScopes: ['a', 'b'], scopeImplications: { a: ['b'], b: ['a'] } });
      assert.deepEqual(missingScopes(policy.requiredScopes, new Set(['a']), policy.scopeImplications), []);
    });
  });

  describe('properties', () => {
    const scopeArb = fc.stringMatching(/^[a-zA-Z:]{1,6}$/);

    it('reports nothing missing exactly when every required scope is granted (no implications)', () => {
      fc.assert(fc.property(fc.uniqueArray(scopeArb, { maxLength: 5 }), fc.uniqueArray(scopeArb, { maxLength: 5 }), (required, grantedList) => {
        const missing = missingScopes(required, new Set(grantedList), NO_IMPLICATIONS);
        assert.deepEqual(missing, required.filter((scope) => !grantedList.includes(scope)));
      }), { numRuns: 500 });
    });

    it('reads back every scope of a space-joined scope string', () => {
      fc.assert(fc.property(fc.uniqueArray(scopeArb, { maxLength: 6 }), (scopes) => {
        assert.deepEqual(granted({ scope: scopes.join(' ') }), [...scopes].sort());
      }), { numRuns: 300 });
    });
  });

  // What a challenge's `scope` and the metadata's `scopes_supported` may name.
  describe('advertised scopes', () => {
    it('leaves out offline_access, keeping the order of the others', () => {
      assert.deepEqual(advertisedScopes(['b', 'offline_access', 'a', 'offline_access']), ['b', 'a']);
    });

    it('compares exactly (another case is a different scope)', () => {
      assert.deepEqual(advertisedScopes(['OFFLINE_ACCESS']), ['OFFLINE_ACCESS']);
    });
  });
});
