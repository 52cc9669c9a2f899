/**
 * The README's AudiencePolicy field reference must say what the schema says
 * (src/policy/policy-schema.ts, and the status the CRD adds in
 * src/policy/crd.ts), read from the CRD the schema generates:
 *   - every field under `spec` and `status` has exactly one row, and no row
 *     names a field the schema lacks;
 *   - the default column gives the schema's `default:`, `required` for a
 *     required field, the value of a description's closing `Default: …`
 *     sentence (a default the API server cannot fill in), and `written` under
 *     `status`;
 *   - the meaning column contains the field's description.
 * `….x` rows stand for the field x of both upstream grants.
 */
import { strict as assert } from 'node:assert';
import { audiencePolicySchema } from '../../src/policy/crd.ts';
import { AudiencePolicySchema, PolicyMetadataSchema } from '../../src/policy/policy-schema.ts';
import { tableRows, unquoted } from '../support/readme.ts';

const FIELDS_HEADER = '| field | type | default | meaning |';
const GRANTS = ['spec.upstream.tokenExchange', 'spec.upstream.clientCredentials'];

interface Node {
  readonly description?: string;
  readonly default?: unknown;
  readonly required?: readonly string[];
  readonly properties?: Readonly<Record<string, Node>>;
  readonly items?: Node;
}

interface Field {
  readonly path: string;
  readonly node: Node;
  readonly required: boolean;
}

/** Every object property below `node` (and through lists of objects, as `name[]`); map values are not fields. */
function* fields(node: Node, path: string, required: boolean): Generator<Field> {
  yield { path, node, required };
  const object = node.items?.properties === undefined ? node : node.items;
  const prefix = object === node ? path : `${path}[]`;
  for (const [name, child] of Object.entries(object.properties ?? {})) {
    yield* fields(child, `${prefix}.${name}`, object.required?.includes(name) === true);
  }
}

const ROOT = audiencePolicySchema() as unknown as Node & { properties: Record<'spec' | 'status', Node> };
const SCHEMA_FIELDS = new Map([...fields(ROOT.properties.spec, 'spec', true), ...fields(ROOT.properties.status, 'status', false)].map((field) => [field.path, field]));
/** Fields outside spec and status that rows may name (not checked further: the API server owns metadata). */
const OTHER_FIELDS = new Set([...Object.keys(AudiencePolicySchema.properties), ...Object.keys(PolicyMetadataSchema.properties).map((name) => `metadata.${name}`)]);

/** The schema paths a row's field cell names: `….x` names x under both grants. */
function rowPaths(cell: string | undefined): string[] {
  const path = unquoted(cell) ?? '';
  return path.startsWith('….') ? GRANTS.map((grant) => `${grant}.${path.slice('….'.length)}`) : [path];
}

/** Prose as compared: Markdown links reduced to their text, code spans to plain text, white space folded. */
function prose(text: string): string {
  return text.replace(/\[([^\]]+)\]\([^)]*\)/g, '$1').replaceAll('`', '').replace(/\s+/g, ' ').trim();
}

/** A description split into its meaning and the value of a closing `Default: …` sentence. */
function splitDescription(description: string): { meaning: string; stated: string | undefined } {
  const match = /^(.*?)\s*Default: (.+?)\.?$/s.exec(description);
  return match === null ? { meaning: description, stated: undefined } : { meaning: match[1] ?? '', stated: match[2] };
}

function expectedDefault(field: Field): string | undefined {
  if (field.path === 'status' || field.path.startsWith('status.')) return 'written';
  const value = field.node.default;
  if (Array.isArray(value)) return value.join(', ');
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  assert.equal(value, undefined, `${field.path}: a default the README cannot write`);
  if (field.required) return 'required';
  return splitDescription(field.node.description ?? '').stated;
}

const ROWS = tableRows(FIELDS_HEADER);
const ROWS_BY_PATH = new Map<string, string[][]>();
for (const row of ROWS) for (const path of rowPaths(row[0])) ROWS_BY_PATH.set(path, [...(ROWS_BY_PATH.get(path) ?? []), row]);

describe('README AudiencePolicy field reference', () => {
  it('must name one field per row, in backticks', () => {
    for (const row of ROWS) assert.match(row[0] ?? '', /^`[^`\s]+`$/, `field cell "${row[0] ?? ''}"`);
  });

  it('must name no field the schema lacks', () => {
    const unknown = [...ROWS_BY_PATH.keys()].filter((path) => !SCHEMA_FIELDS.has(path) && !OTHER_FIELDS.has(path));
    assert.deepEqual(unknown, []);
  });

  for (const field of SCHEMA_FIELDS.values()) {
    describe(field.path, () => {
      const rows = ROWS_BY_PATH.get(field.path) ?? [];

      it('must have exactly one row', () => {
        assert.equal(rows.length, 1);
      });

      it('must give the schema\'s default', () => {
        const cell = (rows[0]?.[2] ?? '').replaceAll('`', '');
        const expected = expectedDefault(field)?.replaceAll('`', '');
        if (expected !== undefined) assert.equal(cell, expected);
        else assert.ok(cell !== 'required' && cell !== 'written', `an optional field without a default: "${cell}"`);
      });

      it('must contain the schema\'s description', () => {
        const { meaning } = splitDescription(field.node.description ?? '');
        assert.notEqual(meaning, '', 'the schema must describe the field');
        assert.ok(prose(rows[0]?.[3] ?? '').includes(prose(meaning)), `README: ${prose(rows[0]?.[3] ?? '')}\nschema: ${prose(meaning)}`);
      });
    });
  }
});
