// Admission of a tenant's endpoints (Kubernetes mode): every URL the service
// contacts is https and not, by its spelling, a loopback, link-local or
// unspecified address — unless the operator allows insecure endpoints.
// Checked through the tenant rule table, as the Kubernetes source applies it.
import { strict as assert } from 'node:assert';
import type { AudiencePolicySpec } from '../../../src/policy/policy-schema.ts';
import { DEFAULT_TENANT_RULE_OPTIONS, tenantProblems } from '../../../src/policy/tenant-rules.ts';
import { validatePolicy } from '../../../src/policy/validate-policy.ts';
import { policyDocument, ISSUER } from '../policy-fixtures.ts';

const STRICT = DEFAULT_TENANT_RULE_OPTIONS;
const DEVELOPMENT = { ...DEFAULT_TENANT_RULE_OPTIONS, allowInsecureEndpoints: true };

function problemsOf(spec: Partial<AudiencePolicySpec>, options = STRICT): { path: string; reason: string | undefined }[] {
  const validation = validatePolicy(policyDocument(spec));
  assert.ok(validation.valid, JSON.stringify(validation));
  return tenantProblems(validation.policy, 'mcp', options).map((problem) => ({ path: problem.path, reason: problem.reason }));
}

/** Spellings the object rules already refuse (non-canonical IPv4, embedded IPv4 in IPv6) never reach the tenant rule. */
function refusedByObjectRules(spec: Partial<AudiencePolicySpec>): boolean {
  return !validatePolicy(policyDocument(spec)).valid;
}

const upstream = (tokenEndpoint: string): Partial<AudiencePolicySpec> => ({
  upstream: { clientCredentials: { tokenEndpoint, clientId: 'weather', clientSecretRef: { name: 'upstream', key: 'secret' } } },
});

const FORBIDDEN_SPELLINGS = [
  'http://127.0.0.1:15000/quitquitquit', // the sidecar's admin port
  'https://127.0.0.1:15000/quitquitquit',
  'http://localhost:8443/token',
  'https://127.1/token',
  'https://[::1]/token',
  'https://[::]/token',
  'https://0.0.0.0/token',
  'https://[::ffff:127.0.0.1]/token',
  'https://[::ffff:7f00:1]/token',
  'https://169.254.169.254/latest/meta-data/',
  'https://[fe80::1]/token',
];

describe('tenant rule: insecure endpoints', () => {
  for (const url of FORBIDDEN_SPELLINGS) {
    it(`attack: a token endpoint at ${url} must be refused (InsecureEndpoint, or already by the object rules)`, () => {
      if (refusedByObjectRules(upstream(url))) return;
      assert.deepEqual(problemsOf(upstream(url)), [{ path: '/spec/upstream/clientCredentials/tokenEndpoint', reason: 'InsecureEndpoint' }]);
    });
  }

  it('attack: loopback issuers, JWKS URIs and upstream issuers must be refused, each at its own field', () => {
    const problems = problemsOf({
      issuers: [{ issuer: 'http://localhost:8080/realms/a' }, { issuer: ISSUER, jwksUri: 'https://169.254.169.254/keys' }],
      upstream: { tokenExchange: { issuer: 'https://[::1]:9000', clientId: 'weather', clientSecretRef: { name: 'upstream', key: 'secret' } } },
    });
    assert.deepEqual(problems.map((problem) => problem.path), ['/spec/issuers/0/issuer', '/spec/issuers/1/jwksUri', '/spec/upstream/tokenExchange/issuer']);
    assert.ok(problems.every((problem) => problem.reason === 'InsecureEndpoint'));
  });

  it('lets https endpoints by name and at private addresses through (identity providers run in clusters)', () => {
    for (const url of ['https://idp.example.com/token', 'https://10.0.0.5/token', 'https://172.16.3.4:8443/token', 'https://192.168.1.10/token', 'https://[fd00::5]/token', 'https://localhost.example.com/token']) {
      assert.deepEqual(problemsOf(upstream(url)), [], url);
    }
  });

  it('leaves names to connection time, where what they resolve to is checked (localhost too)', () => {
    for (const url of ['https://localhost:8443/token', 'https://idp.localhost/token']) assert.deepEqual(problemsOf(upstream(url)), [], url);
  });

  it('leaves URLs the service never contacts alone (resource, upstream resource, documentation)', () => {
    assert.deepEqual(problemsOf({
      resourceMetadata: { resourceDocumentation: 'http://localhost/docs' },
      upstream: { clientCredentials: { tokenEndpoint: 'https://idp.example.com/token', resource: 'http://localhost/api', clientId: 'weather', clientSecretRef: { name: 'upstream', key: 'secret' } } },
    }), []);
  });

  it('with --allow-insecure-endpoints, the same policies pass', () => {
    for (const url of FORBIDDEN_SPELLINGS.filter((spelling) => !refusedByObjectRules(upstream(spelling)))) {
      assert.deepEqual(problemsOf(upstream(url), DEVELOPMENT), [], url);
    }
  });
});
