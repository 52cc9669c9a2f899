// What the image ships: `npm ci --omit=dev` installs `dependencies` and what they
// need, nothing else. So `dependencies` must be exactly the packages that the
// shipped code (src/, bin/) imports at run time: one that is missing crashes the
// image, one that nothing imports ships for nothing (jose and ajv-formats did).
// Type-only imports are erased when compiled and do not count.
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from '../support/helm.ts';

interface Manifest {
  readonly dependencies: Readonly<Record<string, string>>;
  readonly devDependencies: Readonly<Record<string, string>>;
}

interface LockEntry extends Partial<Manifest> {
  readonly dev?: boolean;
  readonly optionalDependencies?: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
  readonly peerDependenciesMeta?: Readonly<Record<string, { readonly optional?: boolean }>>;
}

type LockPackages = Readonly<Record<string, LockEntry>>;

/** Where Node finds `name` from the package at `from`: its own node_modules, then each enclosing one. */
function resolveIn(packages: LockPackages, from: string, name: string): string | undefined {
  for (let base = from; ; base = base.slice(0, Math.max(0, base.lastIndexOf('/node_modules/')))) {
    const candidate = base === '' ? `node_modules/${name}` : `${base}/node_modules/${name}`;
    if (candidate in packages) return candidate;
    if (base === '') return undefined;
  }
}

/** The lock entries `npm ci --omit=dev` installs: everything reachable from the root's dependencies. */
function productionClosure(packages: LockPackages): Set<string> {
  const reached = new Set<string>();
  const pending = [''];
  for (let from = pending.pop(); from !== undefined; from = pending.pop()) {
    const entry = packages[from] ?? {};
    const required = Object.keys(entry.peerDependencies ?? {}).filter((name) => from !== '' && entry.peerDependenciesMeta?.[name]?.optional !== true);
    for (const name of [...Object.keys(entry.dependencies ?? {}), ...Object.keys(entry.optionalDependencies ?? {}), ...required]) {
      const found = resolveIn(packages, from, name);
      if (found !== undefined && !reached.has(found)) {
        reached.add(found);
        pending.push(found);
      }
    }
  }
  return reached;
}

function filesBelow(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(ts|js)$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** `@scope/name` or `name` of a bare specifier; undefined for relative paths and node: builtins. */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Package → the shipped files that import it at run time (static `import … from`, `export … from`, `import()`). */
function runtimeImports(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const file of [...filesBelow(join(REPO_ROOT, 'src')), ...filesBelow(join(REPO_ROOT, 'bin'))]) {
    const text = readFileSync(file, 'utf8');
    const statements = [...text.matchAll(/^(?:import|export)\s+(type\s+)?[^;]*?\sfrom\s+'([^']+)'/gms)]
      .filter((match) => match[1] === undefined)
      .map((match) => match[2]!);
    const dynamic = [...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)].map((match) => match[1]!);
    for (const specifier of [...statements, ...dynamic]) {
      const name = packageOf(specifier);
      if (name !== undefined) found.set(name, [...(found.get(name) ?? []), relative(REPO_ROOT, file)]);
    }
  }
  return found;
}

describe('production dependencies', function () {
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as Manifest;
  const imported = runtimeImports();

  it('lists every package that src/ or bin/ imports at run time', function () {
    const missing = [...imported.keys()].filter((name) => !(name in manifest.dependencies));
    assert.deepEqual(missing, [], `imported at run time but not in dependencies: ${missing.map((name) => `${name} (${imported.get(name)!.join(', ')})`).join('; ')}`);
  });

  it('ships nothing that src/ and bin/ do not import (tests and tools take theirs from devDependencies)', function () {
    const unused = Object.keys(manifest.dependencies).filter((name) => !imported.has(name));
    assert.deepEqual(unused, []);
  });

  const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as { packages: LockPackages };

  it('has the same root entry in package-lock.json, so npm ci installs what package.json says', function () {
    const root = lock.packages[''];
    assert.ok(root !== undefined, 'package-lock.json has no root entry');
    assert.deepEqual(root.dependencies, manifest.dependencies);
    assert.deepEqual(root.devDependencies, manifest.devDependencies);
  });

  it('flags as dev in package-lock.json exactly the packages production does not reach', function () {
    const production = productionClosure(lock.packages);
    const entries = Object.entries(lock.packages).filter(([path]) => path !== '');
    assert.deepEqual(entries.filter(([path, entry]) => entry.dev === true && production.has(path)).map(([path]) => path), [], 'needed in production but flagged dev');
    assert.deepEqual(entries.filter(([path, entry]) => entry.dev !== true && !production.has(path)).map(([path]) => path), [], 'installed in production for nothing');
  });
});
