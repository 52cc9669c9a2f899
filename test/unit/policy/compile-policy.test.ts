// Compiling a valid AudiencePolicy into its runtime form (docs/contract.md §1.2
// defaults, §2.2 accepted set, §2.9 RFC 9728 metadata URL and document, §2.6
// implications).
import { strict as assert } from 'node:assert';
import { canonicalAudience } from '../../../src/core/audience.ts';
import { compilePolicy } from '../../../src/policy/compile-policy.ts';
import { POLICY_DEFAULTS } from '../../../src/policy/policy-defaults.ts';
import { ISSUER, policyDocument, runtimePolicy } from '../policy-fixtures.ts';

function metadataDocument(overrides: Parameters<typeof runtimePolicy>[0] = {}): Record<string, unknown> {
  return JSON.parse(runtimePolicy(overrides).metadataDocument) as Record<string, unknown>;
}

describe('policy compilation', () => {
  describe('defaults (docs/contract.md §1.2)', () => {
    it('protects the host of the resource when hosts is absent', () => {
      assert.deepEqual(runtimePolicy().hosts, ['mcp.example.com']);
    });

    it('lower-cases the default host', () => {
      assert.deepEqual(runtimePolicy({ resource: 'https://MCP.Example.COM/mcp' }).hosts, ['mcp.example.com']);
    });

    it('ignores the port of the resource for the default host', () => {
      assert.deepEqual(runtimePolicy({ resource: 'https://mcp.example.com:8443/mcp' }).hosts, ['mcp.example.com']);
    });

    it('lower-cases configured hosts', () => {
      assert.deepEqual(runtimePolicy({ hosts: ['A.Example.com', '*.B.example.COM'] }).hosts, ['a.example.com', '*.b.example.com']);
    });

    it('takes the path of the resource as the default path prefix', () => {
      assert.deepEqual(runtimePolicy().pathPrefixes, ['/mcp']);
    });

    it('takes / as the path prefix of a resource without a path', () => {
      assert.deepEqual(runtimePolicy({ resource: 'https://mcp.example.com' }).pathPrefixes, ['/']);
      assert.deepEqual(runtimePolicy({ resource: 'https://mcp.example.com/' }).pathPrefixes, ['/']);
    });

    it('drops a trailing slash from a path prefix (segment-boundary matching covers it)', () => {
      assert.deepEqual(runtimePolicy({ resource: 'https://mcp.example.com/mcp/' }).pathPrefixes, ['/mcp']);
      assert.deepEqual(runtimePolicy({ pathPrefixes: ['/a/', '/', '/b//'] }).pathPrefixes, ['/a', '/', '/b']);
    });

    it('defaults mode to Strict', () => {
      assert.equal(runtimePolicy().mode, 'Strict');
      assert.equal(runtimePolicy({ mode: 'Permissive' }).mode, 'Permissive');
    });

    it('defaults clockSkewSeconds to 60, and keeps an explicit 0', () => {
      assert.equal(POLICY_DEFAULTS.clockSkewSeconds, 60);
      assert.equal(runtimePolicy().clockSkewSeconds, 60);
      assert.equal(runtimePolicy({ clockSkewSeconds: 0 }).clockSkewSeconds, 0);
    });

    it('defaults an issuer to RS256 PS256 ES256 ES384 EdDSA and profile rfc9068', () => {
      const issuer = runtimePolicy().issuers.get(ISSUER);
      assert.ok(issuer !== undefined);
      assert.deepEqual([...issuer.algorithms], ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA']);
      assert.equal(issuer.profile, 'rfc9068');
      assert.equal(issuer.jwksUri, undefined);
    });

    it('keeps the configured algorithms, profile and jwksUri of an issuer', () => {
      const issuer = runtimePolicy({ issuers: [{ issuer: ISSUER, algorithms: ['ES256'], profile: 'jwt', jwksUri: 'https://idp.example.com/certs' }] }).issuers.get(ISSUER);
      assert.ok(issuer !== undefined);
      assert.deepEqual([...issuer.algorithms], ['ES256']);
      assert.equal(issuer.profile, 'jwt');
      assert.equal(issuer.jwksUri, 'https://idp.example.com/certs');
    });

    it('never lets a default algorithm be none or HMAC', () => {
      for (const alg of runtimePolicy().issuers.get(ISSUER)?.algorithms ?? []) assert.doesNotMatch(alg, /^(none|HS)/i);
    });

    it('indexes issuers by their exact iss value', () => {
      const policy = runtimePolicy({ issuers: [{ issuer: ISSUER }, { issuer: 'https://other.example.com' }] });
      assert.deepEqual([...policy.issuers.keys()], [ISSUER, 'https://other.example.com']);
      assert.equal(policy.issuers.get(ISSUER.toUpperCase()), undefined);
    });

    it('names the policy NAMESPACE/NAME, with namespace default when absent', () => {
      assert.equal(runtimePolicy({}, { name: 'w', namespace: 'mcp' }).id, 'mcp/w');
      const document = policyDocument();
      document.metadata = { name: 'w' };
      assert.equal(compilePolicy(document, { createdAt: 0, loadOrder: 0 }).id, 'default/w');
    });

    it('requires no scopes by default', () => {
      assert.deepEqual(runtimePolicy().requiredScopes, []);
    });

    it('is frozen', () => {
      const policy = runtimePolicy();
      assert.equal(Object.isFrozen(policy), true);
      assert.equal(Object.isFrozen(policy.hosts), true);
      assert.equal(Object.isFrozen(policy.pathPrefixes), true);
    });

    it('records age as creation time, then load order', () => {
      assert.deepEqual([...runtimePolicy({}, { createdAt: 5, loadOrder: 2 }).age], [5, 2]);
    });
  });

  describe('accepted audiences (docs/contract.md §2.2)', () => {
    it('accepts the resource and every extra audience, in canonical form', () => {
      const policy = runtimePolicy({ resource: 'https://MCP.example.com:443/mcp', audiences: ['api://weather', 'HTTPS://Other.example.com'] });
      assert.deepEqual([...policy.acceptedAudiences].sort(), ['api://weather', 'https://mcp.example.com/mcp', 'https://other.example.com/']);
    });

    it('keeps the accepted set in the same canonical form the audience rule computes', () => {
      const policy = runtimePolicy({ audiences: ['api://Weather', 'https://A.example.com:443', 'http://127.0.0.1:80/x'] });
      for (const value of policy.acceptedAudiences) assert.equal(canonicalAudience(value), value);
    });

    it('does not normalise an extra non-URI audience', () => {
      assert.ok(runtimePolicy({ audiences: ['API://Weather'] }).acceptedAudiences.has('API://Weather'));
    });
  });

  describe('scope implications (docs/contract.md §2.6)', () => {
    it('closes a chain a -> b -> c transitively', () => {
      const implications = runtimePolicy({ scopeImplications: { a: ['b'], b: ['c'] } }).scopeImplications;
      assert.deepEqual([...(implications.get('a') ?? [])].sort(), ['b', 'c']);
      assert.deepEqual([...(implications.get('b') ?? [])], ['c']);
    });

    it('closes a longer chain and a diamond', () => {
      const implications = runtimePolicy({ scopeImplications: { a: ['b', 'c'], b: ['d'], c: ['d'], d: ['e'] } }).scopeImplications;
      assert.deepEqual([...(implications.get('a') ?? [])].sort(), ['b', 'c', 'd', 'e']);
    });

    it('terminates on a cycle', () => {
      const implications = runtimePolicy({ scopeImplications: { a: ['b'], b: ['a'] } }).scopeImplications;
      assert.ok(implications.get('a')?.includes('b'));
      assert.ok(implications.get('b')?.includes('a'));
    });

    it('does not invent implications for scopes that imply nothing', () => {
      const implications = runtimePolicy({ scopeImplications: { a: ['b'] } }).scopeImplications;
      assert.equal(implications.get('b'), undefined);
    });
  });

  describe('RFC 9728 metadata URL', () => {
    it('inserts the well-known segment between host and path', () => {
      const policy = runtimePolicy({ resource: 'https://mcp.example.com/mcp' });
      assert.equal(policy.metadataUrl, 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp');
      assert.equal(policy.metadataPath, '/.well-known/oauth-protected-resource/mcp');
    });

    it('adds no suffix for a root resource', () => {
      for (const resource of ['https://mcp.example.com', 'https://mcp.example.com/']) {
        const policy = runtimePolicy({ resource });
        assert.equal(policy.metadataUrl, 'https://mcp.example.com/.well-known/oauth-protected-resource');
        assert.equal(policy.metadataPath, '/.well-known/oauth-protected-resource');
      }
    });

    it('keeps a deeper path', () => {
      assert.equal(runtimePolicy({ resource: 'https://api.example.com/tenants/a/mcp' }).metadataPath, '/.well-known/oauth-protected-resource/tenants/a/mcp');
    });

    it('keeps a non-default port and drops the default one', () => {
      assert.equal(runtimePolicy({ resource: 'https://mcp.example.com:8443/mcp' }).metadataUrl, 'https://mcp.example.com:8443/.well-known/oauth-protected-resource/mcp');
      assert.equal(runtimePolicy({ resource: 'https://mcp.example.com:443/mcp' }).metadataUrl, 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp');
    });

    it('keeps the scheme of a loopback http resource', () => {
      assert.equal(runtimePolicy({ resource: 'http://127.0.0.1:8080/mcp' }).metadataUrl, 'http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp');
    });

    it('is a URL on the protected host whose path is metadataPath', () => {
      const policy = runtimePolicy({ resource: 'https://mcp.example.com/a/b' });
      const url = new URL(policy.metadataUrl);
      assert.equal(url.pathname, policy.metadataPath);
      assert.equal(url.hostname, 'mcp.example.com');
    });
  });

  describe('RFC 9728 metadata document', () => {
    it('names the resource exactly as configured', () => {
      assert.equal(metadataDocument({ resource: 'https://mcp.example.com/mcp' }).resource, 'https://mcp.example.com/mcp');
      assert.equal(metadataDocument({ resource: 'https://MCP.example.com/mcp/' }).resource, 'https://MCP.example.com/mcp/');
    });

    it('lists every issuer as an authorization server', () => {
      assert.deepEqual(metadataDocument({ issuers: [{ issuer: ISSUER }, { issuer: 'https://other.example.com' }] }).authorization_servers, [ISSUER, 'https://other.example.com']);
    });

    it('supports only the header bearer method', () => {
      assert.deepEqual(metadataDocument().bearer_methods_supported, ['header']);
    });

    it('advertises the required scopes by default', () => {
      assert.deepEqual(metadataDocument({ requiredScopes: ['mcp:tools'] }).scopes_supported, ['mcp:tools']);
    });

    it('advertises the configured scopesSupported over the required scopes', () => {
      assert.deepEqual(metadataDocument({ requiredScopes: ['mcp:tools'], resourceMetadata: { scopesSupported: ['mcp:tools', 'mcp:admin'] } }).scopes_supported, ['mcp:tools', 'mcp:admin']);
    });

    it('never advertises offline_access', () => {
      const document = metadataDocument({ resourceMetadata: { scopesSupported: ['offline_access', 'mcp:tools'] } });
      assert.deepEqual(document.scopes_supported, ['mcp:tools']);
      assert.equal(JSON.stringify(metadataDocument({ requiredScopes: ['offline_access', 'a'] })).includes('offline_access'), false);
    });

    it('has no empty arrays: omits scopes_supported when there are none', () => {
      for (const overrides of [{}, { requiredScopes: [] }, { resourceMetadata: { scopesSupported: [] } }, { resourceMetadata: { scopesSupported: ['offline_access'] } }]) {
        const document = metadataDocument(overrides);
        assert.equal('scopes_supported' in document, false, JSON.stringify(overrides));
        for (const value of Object.values(document)) if (Array.isArray(value)) assert.ok(value.length > 0);
      }
    });

    it('adds resource_name and resource_documentation only when set', () => {
      const plain = metadataDocument();
      assert.equal('resource_name' in plain, false);
      assert.equal('resource_documentation' in plain, false);
      const extra = metadataDocument({ resourceMetadata: { resourceName: 'Weather MCP', resourceDocumentation: 'https://docs.example.com/weather' } });
      assert.equal(extra.resource_name, 'Weather MCP');
      assert.equal(extra.resource_documentation, 'https://docs.example.com/weather');
    });

    it('contains only RFC 9728 fields', () => {
      const document = metadataDocument({ requiredScopes: ['a'], resourceMetadata: { resourceName: 'n', resourceDocumentation: 'https://d.example.com' } });
      const known = new Set(['resource', 'authorization_servers', 'bearer_methods_supported', 'scopes_supported', 'resource_name', 'resource_documentation']);
      for (const key of Object.keys(document)) assert.ok(known.has(key), key);
    });
  });
});
