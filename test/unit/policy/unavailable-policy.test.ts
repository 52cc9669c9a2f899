// The placeholder for a refused policy with no accepted version: it claims,
// best effort, what the refused object meant to claim, and every request it is
// selected for — metadata and explicit references included — is denied 503
// policy_unavailable, so its paths never fall through to a laxer policy.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { jwtCheckEnvironment } from '../../../src/core/check-environment.ts';
import { decide } from '../../../src/core/check-pipeline.ts';
import type { HttpRequestView } from '../../../src/core/http-request.ts';
import { PolicySnapshot } from '../../../src/core/policy-snapshot.ts';
import { unavailablePolicy, type PlaceholderContext } from '../../../src/policy/unavailable-policy.ts';
import { runtimePolicy } from '../policy-fixtures.ts';

const CONTEXT: PlaceholderContext = { createdAt: 0, loadOrder: 0, mayClaimHost: () => true };

function refused(spec: unknown, metadata: Record<string, unknown> = { name: 'admin', namespace: 'mcp', generation: 2 }): unknown {
  return { apiVersion: 'audienceguard.dev/v1alpha1', kind: 'AudiencePolicy', metadata, spec };
}

function claims(object: unknown, context = CONTEXT): { hosts: readonly string[]; pathPrefixes: readonly string[]; metadataPath: string } | undefined {
  const policy = unavailablePolicy(object, context);
  return policy === undefined ? undefined : { hosts: policy.hosts, pathPrefixes: policy.pathPrefixes, metadataPath: policy.metadataPath };
}

describe('placeholder for a refused policy without an accepted version', () => {
  it('claims the well-formed hosts and path prefixes it lists', () => {
    assert.deepEqual(claims(refused({ resource: 'https://mcp.example.com/admin', hosts: ['MCP.example.com', 'bad host', '*.tools.example.com'], pathPrefixes: ['/admin/', 'admin', '/ops'], mode: 'Lax' })), {
      hosts: ['mcp.example.com', '*.tools.example.com'], pathPrefixes: ['/admin', '/ops'], metadataPath: '/.well-known/oauth-protected-resource/admin',
    });
  });

  it('falls back to the host and path of spec.resource when the lists are absent or hold nothing well-formed', () => {
    assert.deepEqual(claims(refused({ resource: 'http://mcp.example.com:8080/admin', issuers: [] })), {
      hosts: ['mcp.example.com'], pathPrefixes: ['/admin'], metadataPath: '/.well-known/oauth-protected-resource/admin',
    });
    assert.deepEqual(claims(refused({ resource: 'https://mcp.example.com/admin', hosts: 'mcp.example.com', pathPrefixes: [42] }))?.pathPrefixes, ['/admin']);
  });

  it('closes every path of its hosts when no path can be read, and claims no metadata path', () => {
    assert.deepEqual(claims(refused({ resource: 'not a uri', hosts: ['mcp.example.com'] })), { hosts: ['mcp.example.com'], pathPrefixes: ['/'], metadataPath: '' });
  });

  it('claims nothing when no host can be read, or none its namespace may claim', () => {
    assert.equal(claims(refused({ resource: 'urn:example:admin' })), undefined);
    assert.equal(claims(refused(null)), undefined);
    assert.equal(claims(refused({ resource: 'https://web.example.com/admin' }), { ...CONTEXT, mayClaimHost: (host) => host === 'mcp.example.com' }), undefined);
    assert.deepEqual(claims(refused({ resource: 'https://web.example.com/admin', hosts: ['web.example.com', 'mcp.example.com'] }), { ...CONTEXT, mayClaimHost: (host) => host === 'mcp.example.com' })?.hosts, ['mcp.example.com']);
  });

  it('never throws, trusts no issuer or audience, and claims only well-formed hosts and prefixes (property)', () => {
    const hostLike = fc.oneof(fc.constantFrom('mcp.example.com', '*.example.com', 'A.EXAMPLE.com', '', 'a b', '*.', '-x.com'), fc.string());
    const pathLike = fc.oneof(fc.constantFrom('/admin', '/', 'admin', '/a?b', '/x#', ''), fc.string());
    const spec = fc.record({
      resource: fc.oneof(fc.constantFrom('https://mcp.example.com/admin', 'http://x', 'urn:x', 'https://[::1]/a'), fc.string(), fc.integer()),
      hosts: fc.oneof(fc.array(fc.oneof(hostLike, fc.integer())), fc.string(), fc.constant(undefined)),
      pathPrefixes: fc.oneof(fc.array(fc.oneof(pathLike, fc.integer())), fc.constant(undefined)),
      issuers: fc.anything(),
    }, { requiredKeys: [] });
    fc.assert(fc.property(fc.oneof(spec, fc.anything()), fc.anything(), (value, metadata) => {
      const policy = unavailablePolicy(refused(value, metadata as Record<string, unknown>), CONTEXT);
      if (policy === undefined) return;
      assert.equal(policy.unavailable, true);
      assert.equal(policy.issuerList.length + policy.acceptedAudiences.size, 0);
      assert.ok(policy.hosts.length > 0 && policy.hosts.length <= 32);
      for (const host of policy.hosts) assert.equal(host, host.toLowerCase());
      for (const prefix of policy.pathPrefixes) assert.match(prefix, /^\/[^?#]*$/);
    }));
  });

  it('attack: a request on its paths must be denied 503 policy_unavailable, not decided by the lax / policy', async () => {
    const lax = runtimePolicy({ resource: 'https://mcp.example.com/mcp', pathPrefixes: ['/'] }, { name: 'site' });
    const placeholder = unavailablePolicy(refused({ resource: 'https://mcp.example.com/admin', mode: 'Lax' }), CONTEXT);
    assert.ok(placeholder !== undefined);
    const snapshot = new PolicySnapshot([lax, placeholder], 1);
    const env = jwtCheckEnvironment({ keys: { resolve: () => Promise.reject(new Error('no key may be looked up')) }, now: () => 0, maxTokenBytes: 16_384 });
    const request = (path: string, method = 'POST', policyReference?: string): HttpRequestView => ({ method, host: 'mcp.example.com', path, authorization: 'Bearer a.b.c', policyReference });
    for (const view of [request('/admin'), request('/admin/users'), request('/.well-known/oauth-protected-resource/admin', 'GET'), request('/anything', 'POST', 'mcp/admin')]) {
      const decision = await decide(view, snapshot, env);
      assert.equal(decision.kind, 'deny', view.path);
      assert.equal(decision.reason, 'policy_unavailable', view.path);
      assert.equal(decision.policy?.id, 'mcp/admin');
    }
    assert.equal((await decide(request('/mcp'), snapshot, env)).policy?.id, 'mcp/site', 'the lax policy keeps its own paths');
  });
});
