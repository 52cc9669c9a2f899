import { namespacedName } from '../core/namespaced-name.ts';

/** The parts of a Kubernetes object the sources read. */
export interface KubernetesObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    creationTimestamp?: string | Date;
  };
  [field: string]: unknown;
}

export function objectKey(object: KubernetesObject): string {
  return namespacedName(object.metadata?.namespace ?? '', object.metadata?.name ?? '');
}
