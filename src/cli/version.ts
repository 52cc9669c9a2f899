/**
 * `audience-guard --version`: the version of package.json, which sits two
 * levels above this file both in the sources (src/cli/) and in the build
 * (dist/cli/), and is copied into the image next to dist/.
 */
import { readFileSync } from 'node:fs';

export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof manifest.version === 'string' ? manifest.version : 'unknown';
}
