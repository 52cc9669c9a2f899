// AudiencePolicy validation (docs/contract.md §1.3): the schema plus the semantic
// rules. Every problem names a JSON pointer to the field to fix.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { validatePolicy, type PolicyProblem } from '../../../src/policy/validate-policy.ts';
import { ISSUER, policyDocument } from '../policy-fixtures.ts';

type Mutable = Record<string, unknown> & { spec: Record<string, unknown>; metadata: Record<string, unknown> };

function document(specOverrides: Record<string, unknown> = {}): Mutable {
  const base = JSON.parse(JSON.stringify(policyDocument())) as Mutable;
  return { ...base, spec: { ...base.spec, ...specOverrides } };
}

function problems(value: unknown): readonly PolicyProblem[] {
  const result = validatePolicy(value);
  assert.ok(!result.valid, `expected ${JSON.stringify(value)} to be invalid`);
  return result.problems;
}

function assertProblemAt(value: unknown, path: string, message?: RegExp): void {
  const found = problems(value);
  const atPath = found.filter((problem) => problem.path === path);
  assert.ok(atPath.length > 0, `no problem at ${path}: ${JSON.stringify(found)}`);
  if (message !== undefined) assert.ok(atPath.some((problem) => message.test(problem.message)), `no problem at ${path} matching ${String(message)}: ${JSON.stringify(atPath)}`);
}

function assertValid(value: unknown): void {
  const result = validatePolicy(value);
  assert.ok(result.valid, result.valid ? '' : JSON.stringify(result.problems));
}

const range = (count: number, make: (index: number) => unknown): unknown[] => Array.from({ length: count }, (_, index) => make(index));

describe('AudiencePolicy validation (docs/contract.md §1.3)', () => {
  describe('valid documents', () => {
    it('accepts a minimal policy: resource and one issuer', () => {
      assertValid(document());
    });

    it('returns the document itself when valid', () => {
      const value = document();
      const result = validatePolicy(value);
      assert.ok(result.valid);
      assert.deepEqual(result.policy, value);
    });

    it('accepts a policy using every field of docs/contract.md §1.2', () => {
      assertValid({
        ...document({
          resource: 'https://weather.example.com/mcp',
          audiences: ['api://weather'],
          hosts: ['weather.example.com', '*.weather.example.com'],
          pathPrefixes: ['/mcp'],
          issuers: [{ issuer: 'https://idp.example.com/realms/mcp', jwksUri: 'https://idp.example.com/realms/mcp/certs', algorithms: ['RS256', 'ES256'], profile: 'rfc9068' }],
          requiredScopes: ['mcp:tools'],
          scopeImplications: { 'mcp:admin': ['mcp:tools'] },
          mode: 'Strict',
          clockSkewSeconds: 60,
          resourceMetadata: { resourceName: 'Weather MCP', resourceDocumentation: 'https://docs.example.com/weather', scopesSupported: ['mcp:tools'] },
        }),
        status: { observedGeneration: 3, conditions: [] },
      });
    });

    it('accepts a metadata.namespace and Kubernetes bookkeeping fields', () => {
      const value = document();
      value.metadata = { name: 'weather', namespace: 'mcp', uid: 'abc', resourceVersion: '1', generation: 2, creationTimestamp: '2025-01-01T00:00:00Z', labels: { a: 'b' } };
      assertValid(value);
    });

    for (const resource of ['http://127.0.0.1/mcp', 'http://127.0.0.1:8080/mcp', 'http://localhost:3000/mcp', 'http://[::1]:3000/mcp', 'http://127.1.2.3/mcp']) {
      it(`allows plain http for the loopback resource ${resource}`, () => {
        assertValid(document({ resource }));
      });
    }

    it('allows plain http for a loopback issuer', () => {
      assertValid(document({ issuers: [{ issuer: 'http://127.0.0.1:8080/realms/dev' }] }));
    });

    it('allows a query in jwksUri', () => {
      assertValid(document({ issuers: [{ issuer: ISSUER, jwksUri: 'https://idp.example.com/keys?tenant=a' }] }));
    });

    it('accepts the limits exactly: 8 issuers, 32 hosts, 32 path prefixes, 64 audiences', () => {
      assertValid(document({
        issuers: range(8, (index) => ({ issuer: `https://idp${index}.example.com` })),
        hosts: range(32, (index) => `h${index}.example.com`),
        pathPrefixes: range(32, (index) => `/p${index}`),
        audiences: range(64, (index) => `api://a${index}`),
      }));
    });

    it('accepts clockSkewSeconds 0 and 300', () => {
      assertValid(document({ clockSkewSeconds: 0 }));
      assertValid(document({ clockSkewSeconds: 300 }));
    });

    it('accepts mode Permissive and profile jwt', () => {
      assertValid(document({ mode: 'Permissive', issuers: [{ issuer: ISSUER, profile: 'jwt' }] }));
    });
  });

  describe('resource', () => {
    const cases: readonly (readonly [string, string, RegExp])[] = [
      ['http for a non-loopback host', 'http://mcp.example.com/mcp', /https/],
      ['http for a private address', 'http://10.0.0.1/mcp', /https/],
      ['http for a host that only starts with localhost', 'http://localhost.example.com/mcp', /https/],
      ['a fragment', 'https://mcp.example.com/mcp#x', /fragment/],
      ['an empty fragment', 'https://mcp.example.com/mcp#', /fragment/],
      ['a query', 'https://mcp.example.com/mcp?x=1', /query/],
      ['an empty query', 'https://mcp.example.com/mcp?', /query/],
      ['userinfo', 'https://user@mcp.example.com/mcp', /userinfo/],
      ['userinfo with a password', 'https://user:pw@mcp.example.com/mcp', /userinfo/],
      ['a relative URI', '/mcp', /absolute/],
      ['a URI without //', 'https:mcp.example.com/mcp', /absolute/],
      ['a bare host', 'mcp.example.com/mcp', /absolute/],
      ['another scheme', 'ftp://mcp.example.com/mcp', /https/],
      ['white space', 'https://mcp.example.com/m cp', /white space|absolute/],
    ];
    for (const [what, resource, message] of cases) {
      it(`must not contain ${what}: ${resource}`, () => {
        assertProblemAt(document({ resource }), '/spec/resource', message);
      });
    }

    it('is required', () => {
      const value = document();
      delete value.spec.resource;
      assertProblemAt(value, '/spec', /resource/);
    });

    it('must be a string', () => {
      assertProblemAt(document({ resource: 42 }), '/spec/resource');
    });
  });

  describe('issuers', () => {
    it('are required', () => {
      const value = document();
      delete value.spec.issuers;
      assertProblemAt(value, '/spec', /issuers/);
    });

    it('must not be empty', () => {
      assertProblemAt(document({ issuers: [] }), '/spec/issuers');
    });

    it('must not be more than 8', () => {
      assertProblemAt(document({ issuers: range(9, (index) => ({ issuer: `https://idp${index}.example.com` })) }), '/spec/issuers');
    });

    for (const [what, issuer, message] of [
      ['http for a non-loopback host', 'http://idp.example.com', /https/],
      ['a fragment', 'https://idp.example.com/#x', /fragment/],
      ['a query', 'https://idp.example.com/?tenant=a', /query/],
      ['userinfo', 'https://admin@idp.example.com', /userinfo/],
      ['a relative URI', 'idp.example.com', /absolute/],
    ] as const) {
      it(`must not have an issuer URL with ${what}`, () => {
        assertProblemAt(document({ issuers: [{ issuer: ISSUER }, { issuer }] }), '/spec/issuers/1/issuer', message);
      });
    }

    it('must not list the same issuer twice', () => {
      assertProblemAt(document({ issuers: [{ issuer: ISSUER }, { issuer: ISSUER }] }), '/spec/issuers/1/issuer', /duplicate/);
    });

    it('must not have a jwksUri over plain http for a non-loopback host', () => {
      assertProblemAt(document({ issuers: [{ issuer: ISSUER, jwksUri: 'http://idp.example.com/certs' }] }), '/spec/issuers/0/jwksUri', /https/);
    });

    for (const alg of ['HS256', 'HS384', 'HS512', 'none', 'None', 'rs256', 'RSA-OAEP', 'dir']) {
      it(`must not allow the algorithm ${alg}`, () => {
        assertProblemAt(document({ issuers: [{ issuer: ISSUER, algorithms: ['RS256', alg] }] }), '/spec/issuers/0/algorithms/1');
      });
    }

    it('must not have an empty algorithm list', () => {
      assertProblemAt(document({ issuers: [{ issuer: ISSUER, algorithms: [] }] }), '/spec/issuers/0/algorithms');
    });

    it('must not repeat an algorithm', () => {
      assertProblemAt(document({ issuers: [{ issuer: ISSUER, algorithms: ['RS256', 'RS256'] }] }), '/spec/issuers/0/algorithms');
    });

    it('must not have an unknown profile', () => {
      assertProblemAt(document({ issuers: [{ issuer: ISSUER, profile: 'oidc' }] }), '/spec/issuers/0/profile');
    });

    it('must not have an unknown issuer field', () => {
      assertProblemAt(document({ issuers: [{ issuer: ISSUER, jwks: 'https://idp.example.com/certs' }] }), '/spec/issuers/0', /unknown field "jwks"/);
    });
  });

  describe('limits', () => {
    it('must not have more than 32 hosts', () => {
      assertProblemAt(document({ hosts: range(33, (index) => `h${index}.example.com`) }), '/spec/hosts');
    });

    it('must not have more than 32 path prefixes', () => {
      assertProblemAt(document({ pathPrefixes: range(33, (index) => `/p${index}`) }), '/spec/pathPrefixes');
    });

    it('must not have more than 64 audiences', () => {
      assertProblemAt(document({ audiences: range(65, (index) => `api://a${index}`) }), '/spec/audiences');
    });

    it('must not have more than 64 scope implications', () => {
      assertProblemAt(document({ scopeImplications: Object.fromEntries(Array.from({ length: 65 }, (_, index) => [`s${String(index)}`, ['mcp:tools']])) }), '/spec/scopeImplications');
    });

    for (const key of ['', 'k'.repeat(257)]) {
      it(`must not accept a scope implication key of ${String(key.length)} characters`, () => {
        assertProblemAt(document({ scopeImplications: { [key]: ['mcp:tools'] } }), `/spec/scopeImplications/${key}`, /1 to 256 characters/);
      });
    }

    for (const clockSkewSeconds of [301, -1, 1.5, '60']) {
      it(`must not accept clockSkewSeconds ${JSON.stringify(clockSkewSeconds)}`, () => {
        assertProblemAt(document({ clockSkewSeconds }), '/spec/clockSkewSeconds');
      });
    }
  });

  describe('other spec fields', () => {
    it('must not accept an audience URI with a fragment (it could never match)', () => {
      assertProblemAt(document({ audiences: ['api://weather', 'https://mcp.example.com/mcp#x'] }), '/spec/audiences/1', /fragment/);
    });

    it('must not accept an empty audience', () => {
      assertProblemAt(document({ audiences: [''] }), '/spec/audiences/0');
    });

    for (const host of ['https://mcp.example.com', 'mcp.example.com:443', '*', '*.', 'a.*.example.com', 'mcp example.com', '']) {
      it(`must not accept the host ${JSON.stringify(host)}`, () => {
        assertProblemAt(document({ hosts: [host] }), '/spec/hosts/0');
      });
    }

    it('must not accept an empty host list', () => {
      assertProblemAt(document({ hosts: [] }), '/spec/hosts');
    });

    for (const prefix of ['mcp', '/mcp?x', '/mcp#x', '']) {
      it(`must not accept the path prefix ${JSON.stringify(prefix)}`, () => {
        assertProblemAt(document({ pathPrefixes: [prefix] }), '/spec/pathPrefixes/0');
      });
    }

    for (const scope of ['a b', '', 'a"b', 'a\\b']) {
      it(`must not accept the required scope ${JSON.stringify(scope)} (RFC 6749 scope-token)`, () => {
        assertProblemAt(document({ requiredScopes: [scope] }), '/spec/requiredScopes/0');
      });
    }

    it('must not accept an unknown mode', () => {
      assertProblemAt(document({ mode: 'strict' }), '/spec/mode');
      assertProblemAt(document({ mode: 'Audit' }), '/spec/mode');
    });

    it('must not accept resourceDocumentation over plain http', () => {
      assertProblemAt(document({ resourceMetadata: { resourceDocumentation: 'http://docs.example.com' } }), '/spec/resourceMetadata/resourceDocumentation', /https/);
    });

    it('must not accept an unknown field in spec', () => {
      assertProblemAt(document({ audience: 'api://weather' }), '/spec', /unknown field "audience"/);
    });

    // Regression (found by this suite, fixed): validatePolicy de-duplicates problems by JSON pointer alone, so two different
    // problems at the same pointer (here two unknown fields under /spec) are reported as one.
    // docs/contract.md §1.1 says `validate` prints every problem; the second unknown field
    // is lost.
    it('names every unknown field, not only the first', () => {
      const found = problems(document({ audience: 'api://weather', scopes: ['a'] }));
      assert.ok(found.some((problem) => /"audience"/.test(problem.message)), JSON.stringify(found));
      assert.ok(found.some((problem) => /"scopes"/.test(problem.message)), JSON.stringify(found));
    });

    it('must not accept an unknown top-level field', () => {
      assertProblemAt({ ...document(), extra: true }, '/', /unknown field "extra"/);
    });
  });

  describe('apiVersion, kind and metadata', () => {
    it('must have apiVersion audienceguard.dev/v1alpha1', () => {
      assertProblemAt({ ...document(), apiVersion: 'audienceguard.dev/v1' }, '/apiVersion');
    });

    it('must have kind AudiencePolicy', () => {
      assertProblemAt({ ...document(), kind: 'AuthorizationPolicy' }, '/kind');
    });

    it('must have a metadata.name that is a Kubernetes name', () => {
      const value = document();
      value.metadata = { name: 'Weather_MCP' };
      assertProblemAt(value, '/metadata/name');
    });

    it('must have metadata', () => {
      const value = document();
      delete (value as Record<string, unknown>).metadata;
      assertProblemAt(value, '/', /metadata/);
    });
  });

  describe('input that is not a policy', () => {
    for (const [what, value] of [['null', null], ['a string', 'apiVersion: x'], ['an array', [policyDocument()]], ['a number', 1], ['an empty object', {}]] as const) {
      it(`rejects ${what} without throwing`, () => {
        assert.ok(problems(value).length > 0);
      });
    }

    it('never throws, for any JSON value', () => {
      fc.assert(fc.property(fc.jsonValue(), (value) => {
        const result = validatePolicy(value);
        assert.equal(result.valid, false);
      }), { numRuns: 500 });
    });

    it('never throws when any spec field holds any JSON value, and reports a JSON pointer', () => {
      const fields = ['resource', 'audiences', 'hosts', 'pathPrefixes', 'issuers', 'requiredScopes', 'scopeImplications', 'mode', 'clockSkewSeconds', 'resourceMetadata'];
      fc.assert(fc.property(fc.constantFrom(...fields), fc.jsonValue({ maxDepth: 2 }), (field, value) => {
        const result = validatePolicy(document({ [field]: value }));
        if (!result.valid) for (const problem of result.problems) assert.match(problem.path, /^\//);
      }), { numRuns: 1000 });
    });
  });
});
