/**
 * Kubernetes client configuration, in the usual order: KUBECONFIG, then
 * ~/.kube/config, then the in-cluster service account. Unlike the client's own
 * loadFromDefault, having none of them is an error (instead of silently trying
 * http://localhost:8080). A plain-http API server is only reachable when its
 * kubeconfig cluster sets insecure-skip-tls-verify (the client's own rule),
 * which only loopback test servers should.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

export class KubeConfigError extends Error {
  override readonly name = 'KubeConfigError';
}

export function loadKubeConfig(env: Readonly<Record<string, string | undefined>> = process.env): KubeConfig {
  const config = new KubeConfig();
  const kubeconfig = env.KUBECONFIG;
  const home = join(env.HOME ?? homedir(), '.kube', 'config');
  try {
    if (kubeconfig !== undefined && kubeconfig !== '') {
      const first = kubeconfig.split(':').find((path) => path !== '') ?? kubeconfig;
      if (!existsSync(first)) throw new KubeConfigError(`KUBECONFIG file ${first} does not exist`);
      config.loadFromFile(first);
    } else if (existsSync(home)) {
      config.loadFromFile(home);
    } else if (env.KUBERNETES_SERVICE_HOST !== undefined && env.KUBERNETES_SERVICE_HOST !== '') {
      config.loadFromCluster();
    } else {
      throw new KubeConfigError('no kubeconfig: set KUBECONFIG, create ~/.kube/config, or run in a cluster');
    }
  } catch (error) {
    if (error instanceof KubeConfigError) throw error;
    throw new KubeConfigError(`cannot load the kubeconfig: ${(error as Error).message}`);
  }
  if (config.getCurrentCluster() === null) throw new KubeConfigError('the kubeconfig has no current cluster');
  return config;
}
