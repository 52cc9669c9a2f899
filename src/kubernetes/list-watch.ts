/**
 * A list+watch loop that never gives up (docs/contract.md §1.5; the Kubernetes
 * API concepts "Efficient detection of changes"):
 *   - list, then watch from the list's resourceVersion with bookmarks;
 *   - apply ADDED/MODIFIED/DELETED to a local copy and report every change;
 *   - resume a closed or failed watch from the last resourceVersion seen
 *     (BOOKMARKs move it forward without changes);
 *   - relist on 410 Gone (the version was compacted), keeping the old copy
 *     until the new list replaces it, so consumers never see an empty set;
 *   - after any list or watch error, retry with jittered backoff.
 * The client library's own informer stops for good when a watch connection
 * drops; this loop owns the restart instead.
 */
import type { Watch } from '@kubernetes/client-node';
import { Backoff } from './backoff.ts';
import { objectKey, type KubernetesObject } from './kubernetes-object.ts';

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

type WatchEnd = { readonly kind: 'closed' } | { readonly kind: 'gone' } | { readonly kind: 'failed'; readonly error: Error };

function statusOf(error: unknown): number | undefined {
  const candidate = error as { statusCode?: unknown; code?: unknown } | null;
  if (typeof candidate?.statusCode === 'number') return candidate.statusCode;
  if (typeof candidate?.code === 'number') return candidate.code;
  return undefined;
}

export class ListWatch {
  readonly #options: ListWatchOptions;
  readonly #backoff: Backoff;
  readonly #objects = new Map<string, KubernetesObject>();
  #resourceVersion: string | undefined;
  #synced = false;
  #stopped = false;
  #abort: AbortController | undefined;
  #sleepTimer: NodeJS.Timeout | undefined;
  #wake: (() => void) | undefined;
  #running: Promise<void> | undefined;

  constructor(options: ListWatchOptions) {
    this.#options = options;
    this.#backoff = options.backoff ?? new Backoff(500, 30_000);
  }

  get synced(): boolean {
    return this.#synced;
  }

  /** The resourceVersion the next watch resumes from. */
  get resourceVersion(): string | undefined {
    return this.#resourceVersion;
  }

  start(): void {
    this.#running ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort?.abort();
    clearTimeout(this.#sleepTimer);
    this.#wake?.();
    await this.#running;
  }

  async #run(): Promise<void> {
    let needList = true;
    while (!this.#stopped) {
      if (needList) {
        try {
          await this.#list();
          needList = false;
        } catch (error) {
          this.#options.onError(error as Error, 'list');
          await this.#sleep(this.#backoff.next());
          continue;
        }
      }
      const end = await this.#watchOnce();
      if (this.#isStopped()) break;
      switch (end.kind) {
        case 'gone':
          needList = true; // relist at once: our resourceVersion is too old
          break;
        case 'closed':
          this.#backoff.reset();
          break;
        case 'failed':
          this.#options.onError(end.error, 'watch');
          await this.#sleep(this.#backoff.next());
          break;
      }
    }
  }

  /** Read through a method: `stop()` may flip it while the loop awaits. */
  #isStopped(): boolean {
    return this.#stopped;
  }

  async #list(): Promise<void> {
    const result = await this.#options.list();
    if (this.#stopped) return;
    this.#objects.clear();
    for (const item of result.items) this.#objects.set(objectKey(item), item);
    this.#resourceVersion = result.resourceVersion;
    this.#synced = true;
    this.#backoff.reset();
    this.#options.onChange(this.#objects, true);
  }

  #watchOnce(): Promise<WatchEnd> {
    return new Promise<WatchEnd>((resolve) => {
      let ended = false;
      const finish = (end: WatchEnd): void => {
        if (ended) return;
        ended = true;
        resolve(end);
      };
      const params = {
        allowWatchBookmarks: true,
        resourceVersion: this.#resourceVersion,
        timeoutSeconds: this.#options.watchTimeoutSeconds ?? 300,
      };
      this.#options.watch.watch(this.#options.watchPath, params, (type: string, object: KubernetesObject) => {
        if (ended) return;
        switch (type) {
          case 'ADDED':
          case 'MODIFIED':
            this.#objects.set(objectKey(object), object);
            this.#track(object);
            this.#options.onChange(this.#objects, true);
            break;
          case 'DELETED':
            this.#objects.delete(objectKey(object));
            this.#track(object);
            this.#options.onChange(this.#objects, true);
            break;
          case 'BOOKMARK':
            this.#track(object);
            break;
          case 'ERROR':
            // A Status object: 410 means our version was compacted away.
            this.#abort?.abort();
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
        this.#abort = controller;
        if (this.#stopped) controller.abort();
      }, (error: unknown) => { finish({ kind: 'failed', error: error as Error }); });
    });
  }

  #track(object: KubernetesObject): void {
    const version = object.metadata?.resourceVersion;
    if (typeof version === 'string' && version !== '') this.#resourceVersion = version;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
      this.#sleepTimer = setTimeout(resolve, ms);
      this.#sleepTimer.unref();
    });
  }
}
