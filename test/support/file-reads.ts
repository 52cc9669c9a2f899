/**
 * Proof that a file was never read, from its access time: the atime is set far
 * into the past (before the mtime), so with `relatime` (Linux's default) or
 * `strictatime` any read moves it. Resolving a path (realpath, lstat) does not.
 * Where the file system does not record reads (`noatime`), `readsAreVisible`
 * says so and the check proves nothing — tests then rely on their other
 * assertions.
 */
import { strict as assert } from 'node:assert';
import { readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';

const LONG_AGO = new Date('2001-01-01T00:00:00Z');

function markUnread(path: string): void {
  utimesSync(path, LONG_AGO, statSync(path).mtime);
}

function wasRead(path: string): boolean {
  return statSync(path).atime.getTime() !== LONG_AGO.getTime();
}

/** True when a read of a file in `folder` shows in its atime. */
export async function readsAreVisible(folder: string): Promise<boolean> {
  const probe = `${folder}/.atime-probe`;
  writeFileSync(probe, 'probe');
  try {
    markUnread(probe);
    readFileSync(probe);
    return wasRead(probe);
  } finally {
    await rm(probe, { force: true });
  }
}

/** Runs `action`, then fails if any of `paths` was read meanwhile (where reads are visible at all). */
export async function assertNeverRead(paths: readonly string[], action: () => Promise<void>): Promise<void> {
  const visible = await Promise.all(paths.map((path) => readsAreVisible(dirname(path))));
  for (const path of paths) markUnread(path);
  await action();
  paths.forEach((path, index) => { if (visible[index] === true) assert.equal(wasRead(path), false, `${path} was read`); });
}
