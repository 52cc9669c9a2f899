/**
 * Where an upstream client secret comes from: a key of a Kubernetes Secret in
 * the policy's namespace (via SecretReader, which caches and refreshes it), or
 * a file (any secret source: CSI driver, Vault agent, ...) re-read after
 * `fileTTLMs`, so a rotation is picked up. Secrets are returned to the caller
 * only; errors name the source, never the value.
 */
import { readFile } from 'node:fs/promises';
import type { SecretReader } from '../kubernetes/secret-reader.ts';
import type { ClientSecretSource } from '../policy/runtime-policy.ts';

export class ClientSecretUnavailableError extends Error {
  override readonly name = 'ClientSecretUnavailableError';
}

export class ClientSecretResolver {
  readonly #secrets: SecretReader | undefined;
  readonly #fileTTLMs: number;
  readonly #now: () => number;
  readonly #files = new Map<string, { readonly value: string; readonly readAt: number }>();

  constructor(secrets: SecretReader | undefined, options: { readonly fileTTLMs?: number; readonly now?: () => number } = {}) {
    this.#secrets = secrets;
    this.#fileTTLMs = options.fileTTLMs ?? 30_000;
    this.#now = options.now ?? (() => Date.now());
  }

  async resolve(source: ClientSecretSource): Promise<string> {
    switch (source.kind) {
      case 'secret':
        if (this.#secrets === undefined) {
          throw new ClientSecretUnavailableError(`clientSecretRef ${source.namespace}/${source.name} needs the Kubernetes policy source; use clientSecretFile with --policy-file`);
        }
        try {
          return await this.#secrets.read(source.namespace, source.name, source.key);
        } catch (error) {
          throw new ClientSecretUnavailableError((error as Error).message);
        }
      case 'file':
        return this.#readFile(source.path);
    }
  }

  async #readFile(path: string): Promise<string> {
    const cached = this.#files.get(path);
    if (cached !== undefined && this.#now() - cached.readAt < this.#fileTTLMs) return cached.value;
    try {
      const value = (await readFile(path, 'utf8')).trim();
      if (value === '') throw new ClientSecretUnavailableError(`client secret file ${path} is empty`);
      this.#files.set(path, { value, readAt: this.#now() });
      return value;
    } catch (error) {
      if (error instanceof ClientSecretUnavailableError) throw error;
      if (cached !== undefined) return cached.value; // keep the last value while the file is briefly missing
      throw new ClientSecretUnavailableError(`cannot read client secret file ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
}
