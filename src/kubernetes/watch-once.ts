/**
 * One watch connection of a list+watch loop (src/kubernetes/list-watch.ts), as
 * a promise of how it ended: closed (resume), gone (410: relist) or failed (back off).
 */
import type { Watch } from '@kubernetes/client-node';
import type { KubernetesObject } from './kubernetes-object.ts';

export type WatchEnd = { readonly kind: 'closed' } | { readonly kind: 'gone' } | { readonly kind: 'failed'; readonly error: Error };
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface WatchOnceOptions {
  readonly watch: Watch;
  readonly path: string;
  readonly resourceVersion: string | undefined;
  readonly timeoutSeconds: number;
  /** Each change or bookmark, until the watch ends; nothing after. */
  onEvent(type: WatchEventType, object: KubernetesObject): void;
  /** The connection is open; aborting this controller closes it. */
  onStarted(controller: AbortController): void;
}

function statusOf(error: unknown): number | undefined {
  const candidate = error as { statusCode?: unknown; code?: unknown } | null;
  if (typeof candidate?.statusCode === 'number') return candidate.statusCode;
  if (typeof candidate?.code === 'number') return candidate.code;
  return undefined;
}

export function watchOnce(options: WatchOnceOptions): Promise<WatchEnd> {
  return new Promise<WatchEnd>((resolve) => {
    let ended = false;
    let abort: AbortController | undefined;
    const finish = (end: WatchEnd): void => {
      if (ended) return;
      ended = true;
      resolve(end);
    };
    const params = { allowWatchBookmarks: true, resourceVersion: options.resourceVersion, timeoutSeconds: options.timeoutSeconds };
    options.watch.watch(options.path, params, (type: string, object: KubernetesObject) => {
      if (ended) return;
      switch (type) {
        case 'ADDED':
        case 'MODIFIED':
        case 'DELETED':
        case 'BOOKMARK':
          options.onEvent(type, object);
          break;
        case 'ERROR':
          // A Status object: 410 means our version was compacted away.
          abort?.abort();
          finish(statusOf(object) === 410
            ? { kind: 'gone' }
            : { kind: 'failed', error: new Error(`watch error: ${typeof object.message === 'string' ? object.message : 'unknown'}`) });
          break;
        default:
          break;
      }
    }, (error: unknown) => {
      if (error === null || error === undefined) finish({ kind: 'closed' });
      else if (statusOf(error) === 410) finish({ kind: 'gone' });
      else if ((error as Error).name === 'TimeoutError' || (error as Error).name === 'AbortError') finish({ kind: 'closed' });
      else finish({ kind: 'failed', error: error as Error });
    }).then((controller) => {
      abort = controller;
      options.onStarted(controller);
    }, (error: unknown) => { finish({ kind: 'failed', error: error as Error }); });
  });
}
