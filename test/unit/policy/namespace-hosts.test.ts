// The operator's host-ownership rule: a host belongs to one namespace, so two
// namespaces' patterns may never both match one host.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { hostPatternCovers, hostPatternsOverlap, parseNamespaceHosts } from '../../../src/policy/namespace-hosts.ts';

function matches(pattern: string, host: string): boolean {
  return pattern.startsWith('*.') ? host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1 : pattern === host;
}

describe('namespace host rules', () => {
  it('must find that a wildcard and a host under it overlap', () => {
    assert.equal(hostPatternsOverlap('*.example.com', 'api.example.com'), true);
    assert.equal(hostPatternsOverlap('*.example.com', '*.a.example.com'), true);
    assert.equal(hostPatternsOverlap('*.example.com', 'example.com'), false);
    assert.equal(hostPatternsOverlap('a.example.com', 'b.example.com'), false);
  });

  it('overlap is true exactly when one of a set of hosts matches both (property)', () => {
    const label = fc.constantFrom('a', 'b', 'api');
    const host = fc.array(label, { minLength: 1, maxLength: 3 }).map((labels) => [...labels, 'com'].join('.'));
    const pattern = fc.tuple(fc.boolean(), host).map(([wild, name]) => (wild ? `*.${name}` : name));
    fc.assert(fc.property(pattern, pattern, (a, b) => {
      // Any host that matches both also makes one of these match both: each
      // pattern with its `*` replaced by a label no pattern uses.
      const hosts = [a, b].map((candidate) => candidate.replace('*', 'zz'));
      const someHost = hosts.some((candidate) => matches(a, candidate) && matches(b, candidate));
      assert.equal(hostPatternsOverlap(a, b), someHost, `${a} vs ${b}`);
    }));
  });

  it('a wildcard covers hosts and narrower wildcards under it, not its own parent', () => {
    assert.equal(hostPatternCovers('*.example.com', 'api.example.com'), true);
    assert.equal(hostPatternCovers('*.example.com', '*.a.example.com'), true);
    assert.equal(hostPatternCovers('*.example.com', 'example.com'), false);
    assert.equal(hostPatternCovers('api.example.com', '*.example.com'), false);
  });

  it('must merge entries of one namespace and refuse overlaps between namespaces', () => {
    const parsed = parseNamespaceHosts(['a=x.example.com', 'a=y.example.com']);
    assert.deepEqual(parsed, { ok: true, rules: [{ namespace: 'a', patterns: ['x.example.com', 'y.example.com'] }] });
    assert.equal(parseNamespaceHosts(['a=*.example.com', 'b=*.api.example.com']).ok, false);
    assert.equal(parseNamespaceHosts(['A=x.example.com']).ok, false);
  });
});
