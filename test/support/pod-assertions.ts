/**
 * Assertions on a Deployment's pod that matter to security, shared by the chart tests and
 * the deploy/kubernetes tests: the restricted Pod Security profile and gRPC health probes.
 */
import { strict as assert } from 'node:assert';
import type { Manifest } from './manifest-schemas.ts';

export interface Container {
  name: string;
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  ports: { name: string; containerPort: number }[];
  securityContext: Record<string, unknown>;
  livenessProbe: Record<string, unknown>;
  readinessProbe: Record<string, unknown>;
  startupProbe: Record<string, unknown>;
  resources: { requests?: Record<string, string>; limits?: Record<string, string> };
}
export interface PodSpec {
  automountServiceAccountToken?: boolean;
  securityContext: Record<string, unknown>;
  containers: Container[];
  hostNetwork?: boolean;
  hostPID?: boolean;
  volumes?: unknown[];
}
export function podSpec(deployment: Manifest): PodSpec {
  return (deployment.spec as { template: { spec: PodSpec } }).template.spec;
}

/** The restricted Pod Security profile, asserted on a Deployment (also used for deploy/kubernetes). */
export function assertRestrictedPod(deployment: Manifest): void {
  const pod = podSpec(deployment);
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.deepEqual(pod.securityContext.seccompProfile, { type: 'RuntimeDefault' });
  assert.notEqual(pod.hostNetwork, true);
  assert.notEqual(pod.hostPID, true);
  for (const container of pod.containers) {
    const context = container.securityContext;
    assert.equal(context.runAsNonRoot, true, `${container.name}: runAsNonRoot`);
    assert.ok(Number.isInteger(context.runAsUser) && (context.runAsUser as number) > 0, `${container.name}: numeric non-root runAsUser`);
    assert.ok(Number.isInteger(context.runAsGroup) && (context.runAsGroup as number) > 0, `${container.name}: numeric non-root runAsGroup`);
    assert.equal(context.allowPrivilegeEscalation, false, `${container.name}: allowPrivilegeEscalation`);
    assert.equal(context.readOnlyRootFilesystem, true, `${container.name}: readOnlyRootFilesystem`);
    assert.notEqual(context.privileged, true);
    assert.deepEqual(context.capabilities, { drop: ['ALL'] }, `${container.name}: drop ALL capabilities, add none`);
    assert.deepEqual(context.seccompProfile, { type: 'RuntimeDefault' });
    assert.ok(container.resources.requests?.cpu !== undefined && container.resources.requests.memory !== undefined, 'resource requests');
    assert.ok(container.resources.limits?.memory !== undefined, 'a memory limit');
  }
}

/** gRPC probes on grpc.health.v1 service "" at the numeric gRPC container port. */
export function assertGRPCHealthProbes(deployment: Manifest): void {
  for (const container of podSpec(deployment).containers) {
    const grpcPort = container.ports.find((port) => port.name === 'grpc')?.containerPort;
    assert.ok(Number.isInteger(grpcPort));
    for (const probe of [container.startupProbe, container.livenessProbe, container.readinessProbe]) {
      assert.deepEqual(probe.grpc, { port: grpcPort, service: '' });
    }
  }
}
