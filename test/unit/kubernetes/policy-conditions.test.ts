// Policy status conditions (docs/contract.md §1.2, status): one per type, reasons a
// machine can switch on, messages a person can act on, lastTransitionTime kept
// while a condition's status does not change.
import { strict as assert } from 'node:assert';
import { desiredStatus, statusEquals } from '../../../src/kubernetes/policy-conditions.ts';
import type { PolicyObservation } from '../../../src/kubernetes/policy-status.ts';

const healthy: PolicyObservation = { generation: 3, servingGeneration: 3, unavailable: false, problems: [], conflicts: [], overlaps: [], keys: [{ issuer: 'https://idp.example.com', state: 'ready', error: undefined }] };
const t0 = new Date('2026-11-26T10:00:00.123Z');
const t1 = new Date('2026-11-26T11:00:00Z');
const byType = (observation: PolicyObservation, previous?: ReturnType<typeof desiredStatus>, now = t0) =>
  Object.fromEntries(desiredStatus(observation, previous, now).conditions.map((condition) => [condition.type, condition]));

describe('policy status conditions', () => {
  it('reports a healthy policy as Accepted, Ready, not Conflicted, no AudienceOverlap, for its generation', () => {
    const status = desiredStatus(healthy, undefined, t0);
    assert.equal(status.observedGeneration, 3);
    assert.deepEqual(status.conditions.map((condition) => [condition.type, condition.status, condition.reason]), [
      ['Accepted', 'True', 'Valid'], ['Ready', 'True', 'KeysLoaded'], ['Conflicted', 'False', 'NoConflict'], ['AudienceOverlap', 'False', 'NoOverlap'],
    ]);
    assert.ok(status.conditions.every((condition) => condition.observedGeneration === 3 && condition.lastTransitionTime === '2026-11-26T10:00:00Z'));
  });

  it('lists every validation problem with its field, and is then not Ready', () => {
    const conditions = byType({ ...healthy, servingGeneration: undefined, problems: [{ path: '/spec/resource', message: 'must use https' }, { path: '/spec/mode', message: 'must be one of: Strict, Permissive' }] });
    assert.equal(conditions.Accepted?.status, 'False');
    assert.match(conditions.Accepted.message, /\/spec\/resource: must use https; \/spec\/mode: must be one of/);
    assert.equal(conditions.Ready?.reason, 'NotAccepted');
  });

  it('names the failing issuer and its error when keys are unavailable, and is Unknown while loading', () => {
    assert.match(byType({ ...healthy, keys: [{ issuer: 'https://idp.example.com', state: 'failed', error: 'answered HTTP 503' }] }).Ready?.message ?? '', /https:\/\/idp\.example\.com: answered HTTP 503/);
    assert.equal(byType({ ...healthy, keys: [{ issuer: 'https://idp.example.com', state: 'loading', error: undefined }] }).Ready?.status, 'Unknown');
  });

  it('names the winning policy, host and prefix of a conflict, and the other policy and audience of an overlap', () => {
    const conditions = byType({ ...healthy, conflicts: [{ winner: 'mcp/first', host: 'mcp.example.com', pathPrefix: '/mcp' }], overlaps: [{ other: 'mcp/twin', audience: 'https://mcp.example.com/mcp' }] });
    assert.match(conditions.Conflicted?.message ?? '', /mcp\/first already claims host mcp\.example\.com path \/mcp/);
    assert.match(conditions.AudienceOverlap?.message ?? '', /mcp\/twin also accepts https:\/\/mcp\.example\.com\/mcp/);
  });

  it('attack: must never name a policy of another namespace in Conflicted or AudienceOverlap', () => {
    const conditions = byType({
      ...healthy,
      conflicts: [{ winner: undefined, host: 'mcp.example.com', pathPrefix: '/mcp' }],
      overlaps: [{ other: undefined, audience: 'https://mcp.example.com/mcp' }],
    });
    assert.match(conditions.Conflicted?.message ?? '', /a policy in another namespace already claims host mcp\.example\.com path \/mcp/);
    assert.match(conditions.AudienceOverlap?.message ?? '', /a policy in another namespace also accepts https:\/\/mcp\.example\.com\/mcp/);
  });

  it('says that another namespace owns a host, with its own reason, without naming the policy', () => {
    const conditions = byType({ ...healthy, conflicts: [{ winner: undefined, host: '*.example.com', pathPrefix: undefined }, { winner: 'mcp/first', host: 'h', pathPrefix: '/' }] });
    assert.equal(conditions.Conflicted?.status, 'True');
    assert.equal(conditions.Conflicted.reason, 'HostOwnedByOtherNamespace');
    assert.match(conditions.Conflicted.message, /host \*\.example\.com belongs to another namespace, which claimed it first/);
    assert.match(conditions.Conflicted.message, /mcp\/first already claims host h path \//);
  });

  it('keeps lastTransitionTime while a status stays the same, and moves it when it changes', () => {
    const first = desiredStatus(healthy, undefined, t0);
    const later = byType({ ...healthy, conflicts: [{ winner: 'mcp/first', host: 'h', pathPrefix: '/' }] }, first, t1);
    assert.equal(later.Accepted?.lastTransitionTime, '2026-11-26T10:00:00Z');
    assert.equal(later.Conflicted?.lastTransitionTime, '2026-11-26T11:00:00Z');
  });

  it('clips long messages to a bounded size', () => {
    const problems = Array.from({ length: 200 }, (_, index) => ({ path: `/spec/hosts/${String(index)}`, message: 'must match pattern' }));
    assert.ok((byType({ ...healthy, problems }).Accepted?.message.length ?? 0) <= 1024);
  });

  it('says which generation serves when the latest was refused: observedGeneration the new one, servingGeneration the old one', () => {
    const observation: PolicyObservation = { ...healthy, generation: 4, servingGeneration: 3, problems: [{ path: '/spec/issuers/0/issuer', message: 'must use https', reason: 'InsecureEndpoint' }] };
    const status = desiredStatus(observation, undefined, t0);
    assert.equal(status.observedGeneration, 4);
    assert.equal(status.servingGeneration, 3);
    const conditions = byType(observation);
    assert.equal(conditions.Accepted?.reason, 'InsecureEndpoint', 'the refusal names the problem, whatever rule refused it');
    assert.match(conditions.Accepted.message, /^Generation 4 is not in force; generation 3, the last accepted, keeps deciding requests: \/spec\/issuers\/0\/issuer: must use https/);
    assert.equal(conditions.Ready?.status, 'False', 'not Ready: the latest generation does not decide');
    assert.equal(conditions.Ready.reason, 'ServingPreviousGeneration');
    assert.match(conditions.Ready.message, /generation 3 keeps deciding requests\. The signing keys of every trusted issuer are loaded/);
    assert.ok(status.conditions.every((condition) => condition.observedGeneration === 4));
  });

  it('reports a placeholder as denying 503 policy_unavailable, with no servingGeneration', () => {
    const observation: PolicyObservation = { ...healthy, servingGeneration: undefined, unavailable: true, keys: [], problems: [{ path: '/spec/mode', message: 'must be one of: Strict, Permissive' }] };
    const status = desiredStatus(observation, undefined, t0);
    assert.equal('servingGeneration' in status, false);
    const conditions = byType(observation);
    assert.match(conditions.Accepted?.message ?? '', /denied 503 policy_unavailable instead of reaching another policy: \/spec\/mode/);
    assert.equal(conditions.Ready?.reason, 'PolicyUnavailable');
  });

  it('compares servingGeneration, reading null (cleared by a merge patch) as absent', () => {
    const serving = desiredStatus(healthy, undefined, t0);
    const none = desiredStatus({ ...healthy, servingGeneration: undefined, unavailable: true, problems: [{ path: '/', message: 'x' }] }, undefined, t0);
    assert.equal(statusEquals({ ...serving, servingGeneration: 2 }, serving), false);
    assert.equal(statusEquals({ ...none, servingGeneration: 3 }, none), false);
    assert.equal(statusEquals({ ...none, servingGeneration: null }, none), true);
  });

  it('treats an unchanged status as equal (no write) and any visible change as different', () => {
    const status = desiredStatus(healthy, undefined, t0);
    assert.equal(statusEquals(JSON.parse(JSON.stringify(status)), status), true);
    assert.equal(statusEquals(undefined, status), false);
    assert.equal(statusEquals({ ...status, observedGeneration: 2 }, status), false);
    const changed = desiredStatus({ ...healthy, problems: [{ path: '/spec', message: 'x' }] }, status, t1);
    assert.equal(statusEquals(status, changed), false);
  });
});
