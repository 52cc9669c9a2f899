// The operator's host rule (--namespace-hosts) as a tenant rule: a policy that
// claims a host outside its namespace's patterns is not accepted
// (HostNotAllowed), and the message names only its own namespace.
import { strict as assert } from 'node:assert';
import { parseNamespaceHosts, type NamespaceHostRule } from '../../../src/policy/namespace-hosts.ts';
import { DEFAULT_TENANT_RULE_OPTIONS, tenantProblems } from '../../../src/policy/tenant-rules.ts';
import { policyDocument } from '../policy-fixtures.ts';

function rules(...entries: string[]): readonly NamespaceHostRule[] {
  const parsed = parseNamespaceHosts(entries);
  assert.ok(parsed.ok);
  return parsed.rules;
}

const options = { ...DEFAULT_TENANT_RULE_OPTIONS, namespaceHosts: rules('team-a=mcp.example.com,*.a.example.com', 'team-b=*.b.example.com') };

describe('tenant rule: hosts outside the namespace', () => {
  it('accepts hosts the namespace\'s patterns cover, exact, under a wildcard, or a narrower wildcard', () => {
    const document = policyDocument({ hosts: ['MCP.example.com', 'x.a.example.com', '*.y.a.example.com', '*.a.example.com'] }, { namespace: 'team-a' });
    assert.deepEqual(tenantProblems(document, 'team-a', options), []);
  });

  it('attack: a policy claiming another team\'s host must be HostNotAllowed, naming only its own namespace', () => {
    const document = policyDocument({ hosts: ['mcp.example.com', 'x.b.example.com'] }, { namespace: 'team-a' });
    const problems = tenantProblems(document, 'team-a', options);
    assert.deepEqual(problems.map((problem) => [problem.path, problem.reason]), [['/spec/hosts/1', 'HostNotAllowed']]);
    assert.match(problems[0]?.message ?? '', /x\.b\.example\.com/);
    assert.match(problems[0]?.message ?? '', /team-a/);
    assert.doesNotMatch(problems[0]?.message ?? '', /team-b|\*\.b\.example\.com/);
  });

  it('attack: a wildcard broader than the namespace\'s own must be HostNotAllowed', () => {
    const document = policyDocument({ hosts: ['*.example.com'] }, { namespace: 'team-a' });
    assert.equal(tenantProblems(document, 'team-a', options)[0]?.reason, 'HostNotAllowed');
  });

  it('attack: the default host of resource is claimed too', () => {
    const document = policyDocument({ resource: 'https://x.b.example.com:8443/mcp' }, { namespace: 'team-a' });
    assert.deepEqual(tenantProblems(document, 'team-a', options).map((problem) => [problem.path, problem.reason]), [['/spec/resource', 'HostNotAllowed']]);
    assert.deepEqual(tenantProblems(policyDocument({ resource: 'https://x.b.example.com:8443/mcp' }, { namespace: 'team-b' }), 'team-b', options), []);
  });

  it('attack: a namespace the rule does not list must own no host', () => {
    const document = policyDocument({}, { namespace: 'team-c' });
    const problems = tenantProblems(document, 'team-c', options);
    assert.equal(problems[0]?.reason, 'HostNotAllowed');
    assert.match(problems[0].message, /no hosts to namespace "team-c"/);
  });

  it('checks nothing without a rule (hosts then go to the oldest claim)', () => {
    assert.deepEqual(tenantProblems(policyDocument({ hosts: ['*.example.com'] }), 'mcp', DEFAULT_TENANT_RULE_OPTIONS), []);
  });
});
