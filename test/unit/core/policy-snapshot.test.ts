// Policy selection (docs/contract.md §1.4, §2.1 step 1): an explicit
// reference first; otherwise the host (exact before wildcard) and the longest
// segment-boundary path prefix; equal claims go to the oldest policy, the
// others are conflicts; GET/HEAD on the metadata path selects the document.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import type { HttpRequestView } from '../../../src/core/http-request.ts';
import { PolicySnapshot, prefixMatches } from '../../../src/core/policy-snapshot.ts';
import type { RuntimePolicy } from '../../../src/core/runtime-policy.ts';
import { runtimePolicy } from '../policy-fixtures.ts';

function request(host: string, path: string, options: { method?: string; policyReference?: string } = {}): HttpRequestView {
  return { method: options.method ?? 'POST', host, path, authorization: undefined, policyReference: options.policyReference };
}

function selected(snapshot: PolicySnapshot, view: HttpRequestView): string | undefined {
  return snapshot.select(view)?.policy.id;
}

function policy(name: string, hosts: string[], pathPrefixes: string[], createdAt = 0, resource = 'https://mcp.example.com/mcp'): RuntimePolicy {
  return runtimePolicy({ resource, hosts, pathPrefixes }, { name, namespace: 'ns', createdAt });
}

describe('policy selection (docs/contract.md §1.4)', () => {
  describe('explicit reference', () => {
    it('selects the referenced NAMESPACE/NAME over a host match', () => {
      const snapshot = new PolicySnapshot([policy('by-host', ['mcp.example.com'], ['/mcp']), policy('referenced', ['other.example.com'], ['/'])], 1);
      assert.equal(selected(snapshot, request('mcp.example.com', '/mcp', { policyReference: 'ns/referenced' })), 'ns/referenced');
    });

    it('denies (no policy) when the referenced policy does not exist, without falling back to the host', () => {
      const snapshot = new PolicySnapshot([policy('by-host', ['mcp.example.com'], ['/mcp'])], 1);
      assert.equal(snapshot.select(request('mcp.example.com', '/mcp', { policyReference: 'ns/missing' })), undefined);
    });

    it('answers the referenced policy\'s metadata path as a metadata request for GET', () => {
      const referenced = policy('referenced', ['other.example.com'], ['/']);
      const snapshot = new PolicySnapshot([referenced], 1);
      const selection = snapshot.select(request('anything.example.com', referenced.metadataPath, { method: 'GET', policyReference: 'ns/referenced' }));
      assert.equal(selection?.policy.id, 'ns/referenced');
      assert.equal(selection.metadataRequest, true);
      assert.equal(snapshot.select(request('anything.example.com', referenced.metadataPath, { method: 'POST', policyReference: 'ns/referenced' }))?.metadataRequest, false);
    });

    it('finds a policy by id', () => {
      const snapshot = new PolicySnapshot([policy('a', ['a.example.com'], ['/'])], 1);
      assert.equal(snapshot.byId('ns/a')?.name, 'a');
      assert.equal(snapshot.byId('ns/b'), undefined);
    });
  });

  describe('hosts', () => {
    it('prefers an exact host over a wildcard', () => {
      const snapshot = new PolicySnapshot([policy('wildcard', ['*.example.com'], ['/']), policy('exact', ['a.example.com'], ['/'])], 1);
      assert.equal(selected(snapshot, request('a.example.com', '/mcp')), 'ns/exact');
      assert.equal(selected(snapshot, request('b.example.com', '/mcp')), 'ns/wildcard');
    });

    it('prefers an exact host even when the wildcard has a longer matching prefix', () => {
      const snapshot = new PolicySnapshot([policy('wildcard', ['*.example.com'], ['/mcp']), policy('exact', ['a.example.com'], ['/'])], 1);
      assert.equal(selected(snapshot, request('a.example.com', '/mcp')), 'ns/exact');
    });

    it('falls back to the wildcard when the exact host has no matching prefix', () => {
      const snapshot = new PolicySnapshot([policy('wildcard', ['*.example.com'], ['/']), policy('exact', ['a.example.com'], ['/mcp'])], 1);
      assert.equal(selected(snapshot, request('a.example.com', '/other')), 'ns/wildcard');
    });

    it('lets *.example.com match a.example.com and a.b.example.com', () => {
      const snapshot = new PolicySnapshot([policy('wildcard', ['*.example.com'], ['/'])], 1);
      assert.equal(selected(snapshot, request('a.example.com', '/')), 'ns/wildcard');
      assert.equal(selected(snapshot, request('a.b.example.com', '/')), 'ns/wildcard');
    });

    it('must not let *.example.com match example.com itself', () => {
      const snapshot = new PolicySnapshot([policy('wildcard', ['*.example.com'], ['/'])], 1);
      assert.equal(snapshot.select(request('example.com', '/')), undefined);
    });

    it('must not let *.example.com match a host that only ends with example.com', () => {
      const snapshot = new PolicySnapshot([policy('wildcard', ['*.example.com'], ['/'])], 1);
      assert.equal(snapshot.select(request('evilexample.com', '/')), undefined);
      assert.equal(snapshot.select(request('example.com.evil.test', '/')), undefined);
    });

    it('prefers the more specific wildcard', () => {
      const snapshot = new PolicySnapshot([policy('broad', ['*.example.com'], ['/']), policy('narrow', ['*.b.example.com'], ['/'])], 1);
      assert.equal(selected(snapshot, request('a.b.example.com', '/')), 'ns/narrow');
      assert.equal(selected(snapshot, request('a.c.example.com', '/')), 'ns/broad');
    });

    it('matches configured hosts case-insensitively (request hosts arrive lower-cased)', () => {
      const snapshot = new PolicySnapshot([policy('upper', ['MCP.Example.com'], ['/'])], 1);
      assert.equal(selected(snapshot, request('mcp.example.com', '/')), 'ns/upper');
    });

    it('must not match an unrelated host', () => {
      const snapshot = new PolicySnapshot([policy('a', ['a.example.com'], ['/'])], 1);
      assert.equal(snapshot.select(request('b.example.com', '/')), undefined);
      assert.equal(snapshot.select(request('', '/')), undefined);
    });
  });

  describe('path prefixes', () => {
    it('picks the longest matching prefix', () => {
      const snapshot = new PolicySnapshot([policy('root', ['mcp.example.com'], ['/']), policy('mcp', ['mcp.example.com'], ['/mcp']), policy('tools', ['mcp.example.com'], ['/mcp/tools'])], 1);
      assert.equal(selected(snapshot, request('mcp.example.com', '/mcp/tools/x')), 'ns/tools');
      assert.equal(selected(snapshot, request('mcp.example.com', '/mcp/other')), 'ns/mcp');
      assert.equal(selected(snapshot, request('mcp.example.com', '/other')), 'ns/root');
    });

    it('picks the longest prefix regardless of policy age or order', () => {
      const snapshot = new PolicySnapshot([policy('tools', ['mcp.example.com'], ['/mcp/tools'], 5), policy('mcp', ['mcp.example.com'], ['/mcp'], 1)], 1);
      assert.equal(selected(snapshot, request('mcp.example.com', '/mcp/tools')), 'ns/tools');
    });

    for (const path of ['/mcp', '/mcp/', '/mcp/x', '/mcp/x/y']) {
      it(`lets /mcp match ${path}`, () => {
        const snapshot = new PolicySnapshot([policy('mcp', ['mcp.example.com'], ['/mcp'])], 1);
        assert.equal(selected(snapshot, request('mcp.example.com', path)), 'ns/mcp');
      });
    }

    for (const path of ['/mcpx', '/mc', '/', '', '/MCP', '/x/mcp', '/%6Dcp']) {
      it(`must not let /mcp match ${JSON.stringify(path)}`, () => {
        const snapshot = new PolicySnapshot([policy('mcp', ['mcp.example.com'], ['/mcp'])], 1);
        assert.equal(snapshot.select(request('mcp.example.com', path)), undefined);
      });
    }

    it('lets / match every path', () => {
      assert.equal(prefixMatches('/', '/'), true);
      assert.equal(prefixMatches('/', '/anything/at/all'), true);
    });

    it('matches prefixes at segment boundaries only (property)', () => {
      const segment = fc.stringMatching(/^[a-z]{1,3}$/);
      fc.assert(fc.property(fc.array(segment, { minLength: 1, maxLength: 3 }), fc.array(segment, { maxLength: 3 }), segment, (prefixSegments, pathSegments, extra) => {
        const prefix = `/${prefixSegments.join('/')}`;
        const path = `/${pathSegments.join('/')}`;
        const expected = path === prefix || path.startsWith(`${prefix}/`);
        assert.equal(prefixMatches(prefix, path), expected);
        assert.equal(prefixMatches(prefix, `${prefix}${extra}`), false);
        assert.equal(prefixMatches(prefix, `${prefix}/${extra}`), true);
      }), { numRuns: 1000 });
    });
  });

  describe('conflicts', () => {
    it('gives equal claims to the oldest policy and lists the loser naming the winner', () => {
      const older = policy('older', ['mcp.example.com'], ['/mcp'], 100);
      const newer = policy('newer', ['mcp.example.com'], ['/mcp'], 200);
      for (const order of [[older, newer], [newer, older]]) {
        const snapshot = new PolicySnapshot(order, 1);
        assert.equal(selected(snapshot, request('mcp.example.com', '/mcp')), 'ns/older');
        assert.equal(snapshot.conflicts.length, 1);
        const [conflict] = snapshot.conflicts;
        assert.equal(conflict?.policy.id, 'ns/newer');
        assert.equal(conflict.winner.id, 'ns/older');
        assert.equal(conflict.host, 'mcp.example.com');
        assert.equal(conflict.pathPrefix, '/mcp');
      }
    });

    it('breaks an age tie by load order', () => {
      const first = runtimePolicy({ hosts: ['mcp.example.com'], pathPrefixes: ['/mcp'] }, { name: 'first', namespace: 'ns', createdAt: 7, loadOrder: 0 });
      const second = runtimePolicy({ hosts: ['mcp.example.com'], pathPrefixes: ['/mcp'] }, { name: 'second', namespace: 'ns', createdAt: 7, loadOrder: 1 });
      const snapshot = new PolicySnapshot([second, first], 1);
      assert.equal(selected(snapshot, request('mcp.example.com', '/mcp')), 'ns/first');
      assert.equal(snapshot.conflicts[0]?.policy.id, 'ns/second');
    });

    it('treats prefixes that differ only by a trailing slash as the same claim', () => {
      const snapshot = new PolicySnapshot([policy('a', ['mcp.example.com'], ['/mcp'], 1), policy('b', ['mcp.example.com'], ['/mcp/'], 2)], 1);
      assert.equal(snapshot.conflicts.length, 1);
      assert.equal(snapshot.conflicts[0]?.policy.id, 'ns/b');
    });

    it('reports no conflict for different prefixes or different hosts', () => {
      const snapshot = new PolicySnapshot([
        policy('a', ['mcp.example.com'], ['/mcp'], 1),
        policy('b', ['mcp.example.com'], ['/other'], 2),
        policy('c', ['other.example.com'], ['/mcp'], 3),
        policy('d', ['*.example.com'], ['/mcp'], 4),
      ], 1);
      assert.deepEqual(snapshot.conflicts, []);
    });

    it('keeps the loser\'s other, unclaimed routes', () => {
      const snapshot = new PolicySnapshot([policy('older', ['mcp.example.com'], ['/mcp'], 1), policy('newer', ['mcp.example.com'], ['/mcp', '/extra'], 2)], 1);
      assert.equal(selected(snapshot, request('mcp.example.com', '/extra')), 'ns/newer');
    });

    // Regression (found by this suite, fixed): a policy whose own hosts (or path prefixes) repeat after normalisation — e.g.
    // hosts [MCP.example.com, mcp.example.com], or pathPrefixes [/mcp, /mcp/] — is listed in
    // `conflicts` with itself as the winner. The service then counts it as Conflicted and logs
    // "another policy already claims this host and path prefix" although no other policy exists.
    it('must not report a policy as conflicting with itself', () => {
      const snapshot = new PolicySnapshot([policy('self', ['MCP.example.com', 'mcp.example.com'], ['/mcp', '/mcp/'])], 1);
      assert.deepEqual(snapshot.conflicts.filter((conflict) => conflict.policy.id === conflict.winner.id), []);
    });
  });

  describe('RFC 9728 metadata requests', () => {
    const mcp = policy('mcp', ['mcp.example.com'], ['/mcp']);

    for (const method of ['GET', 'HEAD']) {
      it(`selects the metadata document for ${method} on the metadata path`, () => {
        const snapshot = new PolicySnapshot([mcp], 1);
        const selection = snapshot.select(request('mcp.example.com', '/.well-known/oauth-protected-resource/mcp', { method }));
        assert.equal(selection?.policy.id, 'ns/mcp');
        assert.equal(selection.metadataRequest, true);
      });
    }

    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'get']) {
      it(`does not treat ${method} on the metadata path as a metadata request`, () => {
        const snapshot = new PolicySnapshot([mcp, policy('root', ['mcp.example.com'], ['/'], 5)], 1);
        const selection = snapshot.select(request('mcp.example.com', '/.well-known/oauth-protected-resource/mcp', { method }));
        assert.equal(selection?.metadataRequest, false);
        assert.equal(selection.policy.id, 'ns/root');
      });
    }

    it('answers the metadata path even though it is outside the policy\'s path prefixes', () => {
      const snapshot = new PolicySnapshot([mcp], 1);
      assert.equal(snapshot.select(request('mcp.example.com', '/.well-known/oauth-protected-resource/mcp', { method: 'POST' })), undefined);
      assert.equal(snapshot.select(request('mcp.example.com', '/.well-known/oauth-protected-resource/mcp', { method: 'GET' }))?.metadataRequest, true);
    });

    it('must not answer a metadata path that only starts like the policy\'s', () => {
      const snapshot = new PolicySnapshot([mcp], 1);
      for (const path of ['/.well-known/oauth-protected-resource/mcp/', '/.well-known/oauth-protected-resource/mcpx', '/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/MCP']) {
        assert.notEqual(snapshot.select(request('mcp.example.com', path, { method: 'GET' }))?.metadataRequest, true, path);
      }
    });

    it('answers the root metadata path for a root resource', () => {
      const root = runtimePolicy({ resource: 'https://root.example.com' }, { name: 'root', namespace: 'ns' });
      const snapshot = new PolicySnapshot([root], 1);
      const selection = snapshot.select(request('root.example.com', '/.well-known/oauth-protected-resource', { method: 'GET' }));
      assert.equal(selection?.metadataRequest, true);
      assert.equal(selection.policy.id, 'ns/root');
    });

    it('answers metadata only on the policy\'s hosts', () => {
      const snapshot = new PolicySnapshot([mcp], 1);
      assert.equal(snapshot.select(request('other.example.com', '/.well-known/oauth-protected-resource/mcp', { method: 'GET' })), undefined);
    });

    it('answers metadata on a wildcard host', () => {
      const wildcard = runtimePolicy({ resource: 'https://mcp.example.com/mcp', hosts: ['*.example.com'] }, { name: 'wild', namespace: 'ns' });
      const snapshot = new PolicySnapshot([wildcard], 1);
      assert.equal(snapshot.select(request('a.example.com', '/.well-known/oauth-protected-resource/mcp', { method: 'GET' }))?.metadataRequest, true);
    });
  });

  describe('no match', () => {
    it('returns undefined from an empty snapshot', () => {
      assert.equal(new PolicySnapshot([], 0).select(request('mcp.example.com', '/mcp')), undefined);
    });

    it('orders policies oldest first', () => {
      const snapshot = new PolicySnapshot([policy('b', ['b.example.com'], ['/'], 2), policy('a', ['a.example.com'], ['/'], 1)], 3);
      assert.deepEqual(snapshot.policies.map((entry) => entry.id), ['ns/a', 'ns/b']);
      assert.equal(snapshot.generation, 3);
    });
  });
});
