/**
 * Another commit of this repository for the A/B mode: a detached
 * `git worktree` in the system's temp folder, with this checkout's
 * node_modules linked in (so its server runs on the same dependencies),
 * removed again when the run ends — also on an error, Ctrl-C or SIGTERM.
 * Only the commit's tracked files are there; its server runs from its src/.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

export interface OtherCheckout {
  /** `<ref> (<short commit>)`, for the report. */
  readonly label: string;
  readonly root: string;
  /** Removes the worktree; safe to call more than once. */
  remove(): void;
}

function git(args: readonly string[]): string {
  const result = spawnSync('git', args, { cwd: REPO, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

/** This checkout, for the report: its commit, and whether src/ or proto/ has changes not committed. */
export function describeThisCheckout(): string {
  const commit = git(['rev-parse', '--short', 'HEAD']);
  const changed = git(['status', '--porcelain', '--', 'src', 'proto']) !== '';
  return `this checkout (${commit}${changed ? ' + uncommitted changes' : ''})`;
}

export function checkOut(ref: string): OtherCheckout {
  const commit = git(['rev-parse', '--verify', '--end-of-options', `${ref}^{commit}`]);
  const root = mkdtempSync(join(tmpdir(), 'audience-guard-ab-'));
  try {
    git(['worktree', 'add', '--detach', root, commit]);
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  const modules = join(root, 'node_modules');
  let removed = false;
  const remove = (): void => {
    if (removed) return;
    removed = true;
    // The link goes first, so nothing below can reach the shared node_modules through it.
    rmSync(modules, { force: true });
    spawnSync('git', ['worktree', 'remove', '--force', root], { cwd: REPO, stdio: 'ignore' });
    rmSync(root, { recursive: true, force: true });
  };
  process.once('exit', remove);
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) process.once(signal, () => process.exit(code));
  symlinkSync(realpathSync(join(REPO, 'node_modules')), modules, 'dir');
  return { label: `${ref} (${commit.slice(0, 7)})`, root, remove };
}
