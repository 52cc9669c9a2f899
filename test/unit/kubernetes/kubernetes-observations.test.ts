// What the service tells a policy's status about other policies: a status is
// readable by the policy's own namespace, so objects of other namespaces are
// never named — neither the winner of a conflict nor the policy sharing an audience.
import { strict as assert } from 'node:assert';
import type { IssuerKeyStore } from '../../../src/keys/issuer-key-store.ts';
import { PolicySnapshot } from '../../../src/core/policy-snapshot.ts';
import { observationsFor } from '../../../src/kubernetes/status-observations.ts';
import { desiredStatus } from '../../../src/kubernetes/policy-conditions.ts';
import { runtimePolicy } from '../policy-fixtures.ts';

const noKeys = { keySet: () => undefined } as unknown as IssuerKeyStore;

function observed(namespace: string, name: string) {
  return { object: { metadata: { namespace, name, generation: 1 } }, id: `${namespace}/${name}`, problems: [] };
}

describe('status observations across namespaces', () => {
  it('attack: must not name another namespace\'s policy in a status, but may name one of the same namespace', () => {
    const snapshot = new PolicySnapshot([
      runtimePolicy({ hosts: ['mcp.example.com'], pathPrefixes: ['/'] }, { namespace: 'team-a', name: 'weather', createdAt: 1 }),
      runtimePolicy({ hosts: ['mcp.example.com'], pathPrefixes: ['/mcp/admin'] }, { namespace: 'team-b', name: 'secret-plan', createdAt: 2 }),
      runtimePolicy({ hosts: ['b.example.com'], pathPrefixes: ['/'] }, { namespace: 'team-b', name: 'tools', createdAt: 3 }),
      runtimePolicy({ hosts: ['b.example.com'], pathPrefixes: ['/'] }, { namespace: 'team-b', name: 'tools-copy', createdAt: 4 }),
    ], 1, { namespaceOwnsHosts: true });
    const targets = observationsFor([observed('team-a', 'weather'), observed('team-b', 'secret-plan'), observed('team-b', 'tools-copy')], snapshot, noKeys);
    const texts = targets.map(({ observation }) => JSON.stringify(desiredStatus(observation, undefined, new Date(0))));
    const [weather, intruder, copy] = texts;
    assert.doesNotMatch(weather ?? '', /team-b|secret-plan|tools/, 'the audience overlap is reported without the other namespace\'s names');
    assert.match(weather ?? '', /a policy in another namespace also accepts/);
    assert.doesNotMatch(intruder ?? '', /team-a|weather/);
    assert.match(intruder ?? '', /host mcp\.example\.com belongs to another namespace/);
    assert.match(copy ?? '', /team-b\/tools already claims host b\.example\.com path \//);
  });
});
