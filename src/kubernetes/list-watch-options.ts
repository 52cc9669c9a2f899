/**
 * What a list+watch loop (src/kubernetes/list-watch.ts) is given: how to list
 * and watch the collection, and where to report its current set and its failures.
 */
import type { Watch } from '@kubernetes/client-node';
import type { Backoff } from './backoff.ts';
import type { KubernetesObject } from './kubernetes-object.ts';

export interface ListResult {
  readonly items: readonly KubernetesObject[];
  readonly resourceVersion: string;
}

export interface ListWatchOptions {
  /** Lists the collection (one page). */
  list(): Promise<ListResult>;
  /** API path of the collection to watch, e.g. `/apis/g/v1/namespaces/ns/things`. */
  readonly watchPath: string;
  readonly watch: Watch;
  /** The full current set after the first list and after every change. */
  onChange(objects: ReadonlyMap<string, KubernetesObject>, synced: boolean): void;
  /** A list or watch attempt failed; the loop retries by itself. */
  onError(error: Error, phase: 'list' | 'watch'): void;
  readonly backoff?: Backoff;
  /** Server-side watch timeout; the watch is simply resumed after it. */
  readonly watchTimeoutSeconds?: number;
}
