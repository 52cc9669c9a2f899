// The policies gauge tells the truth: every policy in the snapshot in exactly
// one state — a placeholder is not "accepted", nor is an object serving an
// older generation than its latest.
import { strict as assert } from 'node:assert';
import { PolicySnapshot } from '../../../src/core/policy-snapshot.ts';
import { unavailablePolicy } from '../../../src/policy/unavailable-policy.ts';
import { policyCounts } from '../../../src/server/policy-counts.ts';
import { runtimePolicy } from '../policy-fixtures.ts';

describe('audience_guard_policies counts', () => {
  it('counts placeholders as unavailable, last accepted versions as stale, lost claims as conflicted', () => {
    const placeholder = unavailablePolicy({ metadata: { name: 'broken', namespace: 'mcp' }, spec: { resource: 'https://broken.example.com/mcp' } }, { createdAt: 0, loadOrder: 0, mayClaimHost: () => true });
    assert.ok(placeholder !== undefined);
    const snapshot = new PolicySnapshot([
      runtimePolicy({}, { name: 'first', createdAt: 1 }),
      runtimePolicy({}, { name: 'second', createdAt: 2 }),
      runtimePolicy({ resource: 'https://old.example.com/mcp' }, { name: 'old' }),
      runtimePolicy({ resource: 'https://fresh.example.com/mcp' }, { name: 'fresh' }),
      placeholder,
    ], 1);
    assert.deepEqual(policyCounts(snapshot, new Set(['mcp/old']), 2), { accepted: 2, conflicted: 1, stale: 1, unavailable: 1, rejected: 2 });
  });
});
