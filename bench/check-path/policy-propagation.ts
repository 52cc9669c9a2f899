/**
 * Kubernetes policy propagation benchmark (`npm run bench:propagation`):
 *   1. snapshot rebuild time (validate + compile + route every object) with
 *      1,000 and 10,000 AudiencePolicies;
 *   2. time from a watch event (an AudiencePolicy applied on the API double)
 *      to the first Check over gRPC that is decided by the new policy, with
 *      those policy counts loaded.
 * Runs the real service in Kubernetes mode against KubernetesAPIDouble on
 * loopback (no Kubernetes API server runs on these machines). Prints medians
 * of several runs.
 */
import { createLogger } from '../../src/obs/logger.ts';
import { PolicyStore } from '../../src/policy/policy-store.ts';
import { startService } from '../../src/server/audience-guard-service.ts';
import { KubernetesPolicySource } from '../../src/kubernetes/kubernetes-policy-source.ts';
import { EnvoyCheckClient } from '../../test/support/envoy-check-client.ts';
import { KubernetesAPIDouble } from '../../test/support/kubernetes-api-double.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? '5');

function policy(index: number): Record<string, unknown> {
  return {
    apiVersion: 'audienceguard.dev/v1alpha1',
    kind: 'AudiencePolicy',
    metadata: { name: `svc-${String(index)}`, namespace: `team-${String(index % 50)}` },
    spec: {
      resource: `https://svc-${String(index)}.example.com/mcp`,
      issuers: [{ issuer: `https://idp-${String(index % 20)}.example.com`, jwksUri: `https://idp-${String(index % 20)}.example.com/keys` }],
      requiredScopes: ['mcp:tools'],
    },
  };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

async function rebuildTimes(count: number): Promise<number[]> {
  const api = new KubernetesAPIDouble();
  await api.start();
  for (let index = 0; index < count; index += 1) api.apply(policy(index));
  const store = new PolicyStore();
  const source = new KubernetesPolicySource(api.kubeConfig(), store, { namespaces: [], rebuildDelayMs: 1 });
  await source.start();
  const times: number[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    const started = process.hrtime.bigint();
    source.rebuild();
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  await source.stop();
  await api.close();
  return times;
}

async function propagationTimes(count: number): Promise<number[]> {
  const api = new KubernetesAPIDouble();
  await api.start();
  for (let index = 0; index < count; index += 1) api.apply(policy(index));
  const service = await startService({
    policyFiles: [],
    kubernetes: { config: api.kubeConfig(), namespaces: [], lease: { namespace: 'bench', name: 'audience-guard-status', identity: 'bench' } },
    grpcAddress: '127.0.0.1:0', adminAddress: '127.0.0.1:0', checkTimeoutMs: 2_000, maxTokenBytes: 16_384, maxRequestBytes: 1_048_576, maxConnectionAgeMs: 600_000,
  }, createLogger('silent'));
  await service.kubernetes?.synced;
  const client = new EnvoyCheckClient(service.grpcPort);
  const times: number[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    const host = `new-${String(run)}.example.com`;
    // A request for the new host is `no_policy` until the new policy is in the snapshot.
    const decidedByNewPolicy = async (): Promise<boolean> => (await client.check({ authority: host, path: '/mcp' })).dynamic_metadata?.fields?.reason?.stringValue !== 'no_policy';
    const started = process.hrtime.bigint();
    api.apply({ ...policy(count + run), metadata: { name: `new-${String(run)}`, namespace: 'bench' }, spec: { ...(policy(0).spec as object), resource: `https://${host}/mcp` } });
    for (let attempt = 0; attempt < 100_000 && !(await decidedByNewPolicy()); attempt += 1) { /* poll with checks */ }
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  client.close();
  await service.stop(1_000);
  await api.close();
  return times;
}

console.log(`runs per figure: ${String(RUNS)} (median shown)`);
console.log('| policies | snapshot rebuild (ms) | watch event → first Check on the new policy (ms) |');
console.log('|---:|---:|---:|');
for (const count of [1_000, 10_000]) {
  const rebuild = await rebuildTimes(count);
  const propagation = await propagationTimes(count);
  console.log(`| ${count.toLocaleString('en')} | ${median(rebuild).toFixed(1)} | ${median(propagation).toFixed(1)} |`);
}
