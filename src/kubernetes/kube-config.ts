/**
 * Kubernetes client configuration: KUBECONFIG (or ~/.kube/config) when
 * present, otherwise the in-cluster service account. A plain-http API server
 * is only reachable when its kubeconfig cluster sets insecure-skip-tls-verify
 * (the client's own rule), which only loopback test servers should.
 */
import { KubeConfig } from '@kubernetes/client-node';

export class KubeConfigError extends Error {
  override readonly name = 'KubeConfigError';
}

export function loadKubeConfig(): KubeConfig {
  const config = new KubeConfig();
  try {
    config.loadFromDefault();
  } catch (error) {
    throw new KubeConfigError(`cannot load a kubeconfig: ${(error as Error).message}`);
  }
  if (config.getCurrentCluster() === null) {
    throw new KubeConfigError('no Kubernetes cluster configured: set KUBECONFIG, or run in a cluster with a service account');
  }
  return config;
}
