// The URI rules (src/policy/uri-rules.ts) are regular expressions read by two
// engines: ECMAScript RegExp in the process and RE2 (CEL `matches()`) in the
// API server. They must say the same thing in both, and what they admit must
// be a URL the service can use: WHATWG-parsable, to the host as written, plain
// http only to a loopback host.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { POLICY_RULES } from '../../../src/policy/policy-rules.ts';
import { PolicySpecSchema } from '../../../src/policy/policy-schema.ts';
import { identifierURIProblem, isLoopbackHost, patternRuleHolds, uriProblems, uriRules, type URIKind } from '../../../src/policy/uri-rules.ts';
import { celRuleResult } from '../../support/crd-cel.ts';
import { uriSpelling } from '../../support/uri-spellings.ts';

const KINDS: readonly URIKind[] = ['identifier', 'locator'];

function re2Matches(pattern: string, text: string): boolean {
  const result = celRuleResult(`self.matches(${JSON.stringify(pattern)})`, text);
  assert.equal(typeof result, 'boolean', `RE2 could not run ${pattern}: ${String(result)}`);
  return result === true;
}

/** Tokens whose meaning differs between RE2 and ECMAScript (or that one of them lacks). */
function nonPortableTokens(pattern: string): string[] {
  const found: string[] = [];
  let inClass = false;
  for (let index = 0; index < pattern.length; index += 1) {
    const char = pattern[index];
    if (char === '\\') {
      const next = pattern[index + 1] ?? '';
      if (/[sSdDwWbBpPkcu0-9]/.test(next)) found.push(`\\${next}`);
      index += next === 'x' ? 3 : 1;
    } else if (char === '[') inClass = true;
    else if (char === ']') inClass = false;
    else if (!inClass && char === '.') found.push('.');
    else if (!inClass && char === '(' && pattern[index + 1] === '?') found.push('(?');
  }
  return found;
}

function schemaPatterns(node: unknown): string[] {
  if (node === null || typeof node !== 'object') return [];
  const own = typeof (node as { pattern?: unknown }).pattern === 'string' ? [(node as { pattern: string }).pattern] : [];
  return [...own, ...Object.values(node).flatMap(schemaPatterns)];
}

const RULE_PATTERNS = [...new Set(POLICY_RULES.flatMap(({ check }) => (check.kind === 'pattern' ? [check.pattern] : [])))];

describe('URI rules: one text for RE2 and ECMAScript', () => {
  it('uses only syntax that RE2 and ECMAScript read alike, in the rules and in the schema', () => {
    for (const pattern of [...RULE_PATTERNS, ...schemaPatterns(JSON.parse(JSON.stringify(PolicySpecSchema)))]) {
      assert.deepEqual(nonPortableTokens(pattern), [], pattern);
      assert.doesNotThrow(() => new RegExp(pattern, 'u'), pattern);
      re2Matches(pattern, '');
    }
  });

  it('gives the same verdict in both engines for every rule, on generated URI spellings', () => {
    fc.assert(fc.property(uriSpelling, (uri) => {
      for (const kind of KINDS) {
        for (const rule of uriRules(kind)) {
          assert.equal(patternRuleHolds(rule, uri), re2Matches(rule.pattern, uri) === rule.matches, `${rule.message}: ${JSON.stringify(uri)}`);
        }
      }
    }), { numRuns: 600 });
  });
});

describe('URI rules: what they admit is usable', () => {
  it('admits only URIs a WHATWG URL parser reads, to the same host, with plain http only for loopback', () => {
    fc.assert(fc.property(uriSpelling, (uri) => {
      for (const kind of KINDS) {
        if (uriProblems(uri, kind).length > 0) continue;
        const url = new URL(uri); // throws, failing the property, if the rules admitted something unparsable
        const written = /^[a-z]+:\/\/([^/:?#]+|\[[^\]]*\])/.exec(uri)?.[1] ?? '';
        if (!written.startsWith('[')) assert.equal(url.hostname, written.toLowerCase(), uri);
        if (url.protocol === 'http:') assert.ok(isLoopbackHost(url.hostname), uri);
        else assert.equal(url.protocol, 'https:', uri);
      }
    }), { numRuns: 1000 });
  });

  for (const uri of ['https://weather.example.com/mcp', 'https://idp.example.com:8443/realms/a%20b', 'http://localhost:3000/mcp', 'http://127.1.2.3/mcp', 'http://[::1]:8080/', 'https://[2001:db8::1]/mcp', 'https://10.0.0.1/', 'https://xn--bcher-kva.example/']) {
    it(`admits ${uri}`, () => {
      assert.equal(identifierURIProblem(uri), undefined);
    });
  }

  for (const [uri, message] of [
    ['https://', /host/], ['https://weather.example.com/m cp', /white space/], ['https://example.123/', /host/], ['https://e.com:65536/', /port/],
    ['https://bücher.example/', /RFC 3986/], ['https://e.com/%zz', /RFC 3986/], ['https://[1::2::3]/', /IPv6/], ['http://127.0.0.1.example.com/', /https/],
    ['HTTPS://weather.example.com/', /https/], ['https://e.com/#', /fragment/], ['https://@e.com/', /userinfo/],
  ] as const) {
    it(`refuses ${JSON.stringify(uri)}`, () => {
      assert.match(uriProblems(uri, 'locator').join('; '), message);
    });
  }

  it('allows a query only in a locator', () => {
    assert.deepEqual(uriProblems('https://idp.example.com/keys?tenant=a', 'locator'), []);
    assert.deepEqual(uriProblems('https://idp.example.com/keys?tenant=a', 'identifier'), ['must not contain a query']);
  });
});
