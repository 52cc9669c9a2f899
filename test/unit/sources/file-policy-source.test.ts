// Policies from files and folders (docs/contract.md §1.5): a folder
// yields its *.yaml/*.yml/*.json files in name order, skipping hidden entries
// (a mounted ConfigMap keeps its real files in `..data/`); the whole set is
// applied only when every document is valid, so a bad edit keeps the last good
// snapshot; each problem names FILE#INDEX; a change in a watched folder reloads.
import { strict as assert } from 'node:assert';
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { PolicyDocumentProblem } from '../../../src/policy/policy-documents.ts';
import { PolicyStore } from '../../../src/policy/policy-store.ts';
import { FilePolicySource } from '../../../src/sources/file-policy-source.ts';
import { PolicyFileError, readPolicyFiles, type PolicyFileSet } from '../../../src/sources/policy-files.ts';
import { policyDocument } from '../policy-fixtures.ts';
import { eventually } from '../keys/local-http.ts';

function policyYAML(name: string, options: { namespace?: string; resource?: string } = {}): string {
  return stringify(policyDocument({ resource: options.resource ?? `https://${name}.example.com/mcp` }, { name, ...(options.namespace === undefined ? {} : { namespace: options.namespace }) }));
}

const INVALID_YAML = stringify({ ...policyDocument(), spec: { resource: 'http://not-loopback.example.com/mcp', issuers: [] } });

async function expectPolicyFileError(promise: Promise<unknown>): Promise<PolicyFileError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof PolicyFileError, `expected a PolicyFileError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a PolicyFileError');
}

function ids(set: PolicyFileSet): string[] {
  return set.policies.map((policy) => `${policy.document.metadata.namespace ?? 'default'}/${policy.document.metadata.name}`);
}

describe('file policy source', () => {
  let dir: string;
  const sources: FilePolicySource[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'audience-guard-unit-'));
  });

  afterEach(async () => {
    await Promise.all(sources.splice(0).map((source) => source.stop()));
    await rm(dir, { recursive: true, force: true });
  });

  function source(paths: string[], store: PolicyStore, events: ConstructorParameters<typeof FilePolicySource>[2] = {}, debounceMs = 3_600_000): FilePolicySource {
    // A long debounce keeps the watcher out of the way of tests that call reload() themselves.
    const created = new FilePolicySource(paths, store, events, debounceMs);
    sources.push(created);
    return created;
  }

  describe('readPolicyFiles', () => {
    it('reads *.yaml, *.yml and *.json files of a folder in name order', async () => {
      await writeFile(join(dir, 'b.yaml'), policyYAML('bravo'));
      await writeFile(join(dir, 'a.yml'), policyYAML('alpha'));
      await writeFile(join(dir, 'c.json'), JSON.stringify(policyDocument({ resource: 'https://charlie.example.com/mcp' }, { name: 'charlie' })));
      await writeFile(join(dir, 'D.YAML'), policyYAML('delta'));
      const set = await readPolicyFiles([dir]);
      assert.deepEqual(set.problems, []);
      assert.deepEqual(set.policies.map((policy) => policy.origin), [join(dir, 'D.YAML#0'), join(dir, 'a.yml#0'), join(dir, 'b.yaml#0'), join(dir, 'c.json#0')]);
      assert.deepEqual(ids(set), ['mcp/delta', 'mcp/alpha', 'mcp/bravo', 'mcp/charlie']);
    });

    it('skips other extensions, hidden files and folders (including ..data)', async () => {
      await writeFile(join(dir, 'policy.yaml'), policyYAML('kept'));
      await writeFile(join(dir, 'notes.txt'), 'not a policy');
      await writeFile(join(dir, 'policy.yaml.bak'), INVALID_YAML);
      await writeFile(join(dir, '.hidden.yaml'), INVALID_YAML);
      await mkdir(join(dir, '..data'));
      await writeFile(join(dir, '..data', 'other.yaml'), policyYAML('inside-data'));
      await mkdir(join(dir, 'nested.yaml'));
      await writeFile(join(dir, 'nested.yaml', 'deep.yaml'), policyYAML('nested'));
      const set = await readPolicyFiles([dir]);
      assert.deepEqual(set.problems, []);
      assert.deepEqual(ids(set), ['mcp/kept']);
    });

    it('reads a mounted ConfigMap (symlinks into ..data) once per file', async () => {
      await mkdir(join(dir, '..2024_01_01_00_00_00.1'));
      await writeFile(join(dir, '..2024_01_01_00_00_00.1', 'weather.yaml'), policyYAML('weather'));
      await symlink('..2024_01_01_00_00_00.1', join(dir, '..data'));
      await symlink(join('..data', 'weather.yaml'), join(dir, 'weather.yaml'));
      const set = await readPolicyFiles([dir]);
      assert.deepEqual(set.problems, []);
      assert.deepEqual(ids(set), ['mcp/weather']);
    });

    it('reads a single file given directly, whatever its extension', async () => {
      const file = join(dir, 'policies.conf');
      await writeFile(file, `${policyYAML('one')}---\n${policyYAML('two')}`);
      const set = await readPolicyFiles([file]);
      assert.deepEqual(set.policies.map((policy) => policy.origin), [`${file}#0`, `${file}#1`]);
    });

    it('reports a duplicate NAMESPACE/NAME across files, naming both origins, and keeps the first', async () => {
      await writeFile(join(dir, 'a.yaml'), policyYAML('weather', { resource: 'https://first.example.com/mcp' }));
      await writeFile(join(dir, 'b.yaml'), policyYAML('weather', { resource: 'https://second.example.com/mcp' }));
      const set = await readPolicyFiles([dir]);
      assert.equal(set.problems.length, 1);
      const problem = set.problems[0]!;
      const text = `${problem.origin} ${problem.message}`;
      assert.ok(text.includes(join(dir, 'a.yaml#0')), text);
      assert.ok(text.includes(join(dir, 'b.yaml#0')), text);
      assert.match(problem.message, /mcp\/weather/);
      assert.deepEqual(set.policies.map((policy) => policy.document.spec.resource), ['https://first.example.com/mcp']);
    });

    it('treats an absent namespace as "default" when looking for duplicates', async () => {
      const withoutNamespace = policyDocument({}, { name: 'weather' });
      const { namespace: _namespace, ...metadata } = withoutNamespace.metadata;
      await writeFile(join(dir, 'a.yaml'), stringify({ ...withoutNamespace, metadata }));
      await writeFile(join(dir, 'b.yaml'), policyYAML('weather', { namespace: 'default' }));
      const set = await readPolicyFiles([dir]);
      assert.equal(set.problems.length, 1);
      assert.match(set.problems[0]!.message, /default\/weather/);
    });

    it('does not call the same name in two namespaces a duplicate', async () => {
      await writeFile(join(dir, 'a.yaml'), policyYAML('weather', { namespace: 'one', resource: 'https://one.example.com/mcp' }));
      await writeFile(join(dir, 'b.yaml'), policyYAML('weather', { namespace: 'two', resource: 'https://two.example.com/mcp' }));
      const set = await readPolicyFiles([dir]);
      assert.deepEqual(set.problems, []);
      assert.deepEqual(ids(set), ['one/weather', 'two/weather']);
    });

    it('reports invalid documents with FILE#INDEX origins instead of throwing', async () => {
      const file = join(dir, 'mixed.yaml');
      await writeFile(file, `${policyYAML('good')}---\n${INVALID_YAML}`);
      const set = await readPolicyFiles([file]);
      assert.deepEqual(ids(set), ['mcp/good']);
      assert.ok(set.problems.length > 0);
      for (const problem of set.problems) assert.equal(problem.origin, `${file}#1`);
    });

    it('throws PolicyFileError naming a path that does not exist', async () => {
      const missing = join(dir, 'missing.yaml');
      const error = await expectPolicyFileError(readPolicyFiles([missing]));
      assert.ok(error.message.includes(missing), error.message);
    });

    it('throws PolicyFileError naming a policy file that cannot be read (dangling symlink)', async () => {
      const file = join(dir, 'gone.yaml');
      await symlink(join(dir, 'nowhere.yaml'), file);
      const error = await expectPolicyFileError(readPolicyFiles([dir]));
      assert.ok(error.message.includes(file), error.message);
      assert.deepEqual(error.problems, []);
    });
  });

  describe('FilePolicySource', () => {
    it('start() applies a valid set to the store', async () => {
      const file = join(dir, 'policies.yaml');
      await writeFile(file, policyYAML('weather'));
      const store = new PolicyStore();
      await source([file], store).start();
      assert.equal(store.loaded(), true);
      assert.equal(store.current().generation, 1);
      assert.deepEqual(store.current().policies.map((policy) => policy.id), ['mcp/weather']);
    });

    it('start() throws PolicyFileError with the problems of an invalid file and applies nothing', async () => {
      const file = join(dir, 'policies.yaml');
      await writeFile(file, `${policyYAML('weather')}---\n${INVALID_YAML}`);
      const store = new PolicyStore();
      const error = await expectPolicyFileError(source([file], store).start());
      assert.ok(error.problems.length > 0);
      for (const problem of error.problems) assert.equal(problem.origin, `${file}#1`);
      assert.equal(store.loaded(), false);
      assert.equal(store.current().generation, 0);
    });

    it('start() throws PolicyFileError for an unreadable path', async () => {
      const store = new PolicyStore();
      await expectPolicyFileError(source([join(dir, 'nope')], store).start());
      assert.equal(store.loaded(), false);
    });

    it('reload() applies a valid change', async () => {
      const file = join(dir, 'policies.yaml');
      await writeFile(file, policyYAML('weather'));
      const store = new PolicyStore();
      const applied: PolicyFileSet[] = [];
      const created = source([file], store, { applied: (set) => applied.push(set) });
      await created.start();
      await writeFile(file, `${policyYAML('weather')}---\n${policyYAML('news')}`);
      await created.reload();
      assert.equal(store.current().generation, 2);
      assert.deepEqual(store.current().policies.map((policy) => policy.id).sort(), ['mcp/news', 'mcp/weather']);
      assert.equal(applied.length, 2);
    });

    it('reload() keeps the last good snapshot on an invalid change and reports the problems with FILE#INDEX', async () => {
      const file = join(dir, 'policies.yaml');
      await writeFile(file, policyYAML('weather'));
      const store = new PolicyStore();
      const rejected: (readonly PolicyDocumentProblem[])[] = [];
      const created = source([file], store, { rejected: (problems) => rejected.push(problems) });
      await created.start();
      const before = store.current();
      await writeFile(file, `${policyYAML('weather')}---\n${policyYAML('news')}---\n${INVALID_YAML}`);
      await created.reload();
      assert.equal(store.current(), before);
      assert.equal(store.current().generation, 1);
      assert.equal(rejected.length, 1);
      assert.ok(rejected[0]!.length > 0);
      for (const problem of rejected[0]!) assert.equal(problem.origin, `${file}#2`);
    });

    it('reload() keeps the last good snapshot when a path disappears, and reports the failure', async () => {
      const file = join(dir, 'policies.yaml');
      await writeFile(file, policyYAML('weather'));
      const store = new PolicyStore();
      const failures: Error[] = [];
      const created = source([file], store, { failed: (error) => failures.push(error) });
      await created.start();
      await rm(file);
      await created.reload();
      assert.equal(store.current().generation, 1);
      assert.equal(failures.length, 1);
      assert.ok(failures[0] instanceof PolicyFileError);
    });

    it('reload() does not rebuild the snapshot when nothing changed', async () => {
      const file = join(dir, 'policies.yaml');
      await writeFile(file, policyYAML('weather'));
      const store = new PolicyStore();
      let updates = 0;
      store.onUpdate(() => { updates += 1; });
      const created = source([file], store);
      await created.start();
      const before = store.current();
      await created.reload();
      await created.reload();
      assert.equal(store.current(), before);
      assert.equal(updates, 1);
    });

    it('reload() does not rebuild when an invalid edit is reverted to the contents in force', async () => {
      const file = join(dir, 'policies.yaml');
      await writeFile(file, policyYAML('weather'));
      const store = new PolicyStore();
      const created = source([file], store);
      await created.start();
      await writeFile(file, INVALID_YAML);
      await created.reload();
      await writeFile(file, policyYAML('weather'));
      await created.reload();
      assert.equal(store.current().generation, 1);
    });

    it('serialises overlapping reloads: the last one sees the last contents', async () => {
      const file = join(dir, 'policies.yaml');
      await writeFile(file, policyYAML('weather'));
      const store = new PolicyStore();
      const created = source([file], store);
      await created.start();
      await writeFile(file, policyYAML('news'));
      const reloads = [created.reload(), created.reload(), created.reload()];
      await Promise.all(reloads);
      assert.equal(store.current().generation, 2);
      assert.deepEqual(store.current().policies.map((policy) => policy.id), ['mcp/news']);
    });

    it('picks up a new file in a watched folder', async function () {
      this.timeout(15_000);
      await writeFile(join(dir, 'a.yaml'), policyYAML('alpha'));
      const store = new PolicyStore();
      await source([dir], store, {}, 20).start();
      assert.equal(store.current().generation, 1);
      // Written aside (hidden) and renamed in, as editors and ConfigMap updates do.
      await writeFile(join(dir, '.b.yaml.tmp'), policyYAML('bravo'));
      await rename(join(dir, '.b.yaml.tmp'), join(dir, 'b.yaml'));
      await eventually(() => store.current().policies.length === 2, 'the new policy to be loaded', 10_000);
      assert.deepEqual(store.current().policies.map((policy) => policy.id).sort(), ['mcp/alpha', 'mcp/bravo']);
    });

    it('picks up a change to a watched single file', async function () {
      this.timeout(15_000);
      const file = join(dir, 'policies.yaml');
      await writeFile(file, policyYAML('alpha'));
      const store = new PolicyStore();
      await source([file], store, {}, 20).start();
      await writeFile(join(dir, '.policies.yaml.tmp'), `${policyYAML('alpha')}---\n${policyYAML('bravo')}`);
      await rename(join(dir, '.policies.yaml.tmp'), file);
      await eventually(() => store.current().policies.length === 2, 'the changed file to be loaded', 10_000);
    });
  });
});
