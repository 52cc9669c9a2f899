// charts/audience-guard/README.md documents every value: its Values table must have one
// row per key of values.yaml (a map documented as a whole covers its keys), no row for a
// key that does not exist, and defaults equal to values.yaml's.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CHART_DIR } from '../support/chart-render.ts';

const README = readFileSync(join(CHART_DIR, 'README.md'), 'utf8');
const VALUES = parse(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8')) as Record<string, unknown>;
const HEADER = '| key | type | default | description |';

interface Row {
  readonly key: string;
  readonly type: string;
  readonly defaultValue: unknown;
  readonly description: string;
}

function rows(): Row[] {
  const lines = README.split('\n');
  const start = lines.findIndex((line) => line.trim() === HEADER);
  assert.notEqual(start, -1, `README.md must have a values table headed ${HEADER}`);
  const result: Row[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const match = /^\| `([^`]+)` \| (\w+) \| `(.*)` \| (.+) \|$/.exec(line);
    assert.ok(match, `malformed values row: ${line}`);
    result.push({ key: match[1]!, type: match[2]!, defaultValue: JSON.parse(match[3]!), description: match[4]! });
  }
  return result;
}

/** Every key path of values.yaml (not descending into lists). */
function keyPaths(node: unknown, prefix: string): string[] {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return [];
  return Object.entries(node).flatMap(([key, value]) => {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    return [path, ...keyPaths(value, path)];
  });
}

function valueAt(path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], VALUES);
}

function typeOf(value: unknown): string {
  if (Array.isArray(value)) return 'list';
  if (value !== null && typeof value === 'object') return 'object';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'number';
  return typeof value === 'boolean' ? 'bool' : 'string';
}

describe('charts/audience-guard/README.md values table', () => {
  const documented = rows();
  const keys = new Set(documented.map((row) => row.key));

  it('must document every key of values.yaml, or the map that holds it', () => {
    const isLeaf = (path: string): boolean => {
      const value = valueAt(path);
      return value === null || typeof value !== 'object' || Array.isArray(value) || Object.keys(value).length === 0;
    };
    const missing = keyPaths(VALUES, '').filter(isLeaf).filter((path) => {
      const parts = path.split('.');
      return !parts.some((_part, index) => keys.has(parts.slice(0, index + 1).join('.')));
    });
    assert.deepEqual(missing, [], `document these values in charts/audience-guard/README.md: ${missing.join(', ')}`);
  });

  it('must document only keys that exist, each once, with a description', () => {
    const known = new Set(keyPaths(VALUES, ''));
    assert.deepEqual(documented.filter((row) => !known.has(row.key)).map((row) => row.key), []);
    assert.equal(keys.size, documented.length, 'no key twice');
    for (const row of documented) assert.ok(row.description.trim().length > 5, `${row.key} needs a description`);
  });

  it('must give each key its default and type from values.yaml', () => {
    for (const row of documented) {
      assert.deepEqual(row.defaultValue, valueAt(row.key), `default of ${row.key}`);
      assert.equal(row.type, typeOf(valueAt(row.key)), `type of ${row.key}`);
    }
  });

  it('must not document a map both as a whole and key by key', () => {
    for (const row of documented) {
      const nested = documented.filter((other) => other.key.startsWith(`${row.key}.`));
      assert.deepEqual(nested.map((other) => other.key), [], `${row.key} is documented as a whole`);
    }
  });
});
