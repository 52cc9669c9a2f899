/**
 * The repository is self-contained: what it cites, a reader who clones it can
 * open. The product contract is docs/contract.md; no file may point at the
 * planning documents it replaced (they never were in the repository) or at a
 * folder beside the checkout. A relative path up to a `shared` folder is fine
 * only where it leads to a folder of the repository itself.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Names of files outside the repository that older code, tests and docs cited. */
const OUTSIDE_NAMES = /(?<![A-Za-z/-])(?:SPEC|RULES|ENVOY-WIRE|TOOLCHAIN|STYLE)\.md|shared\/product|\/work\/shared|RULES #\d/;

/** A relative path into a folder named `shared`: must stay inside the repository. */
const SHARED_PATH = /(?:\.\.\/)+shared\b/g;

/** Tracked files and new files not ignored: what a clone (or the next commit) holds. */
function repositoryFiles(): string[] {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' });
  return [...new Set(listed.split('\0'))]
    .filter((path) => path !== '' && path !== 'package-lock.json' && existsSync(join(ROOT, path)) && lstatSync(join(ROOT, path)).isFile())
    .sort();
}

function readText(path: string): string | undefined {
  const text = readFileSync(join(ROOT, path), 'utf8');
  return text.includes('\0') ? undefined : text;
}

/** `file:line: excerpt` for each citation of something outside the repository. */
function outsideCitations(path: string, text: string): string[] {
  return text.split('\n').flatMap((line, index) => {
    const where = `${path}:${String(index + 1)}`;
    const found: string[] = [];
    const name = OUTSIDE_NAMES.exec(line);
    if (name !== null) found.push(`${where}: ${name[0]}`);
    for (const match of line.matchAll(SHARED_PATH)) {
      const target = relative(ROOT, resolve(ROOT, dirname(path), match[0]));
      if (target.startsWith('..') || !existsSync(join(ROOT, target))) found.push(`${where}: ${match[0]} leads to ${target}`);
    }
    return found;
  });
}

describe('a self-contained repository', () => {
  let files: string[] = [];
  let citing = new Map<string, string[]>();
  before(() => {
    files = repositoryFiles();
    citing = new Map(files.flatMap((path) => {
      const text = readText(path);
      const citations = text === undefined ? [] : outsideCitations(path, text);
      return citations.length === 0 ? [] : [[path, citations] as const];
    }));
  });

  it('lists the repository files', () => {
    assert.ok(files.includes('docs/contract.md') && files.includes('README.md'), 'git ls-files must list the repository');
  });

  it('must not cite files that are not in the repository (docs/contract.md is the contract)', () => {
    const offending = [...citing].flatMap(([, citations]) => citations);
    assert.deepEqual(offending, []);
  });
});
