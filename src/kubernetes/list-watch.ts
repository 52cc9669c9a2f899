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
import { Backoff } from './backoff.ts';
import { objectKey, type KubernetesObject } from './kubernetes-object.ts';
import type { ListWatchOptions } from './list-watch-options.ts';
import { watchOnce, type WatchEnd, type WatchEventType } from './watch-once.ts';

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
    const { watch, watchPath: path, watchTimeoutSeconds } = this.#options;
    return watchOnce({
      watch, path, resourceVersion: this.#resourceVersion, timeoutSeconds: watchTimeoutSeconds ?? 300,
      onEvent: (type, object) => { this.#apply(type, object); },
      onStarted: (controller) => {
        this.#abort = controller;
        if (this.#stopped) controller.abort();
      },
    });
  }

  #apply(type: WatchEventType, object: KubernetesObject): void {
    if (type === 'ADDED' || type === 'MODIFIED') this.#objects.set(objectKey(object), object);
    else if (type === 'DELETED') this.#objects.delete(objectKey(object));
    this.#track(object);
    if (type !== 'BOOKMARK') this.#options.onChange(this.#objects, true);
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
