/**
 * docs/contract.md is the contract that code, tests and docs cite by section
 * (`docs/contract.md §2.1`) and by conformance case (`docs/contract.md case 12`).
 * These tests keep those citations resolvable, keep its closed reason list equal
 * to the code's, and keep the contract and the newer ADRs free of references to
 * files that are not in the repository.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REASONS } from '../../src/core/reasons.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CONTRACT_PATH = join(ROOT, 'docs', 'contract.md');
const CONTRACT = readFileSync(CONTRACT_PATH, 'utf8');
const LINES = CONTRACT.split('\n');

/** Section numbers of the `## N …` and `### N.M …` headings. */
const SECTIONS = LINES.flatMap((line) => /^#{2,3} (\d+(?:\.\d+)?) \S/.exec(line)?.[1] ?? []);

/** Case numbers of the rows of the conformance appendix. */
function caseNumbers(): number[] {
  const start = LINES.findIndex((line) => line.startsWith('## Appendix A. Conformance cases'));
  assert.notEqual(start, -1, 'docs/contract.md must have the heading "## Appendix A. Conformance cases"');
  return LINES.slice(start).flatMap((line) => {
    const match = /^\| (\d+) \|/.exec(line);
    return match === null ? [] : [Number(match[1])];
  });
}

/** Files outside the repository that project documents once cited. */
const OUTSIDE_FILES = /(SPEC|RULES|ENVOY-WIRE|TOOLCHAIN|STYLE)\.md|\.\.\/shared/;

const SKIPPED_DIRECTORIES = new Set(['node_modules', '.git', 'dist', 'coverage']);
const TEXT_FILE = /\.(ts|js|md|ya?ml|json|tpl|txt)$/;

function textFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return SKIPPED_DIRECTORIES.has(entry.name) ? [] : textFiles(path);
    return entry.isFile() && TEXT_FILE.test(entry.name) && entry.name !== 'package-lock.json' ? [path] : [];
  });
}

interface Citation {
  readonly where: string;
  readonly kind: 'section' | 'case';
  readonly number: string;
}

/**
 * `docs/contract.md` followed by `§2.1`, `§2.5, §2.7`, `case 12`, `cases 28–33`:
 * every section or case named right after the file name.
 */
function citationsIn(path: string): Citation[] {
  const citations: Citation[] = [];
  const text = readFileSync(path, 'utf8');
  for (const match of text.matchAll(/docs\/contract\.md((?:[ ,;–-]*(?:and |or )?(?:§\d+(?:\.\d+)?|cases? \d+(?:[–-]\d+)?))*)/g)) {
    const line = text.slice(0, match.index).split('\n').length;
    const where = `${relative(ROOT, path)}:${String(line)}`;
    const cited = match[1] ?? '';
    for (const section of cited.matchAll(/§(\d+(?:\.\d+)?)/g)) citations.push({ where, kind: 'section', number: section[1] ?? '' });
    for (const range of cited.matchAll(/cases? (\d+)(?:[–-](\d+))?/g)) {
      const first = Number(range[1]);
      const last = range[2] === undefined ? first : Number(range[2]);
      for (let number = first; number <= last; number += 1) citations.push({ where, kind: 'case', number: String(number) });
    }
  }
  return citations;
}

describe('docs/contract.md', () => {
  it('must number its sections uniquely', () => {
    assert.notEqual(SECTIONS.length, 0);
    assert.equal(new Set(SECTIONS).size, SECTIONS.length, `duplicate section numbers in ${SECTIONS.join(' ')}`);
  });

  it('must number its conformance cases 1, 2, 3, … without gaps or repeats', () => {
    const numbers = caseNumbers();
    assert.ok(numbers.length >= 27, 'the conformance appendix must keep at least cases 1 to 27');
    assert.deepEqual(numbers, numbers.map((_, index) => index + 1));
  });

  it('must list exactly the deny reasons of src/core/reasons.ts, in order, in §3.1', () => {
    const start = LINES.findIndex((line) => line.startsWith('### 3.1 '));
    const end = LINES.findIndex((line, index) => index > start && line.startsWith('#'));
    assert.notEqual(start, -1, 'docs/contract.md must have a section 3.1');
    const listed = LINES.slice(start, end).join('\n').split(/\n\n/).at(-1)?.match(/`[a-z_]+`/g)?.map((name) => name.slice(1, -1));
    assert.deepEqual(listed, [...REASONS]);
  });

  it('must resolve every § reference inside itself', () => {
    for (const [index, line] of LINES.entries()) {
      for (const match of line.matchAll(/§(\d+(?:\.\d+)?)/g)) {
        assert.ok(SECTIONS.includes(match[1] ?? ''), `docs/contract.md:${String(index + 1)} refers to §${match[1] ?? ''}, which has no heading`);
      }
    }
  });

  it('must link only to files that exist in the repository', () => {
    for (const match of CONTRACT.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
      const target = match[1] ?? '';
      if (/^[a-z]+:/.test(target)) continue;
      assert.ok(existsSync(join(dirname(CONTRACT_PATH), target)), `docs/contract.md links to ${target}, which does not exist`);
    }
  });

  it('must not cite files that are not in the repository (nor must ADRs from 0007 on)', () => {
    const adrDirectory = join(ROOT, 'docs', 'adr');
    const newerADRs = readdirSync(adrDirectory).filter((name) => /^\d{4}-/.test(name) && Number(name.slice(0, 4)) >= 7);
    assert.ok(newerADRs.length > 0);
    for (const [path, text] of [[CONTRACT_PATH, CONTRACT], ...newerADRs.map((name) => [join(adrDirectory, name), readFileSync(join(adrDirectory, name), 'utf8')])] as const) {
      assert.doesNotMatch(text, OUTSIDE_FILES, `${relative(ROOT, path)} cites a file outside the repository`);
    }
  });

  it('must contain every section and case that the repository cites', () => {
    const sections = new Set(SECTIONS);
    const cases = new Set(caseNumbers().map(String));
    const unresolved = textFiles(ROOT)
      .flatMap(citationsIn)
      .filter((citation) => !(citation.kind === 'section' ? sections : cases).has(citation.number))
      .map((citation) => `${citation.where}: ${citation.kind} ${citation.number}`);
    assert.deepEqual(unresolved, []);
  });
});
