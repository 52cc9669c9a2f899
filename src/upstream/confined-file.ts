/**
 * Reads a client secret file of a Kubernetes policy only while it lies below
 * one of its namespace's allowed folders (src/policy/secret-file-scope.ts).
 * The path is resolved again right before the read, and the file is opened by
 * its resolved name without following a final symlink; on Linux the opened
 * descriptor's own path is checked as well, so a symlink swapped between the
 * check and the open still never lets a file outside be read. Only regular,
 * small files are read: a FIFO or device could block or never end.
 */
import { constants } from 'node:fs';
import { open, readlink } from 'node:fs/promises';
import { confinedPath, isBelow } from '../policy/secret-file-scope.ts';

/** Larger files are not client secrets. */
const MAX_SECRET_BYTES = 64 * 1024;

export class OutsideAllowedFolderError extends Error {
  override readonly name = 'OutsideAllowedFolderError';
}

/** The file's contents; throws OutsideAllowedFolderError (nothing read) or the read's own error. */
export async function readConfinedFile(path: string, folders: readonly string[]): Promise<string> {
  const resolved = confinedPath(path, folders);
  if (resolved === undefined) throw new OutsideAllowedFolderError(path);
  const handle = await open(resolved, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const opened = await openedPath(handle.fd);
    if (opened !== undefined && !folders.some((folder) => isBelow(opened, folder))) throw new OutsideAllowedFolderError(path);
    const info = await handle.stat();
    if (!info.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'ENOTREG' });
    if (info.size > MAX_SECRET_BYTES) throw Object.assign(new Error('too large for a client secret'), { code: 'EFBIG' });
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

/** What the kernel says an open descriptor refers to (Linux); undefined where /proc is absent. */
async function openedPath(fd: number): Promise<string | undefined> {
  try {
    return await readlink(`/proc/self/fd/${String(fd)}`);
  } catch {
    return undefined;
  }
}
