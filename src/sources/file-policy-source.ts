/**
 * Policies from YAML files or folders (`--policy-file`), for use outside
 * Kubernetes or with a mounted ConfigMap. Every change reloads the whole set;
 * the set is applied only when every document is valid, so a bad edit (or a
 * file caught half-written) keeps the last good snapshot serving while each
 * problem is reported with file, document index and field. The first load
 * happens before anything listens: bad files are a start-up error.
 */
import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ParsedPolicyDocument, PolicyDocumentProblem } from '../policy/policy-documents.ts';
import type { PolicyStore } from '../policy/policy-store.ts';
import type { PolicySource } from './policy-source.ts';
import { PolicyFileError, policyId, readPolicyFiles, type PolicyFileSet } from './policy-files.ts';

/** Its place in "the oldest wins": `metadata.creationTimestamp`, else 0. */
export function createdAt(policy: ParsedPolicyDocument): number {
  const stamp = policy.document.metadata.creationTimestamp;
  const time = typeof stamp === 'string' ? Date.parse(stamp) : Number.NaN;
  return Number.isNaN(time) ? 0 : time;
}

export interface FilePolicySourceEvents {
  /** A valid set was read: called just before it is applied (or when it equals the set in force). */
  applied?(set: PolicyFileSet): void;
  /** A reload found problems and kept the last good snapshot. */
  rejected?(problems: readonly PolicyDocumentProblem[]): void;
  /** A path could not be read; the last good snapshot keeps serving. */
  failed?(error: Error): void;
}

export class FilePolicySource implements PolicySource {
  readonly firstLoad = 'before-listening';
  readonly #paths: readonly string[];
  readonly #store: PolicyStore;
  readonly #events: FilePolicySourceEvents;
  readonly #debounceMs: number;
  readonly #watchers: FSWatcher[] = [];
  #fingerprint: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #reloading: Promise<void> = Promise.resolve();
  /** Applied loads so far, and the identity of each policy in force: the load it first appeared in. */
  #loads = 0;
  #identities = new Map<string, string>();

  constructor(paths: readonly string[], store: PolicyStore, events: FilePolicySourceEvents = {}, debounceMs = 100) {
    this.#paths = paths;
    this.#store = store;
    this.#events = events;
    this.#debounceMs = debounceMs;
  }

  /** Loads once; throws `PolicyFileError` when a path is unreadable or any document is invalid. */
  async start(): Promise<void> {
    const set = await readPolicyFiles(this.#paths);
    if (set.problems.length > 0) throw new PolicyFileError(`${set.problems.length} problem(s) in policy files`, set.problems);
    this.#apply(set);
    for (const path of this.#paths) await this.#watch(path);
  }

  /** Re-reads every path now; applies the result only when it is all valid. */
  reload(): Promise<void> {
    this.#reloading = this.#reloading.then(async () => {
      try {
        const set = await readPolicyFiles(this.#paths);
        if (set.problems.length > 0) this.#events.rejected?.(set.problems);
        else if (set.fingerprint !== this.#fingerprint) this.#apply(set);
        else this.#events.applied?.(set); // back to the contents in force: nothing to rebuild
      } catch (error) {
        this.#events.failed?.(error as Error);
      }
    });
    return this.#reloading;
  }

  stop(): Promise<void> {
    clearTimeout(this.#timer);
    for (const watcher of this.#watchers.splice(0)) watcher.close();
    return Promise.resolve();
  }

  #apply(set: PolicyFileSet): void {
    this.#fingerprint = set.fingerprint;
    this.#events.applied?.(set);
    // A policy keeps its identity while it stays in the files; one removed and
    // added again is a new object (nothing cached for the old one carries over).
    this.#loads += 1;
    const identities = new Map(set.policies.map((policy) => [
      policyId(policy), this.#identities.get(policyId(policy)) ?? `file-load-${String(this.#loads)}`,
    ]));
    this.#identities = identities;
    this.#store.replace(set.policies.map((policy) => ({
      ...policy, createdAt: createdAt(policy), identity: identities.get(policyId(policy)),
    })), 0);
  }

  async #watch(path: string): Promise<void> {
    // Watch the folder, not the file: editors and ConfigMap updates replace files by rename.
    const folder = (await stat(path)).isDirectory() ? path : dirname(path);
    const watcher = watch(folder, { persistent: false }, () => {
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => void this.reload(), this.#debounceMs);
    });
    watcher.on('error', (error) => this.#events.failed?.(error));
    this.#watchers.push(watcher);
  }
}
