/**
 * Where a policy from the Kubernetes API may name a client secret file: only
 * below `DIR/<its namespace>/` of an operator's `--secret-file-dir DIR`, judged
 * on the path the kernel would open (every symlink followed, `.` and `..`
 * applied where they occur), so one team can name neither another team's file
 * nor the service's own (service-account token, kubeconfig). Used when a
 * policy is admitted and again before every read, since a symlink can change
 * in between.
 */
import { lstatSync, realpathSync } from 'node:fs';
import { posix } from 'node:path';

/** A Kubernetes namespace name (RFC 1123 label): never empty, `.`, `..` or a path. */
const NAMESPACE = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;

/** `DIR/<namespace>` of each directory, resolved; none for a namespace that is not a plain name. */
export function namespaceSecretFolders(namespace: string, secretFileDirs: readonly string[]): string[] {
  if (!NAMESPACE.test(namespace)) return [];
  return secretFileDirs.flatMap((dir) => {
    const folder = resolvedPath(`${dir.replace(/\/+$/, '')}/${namespace}`);
    return folder === undefined ? [] : [folder];
  });
}

/**
 * The path with every symlink followed and `.`/`..` applied as the kernel
 * would — not lexically: `link/..` is the parent of the link's target. A part
 * that does not exist yet (a secret written later) is appended as spelled;
 * undefined when the path cannot be resolved at all (a dangling symlink,
 * a loop, a file used as a folder, no permission).
 */
function resolvedPath(path: string): string | undefined {
  try {
    // `.native` is realpath(3); fs.realpathSync applies `..` lexically first.
    return realpathSync.native(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return undefined;
  }
  if (exists(path)) return undefined; // a dangling symlink: where it leads is not known
  const parent = posix.dirname(path);
  if (parent === path) return undefined;
  const resolvedParent = resolvedPath(parent);
  return resolvedParent === undefined ? undefined : posix.join(resolvedParent, posix.basename(path));
}

/** True when `path` names something strictly below `folder` (both already resolved). */
export function isBelow(path: string, folder: string): boolean {
  const relative = posix.relative(folder, path);
  return relative !== '' && relative !== '..' && !relative.startsWith('../') && !posix.isAbsolute(relative);
}

/** The resolved form of `path` when it lies below one of `folders`; otherwise undefined. */
export function confinedPath(path: string, folders: readonly string[]): string | undefined {
  const resolved = resolvedPath(path);
  return resolved !== undefined && folders.some((folder) => isBelow(resolved, folder)) ? resolved : undefined;
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
