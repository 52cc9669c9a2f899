// Host ownership between namespaces (Kubernetes mode, no --namespace-hosts): a
// host belongs to the namespace whose claim on it is oldest; another
// namespace's policies for that host serve nothing there and are conflicted,
// whatever their path prefixes or wildcards — RFC 9728 metadata included.
import { strict as assert } from 'node:assert';
import type { HttpRequestView } from '../../../src/core/http-request.ts';
import { PolicySnapshot } from '../../../src/core/policy-snapshot.ts';
import type { RuntimePolicy } from '../../../src/core/runtime-policy.ts';
import { runtimePolicy } from '../policy-fixtures.ts';

function request(host: string, path: string, method = 'POST'): HttpRequestView {
  return { method, host, path, authorization: undefined, policyReference: undefined };
}

function claim(id: string, hosts: string[], pathPrefixes: string[], createdAt: number, resource = 'https://mcp.example.com/mcp', issuer = 'https://idp.example.com/realms/mcp'): RuntimePolicy {
  const [namespace = '', name = ''] = id.split('/');
  return runtimePolicy({ resource, hosts, pathPrefixes, issuers: [{ issuer }] }, { name, namespace, createdAt });
}

const owned = (policies: RuntimePolicy[]): PolicySnapshot => new PolicySnapshot(policies, 1, { namespaceOwnsHosts: true });
const selected = (snapshot: PolicySnapshot, host: string, path: string, method?: string): string | undefined => snapshot.select(request(host, path, method))?.policy.id;
const conflictsOf = (snapshot: PolicySnapshot, id: string): { winner: string; host: string; pathPrefix: string | undefined }[] =>
  snapshot.conflicts.filter((conflict) => conflict.policy.id === id).map((conflict) => ({ winner: conflict.winner.id, host: conflict.host, pathPrefix: conflict.pathPrefix }));

describe('host ownership between namespaces', () => {
  it('attack: a longer path prefix from another namespace must not take the owner\'s requests', () => {
    const snapshot = owned([claim('team-a/weather', ['mcp.example.com'], ['/'], 1), claim('team-b/intruder', ['mcp.example.com'], ['/mcp/admin'], 2)]);
    assert.equal(selected(snapshot, 'mcp.example.com', '/mcp/admin'), 'team-a/weather');
    assert.deepEqual(conflictsOf(snapshot, 'team-b/intruder'), [{ winner: 'team-a/weather', host: 'mcp.example.com', pathPrefix: undefined }]);
    assert.deepEqual(conflictsOf(snapshot, 'team-a/weather'), []);
  });

  it('attack: an exact host from another namespace must not override the owner\'s wildcard', () => {
    const snapshot = owned([claim('team-a/all', ['*.example.com'], ['/'], 1), claim('team-b/intruder', ['mcp.example.com'], ['/'], 2)]);
    assert.equal(selected(snapshot, 'mcp.example.com', '/mcp'), 'team-a/all');
    assert.deepEqual(conflictsOf(snapshot, 'team-b/intruder'), [{ winner: 'team-a/all', host: 'mcp.example.com', pathPrefix: undefined }]);
  });

  it('attack: a younger wildcard from another namespace must not serve the owner\'s exact host, not even its unclaimed paths', () => {
    const snapshot = owned([claim('team-a/weather', ['mcp.example.com'], ['/mcp'], 1), claim('team-b/all', ['*.example.com'], ['/'], 2)]);
    assert.equal(selected(snapshot, 'mcp.example.com', '/mcp'), 'team-a/weather');
    assert.equal(snapshot.select(request('mcp.example.com', '/other')), undefined, 'no fall-through to the other namespace\'s wildcard');
    assert.equal(selected(snapshot, 'other.example.com', '/other'), 'team-b/all', 'the wildcard keeps the hosts nobody else claimed');
    assert.deepEqual(conflictsOf(snapshot, 'team-b/all'), [{ winner: 'team-a/weather', host: 'mcp.example.com', pathPrefix: undefined }]);
    assert.deepEqual(conflictsOf(snapshot, 'team-a/weather'), []);
  });

  it('gives an older wildcard the hosts under a younger, narrower wildcard of another namespace, and the reverse', () => {
    const broadFirst = owned([claim('team-a/broad', ['*.example.com'], ['/'], 1), claim('team-b/narrow', ['*.b.example.com'], ['/'], 2)]);
    assert.equal(selected(broadFirst, 'x.b.example.com', '/'), 'team-a/broad');
    assert.deepEqual(conflictsOf(broadFirst, 'team-b/narrow'), [{ winner: 'team-a/broad', host: '*.b.example.com', pathPrefix: undefined }]);
    const narrowFirst = owned([claim('team-a/broad', ['*.example.com'], ['/'], 2), claim('team-b/narrow', ['*.b.example.com'], ['/'], 1)]);
    assert.equal(selected(narrowFirst, 'x.b.example.com', '/'), 'team-b/narrow');
    assert.equal(selected(narrowFirst, 'x.c.example.com', '/'), 'team-a/broad');
    assert.deepEqual(conflictsOf(narrowFirst, 'team-a/broad'), [{ winner: 'team-b/narrow', host: '*.b.example.com', pathPrefix: undefined }]);
  });

  it('serves a host from the namespace whose claim is oldest, whatever the order the policies arrive in', () => {
    const older = claim('team-a/first', ['mcp.example.com'], ['/mcp'], 100);
    const younger = claim('team-b/second', ['mcp.example.com'], ['/mcp'], 200);
    for (const order of [[older, younger], [younger, older]]) {
      const snapshot = owned(order);
      assert.equal(selected(snapshot, 'mcp.example.com', '/mcp'), 'team-a/first');
      assert.deepEqual(snapshot.conflicts.map((conflict) => conflict.policy.id), ['team-b/second']);
    }
  });

  it('lets the owning namespace keep its own rules: exact before wildcard, longest prefix, path conflicts within it', () => {
    const snapshot = owned([
      claim('team-a/wild', ['*.example.com'], ['/'], 1),
      claim('team-a/exact', ['mcp.example.com'], ['/mcp'], 2),
      claim('team-a/copy', ['mcp.example.com'], ['/mcp'], 3),
    ]);
    assert.equal(selected(snapshot, 'mcp.example.com', '/mcp/x'), 'team-a/exact');
    assert.equal(selected(snapshot, 'mcp.example.com', '/other'), 'team-a/wild');
    assert.deepEqual(conflictsOf(snapshot, 'team-a/copy'), [{ winner: 'team-a/exact', host: 'mcp.example.com', pathPrefix: '/mcp' }]);
  });

  it('attack: another namespace\'s policy must not answer the owner\'s RFC 9728 metadata document with its own authorization server', () => {
    const owner = claim('team-a/weather', ['mcp.example.com'], ['/mcp'], 1);
    // Same resource, hence the same metadata path, but the intruder's own authorization server.
    const ownerFirst = owned([claim('team-b/intruder', ['mcp.example.com'], ['/admin'], 2, 'https://mcp.example.com/mcp', 'https://evil.example.net'), owner]);
    const selection = ownerFirst.select(request('mcp.example.com', owner.metadataPath, 'GET'));
    assert.equal(selection?.policy.id, 'team-a/weather');
    assert.equal(selection.metadataRequest, true);
    assert.doesNotMatch(selection.policy.metadataDocument, /evil/);
    const other = claim('team-b/other-doc', ['mcp.example.com'], ['/x'], 3, 'https://mcp.example.com/other');
    assert.equal(owned([owner, other]).select(request('mcp.example.com', other.metadataPath, 'GET')), undefined, 'a metadata path only the intruder has');
  });

  it('keeps the old cross-namespace behaviour without ownership (file mode: every policy is the operator\'s)', () => {
    const snapshot = new PolicySnapshot([claim('team-a/weather', ['mcp.example.com'], ['/'], 1), claim('team-b/admin', ['mcp.example.com'], ['/mcp/admin'], 2)], 1);
    assert.equal(selected(snapshot, 'mcp.example.com', '/mcp/admin'), 'team-b/admin');
    assert.deepEqual(snapshot.conflicts, []);
  });
});
