// Each AudiencePolicy object judged alone: a refusal of any kind — the
// validator's or an operator bound's (tenant rules, with their own condition
// reason) — keeps the object's last accepted version per uid, or stands a
// placeholder in for it; deletion and re-creation forget.
import { strict as assert } from 'node:assert';
import type { KubernetesObject } from '../../../src/kubernetes/kubernetes-object.ts';
import type { PolicyValidation } from '../../../src/policy/validate-policy.ts';
import { validatePolicy } from '../../../src/policy/validate-policy.ts';
import { LastGoodPolicies } from '../../../src/kubernetes/last-good-policies.ts';
import { policySpec } from '../policy-fixtures.ts';

let version = 0;

function object(uid: string, generation: number, spec: Record<string, unknown>): KubernetesObject {
  version += 1;
  return {
    apiVersion: 'audienceguard.dev/v1alpha1',
    kind: 'AudiencePolicy',
    metadata: { name: 'admin', namespace: 'mcp', uid, generation, resourceVersion: String(version), creationTimestamp: '2026-01-01T00:00:00Z' },
    spec,
  };
}

/** The real validator, plus an operator bound of the kind tenant rules add: no `upstream` allowed here. */
function validate(candidate: KubernetesObject): PolicyValidation {
  const validation = validatePolicy(candidate);
  if (!validation.valid || validation.policy.spec.upstream === undefined) return validation;
  return { valid: false, problems: [{ path: '/spec/upstream', message: 'not allowed for this namespace', reason: 'SecretFileNotAllowed' }] };
}

const STRICT = policySpec({ resource: 'https://mcp.example.com/admin', requiredScopes: ['mcp:admin'] });
const UPSTREAM = { ...STRICT, upstream: { clientCredentials: { tokenEndpoint: 'https://idp.example.com/token', clientId: 'x', clientSecretFile: '/etc/x' } } };

describe('last good version per AudiencePolicy object', () => {
  it('keeps the last accepted version of an object whose update the validator refuses', () => {
    const judge = new LastGoodPolicies(validate, () => true);
    judge.round([['mcp/admin', object('u1', 1, STRICT)]]);
    const round = judge.round([['mcp/admin', object('u1', 2, { ...STRICT, mode: 'Lax' })]]);
    assert.equal(round.documents[0]?.document.metadata.generation, 1);
    assert.deepEqual(round.stale, ['mcp/admin']);
    assert.equal(round.observed[0]?.standIn, 'last_accepted');
    assert.equal(round.observed[0].problems[0]?.path, '/spec/mode');
  });

  it('treats a refusal by an operator bound like any other, its reason kept for status', () => {
    const judge = new LastGoodPolicies(validate, () => true);
    judge.round([['mcp/admin', object('u1', 1, STRICT)]]);
    const stale = judge.round([['mcp/admin', object('u1', 2, UPSTREAM)]]);
    assert.equal(stale.documents[0]?.document.spec.upstream, undefined, 'generation 1 serves');
    assert.equal(stale.observed[0]?.problems[0]?.reason, 'SecretFileNotAllowed');
    const fresh = new LastGoodPolicies(validate, () => true).round([['mcp/admin', object('u1', 2, UPSTREAM)]]);
    assert.deepEqual(fresh.placeholders.map((policy) => [policy.id, policy.hosts, policy.pathPrefixes]), [['mcp/admin', ['mcp.example.com'], ['/admin']]]);
    assert.equal(fresh.documents.length, 0);
  });

  it('forgets a deleted object, and a re-created one (a new uid) inherits nothing even within one round', () => {
    const judge = new LastGoodPolicies(validate, () => true);
    judge.round([['mcp/admin', object('u1', 1, STRICT)]]);
    const recreated = judge.round([['mcp/admin', object('u2', 1, { ...STRICT, mode: 'Lax' })]]);
    assert.equal(recreated.documents.length, 0);
    assert.equal(recreated.placeholders.length, 1);
    judge.round([['mcp/admin', object('u3', 1, STRICT)]]);
    judge.round([]);
    assert.equal(judge.round([['mcp/admin', object('u3', 2, { ...STRICT, mode: 'Lax' })]]).documents.length, 0, 'deleted: forgotten');
  });

  it('serves a later valid generation again and remembers it instead', () => {
    const judge = new LastGoodPolicies(validate, () => true);
    judge.round([['mcp/admin', object('u1', 1, STRICT)]]);
    judge.round([['mcp/admin', object('u1', 2, { ...STRICT, mode: 'Lax' })]]);
    assert.deepEqual(judge.round([['mcp/admin', object('u1', 3, STRICT)]]).stale, []);
    assert.equal(judge.round([['mcp/admin', object('u1', 4, { ...STRICT, mode: 'Lax' })]]).documents[0]?.document.metadata.generation, 3);
  });

  it('says so when a refused object claims nothing', () => {
    const round = new LastGoodPolicies(validate, () => false).round([['mcp/admin', object('u1', 1, { ...STRICT, mode: 'Lax' })]]);
    assert.equal(round.refused, 1);
    assert.equal(round.observed[0]?.standIn, 'none');
    assert.match(round.observed[0].problems.at(-1)?.message ?? '', /holds no claim/);
  });
});
