/**
 * Reads one key of a Kubernetes Secret in a policy's namespace, on demand
 * (for upstream client credentials). Values are cached for `ttlMs` and then
 * read again, so a rotated Secret takes effect within that time; concurrent
 * reads of the same Secret share one request; when a re-read fails, the last
 * value keeps being used until a read succeeds. Values never leave this class
 * except to the caller: they are not logged and errors do not contain them.
 */
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { namespacedName } from '../core/namespaced-name.ts';

export class SecretUnavailableError extends Error {
  override readonly name = 'SecretUnavailableError';
}

interface Entry {
  data: Readonly<Record<string, string>>;
  fetchedAt: number;
}

export interface SecretReaderOptions {
  readonly ttlMs: number;
  readonly now?: () => number;
}

export class SecretReader {
  readonly #api: CoreV1Api;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #cache = new Map<string, Entry>();
  readonly #inflight = new Map<string, Promise<Entry>>();

  constructor(config: KubeConfig, options: SecretReaderOptions = { ttlMs: 30_000 }) {
    this.#api = config.makeApiClient(CoreV1Api);
    this.#ttlMs = options.ttlMs;
    this.#now = options.now ?? (() => Date.now());
  }

  async read(namespace: string, name: string, key: string): Promise<string> {
    const id = namespacedName(namespace, name);
    let entry = this.#cache.get(id);
    if (entry === undefined || this.#now() - entry.fetchedAt >= this.#ttlMs) {
      try {
        entry = await this.#fetch(namespace, name);
      } catch (error) {
        if (entry === undefined) throw error;
        // Keep using the last value while the API cannot be reached.
      }
    }
    const value = entry.data[key];
    if (value === undefined) throw new SecretUnavailableError(`secret ${id} has no key "${key}"`);
    return value;
  }

  #fetch(namespace: string, name: string): Promise<Entry> {
    const id = namespacedName(namespace, name);
    let pending = this.#inflight.get(id);
    if (pending === undefined) {
      pending = this.#api.readNamespacedSecret({ namespace, name }).then((secret): Entry => {
        const data: Record<string, string> = {};
        for (const [key, value] of Object.entries(secret.data ?? {})) data[key] = Buffer.from(value, 'base64').toString('utf8');
        for (const [key, value] of Object.entries(secret.stringData ?? {})) data[key] = value;
        const entry = { data, fetchedAt: this.#now() };
        this.#cache.set(id, entry);
        return entry;
      }, (error: unknown) => {
        const code = (error as { code?: unknown } | null)?.code;
        throw new SecretUnavailableError(`cannot read secret ${id}${typeof code === 'number' ? ` (HTTP ${String(code)})` : ''}`);
      }).finally(() => this.#inflight.delete(id));
      this.#inflight.set(id, pending);
    }
    return pending;
  }
}
