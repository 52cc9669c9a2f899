/**
 * `npm test`'s pretest step: the end-to-end tests run the real nginx and
 * Caddy (Debian packages). When one is missing, install it with apt-get if
 * this runs as root; otherwise print, loudly, which tests will be skipped.
 * Never fails: `npm test` must keep working without root.
 */
import { spawnSync } from 'node:child_process';
import { findBinary } from '../test/support/proxy-process.ts';

const PROXIES = ['nginx', 'caddy'] as const;

const missing = (): string[] => PROXIES.filter((name) => findBinary(name) === undefined);

function install(names: readonly string[]): void {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  console.log(`installing ${names.join(' ')} with apt-get`);
  const update = spawnSync('apt-get', ['update', '-q'], { stdio: 'inherit', env });
  if (update.status !== 0) return;
  spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...names], { stdio: 'inherit', env });
}

const absent = missing();
if (absent.length > 0 && process.getuid?.() === 0 && findBinary('apt-get') !== undefined) install(absent);
const still = missing();
if (still.length > 0) {
  const line = '!'.repeat(78);
  console.warn(`${line}\n!! ${still.join(' and ')} not installed (and not root, or apt-get failed):\n` +
    `!! the end-to-end tests through the real ${still.join(' and ')} will be SKIPPED.\n` +
    `!! Install with: sudo apt-get install -y ${still.join(' ')}\n${line}`);
}
