/**
 * Kubernetes client configuration, in the usual order: KUBECONFIG, then
 * ~/.kube/config, then the in-cluster service account. Unlike the client's own
 * loadFromDefault, having none of them is an error (instead of silently trying
 * http://localhost:8080). A plain-http API server is only reachable when its
 * kubeconfig cluster sets insecure-skip-tls-verify (the client's own rule),
 * which only loopback test servers should.
 *
 * Several KUBECONFIG files (`:`-separated; `;` on Windows) are merged as
 * kubectl merges them: empty names and files that do not exist are skipped;
 * for clusters, users and contexts the first file to name one wins, and the
 * first file that sets current-context decides it. The client's
 * loadFromDefault instead lets a later file's current-context win and throws
 * on a name two files share.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

export class KubeConfigError extends Error {
  override readonly name = 'KubeConfigError';
}

/** Entries by name, the first one of each name kept. */
function firstOfEachName<Entry extends { readonly name: string }>(lists: readonly (readonly Entry[])[]): Entry[] {
  const kept = new Map<string, Entry>();
  for (const list of lists) for (const entry of list) if (!kept.has(entry.name)) kept.set(entry.name, entry);
  return [...kept.values()];
}

/** The KUBECONFIG files merged; relative certificate paths stay relative to their own file. */
function mergedKubeConfig(variable: string): KubeConfig {
  const paths = variable.split(delimiter).filter((path) => path !== '');
  const configs = paths.filter((path) => existsSync(path)).map((path) => {
    const config = new KubeConfig();
    config.loadFromFile(path);
    return config;
  });
  if (configs.length === 0) {
    throw new KubeConfigError(
      paths.length === 1
        ? `KUBECONFIG file ${variable} does not exist`
        : `no file that KUBECONFIG names exists (${paths.join(', ')})`,
    );
  }
  const merged = new KubeConfig();
  merged.loadFromOptions({
    clusters: firstOfEachName(configs.map((config) => config.clusters)),
    users: firstOfEachName(configs.map((config) => config.users)),
    contexts: firstOfEachName(configs.map((config) => config.contexts)),
    currentContext: configs.map((config) => config.currentContext).find((name) => typeof name === 'string' && name !== '') ?? '',
  });
  return merged;
}

export function loadKubeConfig(env: Readonly<Record<string, string | undefined>> = process.env): KubeConfig {
  let config = new KubeConfig();
  const kubeconfig = env.KUBECONFIG;
  const home = join(env.HOME ?? homedir(), '.kube', 'config');
  try {
    if (kubeconfig !== undefined && kubeconfig !== '') {
      config = mergedKubeConfig(kubeconfig);
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
