/**
 * Policies from YAML files or folders (SPEC.md 1.1 `--policy-file`), for use
 * outside Kubernetes or with a mounted ConfigMap. Every change reloads the whole
 * set; the set is applied only when every document is valid, so a bad edit (or
 * a file caught half-written) keeps the last good snapshot serving while each
 * problem is logged with file, document index and field.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readPolicyStream, type ParsedPolicyDocument, type PolicyDocumentProblem } from '../policy/policy-documents.ts';
import type { PolicyStore } from '../policy/policy-store.ts';
import { DEFAULT_NAMESPACE } from '../policy/compile-policy.ts';

export class PolicyFileError extends Error {
  override readonly name = 'PolicyFileError';
  readonly problems: readonly PolicyDocumentProblem[];
  constructor(message: string, problems: readonly PolicyDocumentProblem[]) {
    super(message);
    this.problems = problems;
  }
}

export interface PolicyFileSet {
  readonly policies: readonly ParsedPolicyDocument[];
  readonly problems: readonly PolicyDocumentProblem[];
  /** The raw contents, to skip reloads that change nothing. */
  readonly fingerprint: string;
}

const POLICY_FILE = /\.(ya?ml|json)$/i;

/** What the file source takes from one `--policy-file` path: the files it reads, and the sub-folders it does not enter. */
export interface PolicyPathEntries {
  readonly files: readonly string[];
  readonly subfolders: readonly string[];
}

/**
 * The folder rule: a file is read as it is; a folder's own `.yaml`, `.yml`
 * and `.json` files are read in sorted order, and neither its sub-folders nor
 * its hidden entries (a mounted ConfigMap keeps its real files in `..data/`).
 */
export async function policyPathEntries(path: string): Promise<PolicyPathEntries> {
  const info = await stat(path);
  if (!info.isDirectory()) return { files: [path], subfolders: [] };
  const visible = (await readdir(path, { withFileTypes: true })).filter((entry) => !entry.name.startsWith('.'));
  return {
    files: visible.filter((entry) => POLICY_FILE.test(entry.name) && (entry.isFile() || entry.isSymbolicLink())).map((entry) => join(path, entry.name)).sort(),
    subfolders: visible.filter((entry) => entry.isDirectory()).map((entry) => join(path, entry.name)).sort(),
  };
}

/** Reads and validates every policy under `paths`; throws only when a path cannot be read. */
export async function readPolicyFiles(paths: readonly string[]): Promise<PolicyFileSet> {
  const policies: ParsedPolicyDocument[] = [];
  const problems: PolicyDocumentProblem[] = [];
  const contents: string[] = [];
  const seen = new Map<string, string>();
  for (const path of paths) {
    let files: string[];
    try {
      files = [...(await policyPathEntries(path)).files];
    } catch (error) {
      throw new PolicyFileError(`cannot read policy path ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, []);
    }
    for (const file of files) {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        throw new PolicyFileError(`cannot read policy file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, []);
      }
      contents.push(file, text);
      const result = readPolicyStream(file, text);
      problems.push(...result.problems);
      for (const policy of result.policies) {
        const id = policyId(policy);
        const first = seen.get(id);
        if (first !== undefined) {
          problems.push({ origin: policy.origin, path: '/metadata/name', message: `duplicate policy ${id} (first defined at ${first})` });
          continue;
        }
        seen.set(id, policy.origin);
        policies.push(policy);
      }
    }
  }
  return { policies, problems, fingerprint: contents.join('\u0000') };
}

function policyId(policy: ParsedPolicyDocument): string {
  return `${policy.document.metadata.namespace ?? DEFAULT_NAMESPACE}/${policy.document.metadata.name}`;
}

/** A document's age for "the oldest wins": its `metadata.creationTimestamp`, else 0 (then load order decides). */
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

export class FilePolicySource {
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
  async start(): Promise<PolicyFileSet> {
    const set = await readPolicyFiles(this.#paths);
    if (set.problems.length > 0) throw new PolicyFileError(`${set.problems.length} problem(s) in policy files`, set.problems);
    this.#apply(set);
    for (const path of this.#paths) await this.#watch(path);
    return set;
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

  stop(): void {
    clearTimeout(this.#timer);
    for (const watcher of this.#watchers.splice(0)) watcher.close();
  }

  #apply(set: PolicyFileSet): void {
    this.#fingerprint = set.fingerprint;
    this.#events.applied?.(set);
    // A policy keeps its identity while it stays in the files; one removed and
    // added again is a new object (nothing cached for the old one carries over).
    this.#loads += 1;
    const identities = new Map(set.policies.map((policy) => [policyId(policy), this.#identities.get(policyId(policy)) ?? `file-load-${String(this.#loads)}`]));
    this.#identities = identities;
    this.#store.replace(set.policies.map((policy) => ({ ...policy, createdAt: createdAt(policy), identity: identities.get(policyId(policy)) })), 0);
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
