/**
 * Where an upstream client secret comes from: a key of a Kubernetes Secret in
 * the policy's namespace (via SecretReader, which caches and refreshes it), or
 * a file (any secret source: CSI driver, Vault agent, ...) re-read after
 * `fileTTLMs`, so a rotation is picked up. Secrets are returned to the caller
 * only; errors name the source, never the value.
 *
 * With `secretFileDirs` (Kubernetes mode) a file is used only while it
 * resolves below `DIR/<the policy's namespace>/`: checked again on every
 * call, before any read and before a cached value is served, because a
 * symlink may have changed since the policy was admitted. File-mode policies
 * are the operator's and may name any path.
 */
import { readFile } from 'node:fs/promises';
import type { SecretReader } from '../kubernetes/secret-reader.ts';
import { confinedPath, namespaceSecretFolders } from '../policy/secret-file-scope.ts';
import type { ClientSecretSource } from '../core/runtime-policy.ts';
import { OutsideAllowedFolderError, readConfinedFile } from './confined-file.ts';
import { namespacedName } from '../core/namespaced-name.ts';

export class ClientSecretUnavailableError extends Error {
  override readonly name = 'ClientSecretUnavailableError';
}

export interface ClientSecretResolverOptions {
  readonly fileTTLMs?: number;
  readonly now?: () => number;
  /** `--secret-file-dir` in Kubernetes mode; absent: files may be anywhere (file mode). */
  readonly secretFileDirs?: readonly string[];
}

type FileSource = Extract<ClientSecretSource, { kind: 'file' }>;

export class ClientSecretResolver {
  readonly #secrets: SecretReader | undefined;
  readonly #fileTTLMs: number;
  readonly #now: () => number;
  readonly #secretFileDirs: readonly string[] | undefined;
  readonly #files = new Map<string, { readonly value: string; readonly readAt: number }>();

  constructor(secrets: SecretReader | undefined, options: ClientSecretResolverOptions = {}) {
    this.#secrets = secrets;
    this.#fileTTLMs = options.fileTTLMs ?? 30_000;
    this.#now = options.now ?? (() => Date.now());
    this.#secretFileDirs = options.secretFileDirs;
  }

  async resolve(source: ClientSecretSource): Promise<string> {
    switch (source.kind) {
      case 'secret':
        if (this.#secrets === undefined) {
          throw new ClientSecretUnavailableError(`clientSecretRef ${namespacedName(source.namespace, source.name)} ` +
            'needs the Kubernetes policy source; use clientSecretFile with --policy-file');
        }
        try {
          return await this.#secrets.read(source.namespace, source.name, source.key);
        } catch (error) {
          throw new ClientSecretUnavailableError((error as Error).message);
        }
      case 'file':
        return this.#readFile(source);
    }
  }

  async #readFile(source: FileSource): Promise<string> {
    const { path } = source;
    const folders = this.#secretFileDirs === undefined ? undefined : namespaceSecretFolders(source.namespace, this.#secretFileDirs);
    if (folders !== undefined && confinedPath(path, folders) === undefined) throw this.#outside(source);
    const cached = this.#files.get(path);
    if (cached !== undefined && this.#now() - cached.readAt < this.#fileTTLMs) return cached.value;
    try {
      const value = (folders === undefined ? await readFile(path, 'utf8') : await readConfinedFile(path, folders)).trim();
      if (value === '') throw new ClientSecretUnavailableError(`client secret file ${path} is empty`);
      this.#files.set(path, { value, readAt: this.#now() });
      return value;
    } catch (error) {
      if (error instanceof ClientSecretUnavailableError) throw error;
      if (error instanceof OutsideAllowedFolderError) throw this.#outside(source);
      if (cached !== undefined) return cached.value; // keep the last value while the file is briefly missing
      throw new ClientSecretUnavailableError(`cannot read client secret file ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }

  /** A file that now leads outside the allowed folders: its last value is dropped too. */
  #outside(source: FileSource): ClientSecretUnavailableError {
    this.#files.delete(source.path);
    return new ClientSecretUnavailableError(
      `client secret file ${source.path} is not below --secret-file-dir DIR/${source.namespace}/: not read`,
    );
  }
}
