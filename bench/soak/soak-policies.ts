/**
 * The soak's policies: a model of what the policy folder says, the YAML it is
 * written as, and the changes made to it while the load runs.
 *
 * The folder holds FILES files; policy `svc-NNN` lives in file NNN % FILES.
 * Every change rewrites exactly one file, atomically (a hidden temporary file
 * renamed over it — the server skips hidden names), so the server can only
 * ever read the old or the new contents: there are no half states. Each file
 * also holds a marker policy `marker-F` whose required scope `gen:V` names the
 * file's version, so a request without a token to the marker's host is
 * answered with a challenge naming the version the server has in force:
 * that is how the soak learns when a change has been applied.
 */
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const NAMESPACE = 'soak';
export const FILES = 10;

/**
 * `base`: Strict, requires `mcp:tools`. `scoped`: Strict, requires
 * `mcp:tools mcp:write`. `permissive`: Permissive (audience failures allowed,
 * not enforced), requires `mcp:tools`.
 */
export type Variant = 'base' | 'scoped' | 'permissive';
const VARIANTS: readonly Variant[] = ['base', 'scoped', 'permissive'];

export type PolicyState = ReadonlyMap<string, Variant>;

export function policyName(index: number): string {
  return `svc-${String(index).padStart(3, '0')}`;
}

export function hostOf(name: string): string {
  return `${name}.soak.test`;
}

export function resourceOf(name: string): string {
  return `https://${hostOf(name)}/mcp`;
}

export function markerName(file: number): string {
  return `marker-${String(file)}`;
}

function fileOf(name: string): number {
  return Number(name.slice(4)) % FILES;
}

function policyYAML(issuer: string, name: string, variant: Variant): string {
  return [
    'apiVersion: audienceguard.dev/v1alpha1',
    'kind: AudiencePolicy',
    `metadata: {name: ${name}, namespace: ${NAMESPACE}}`,
    'spec:',
    `  resource: ${resourceOf(name)}`,
    `  issuers: [{issuer: "${issuer}"}]`,
    `  requiredScopes: [${variant === 'scoped' ? 'mcp:tools, mcp:write' : 'mcp:tools'}]`,
    `  mode: ${variant === 'permissive' ? 'Permissive' : 'Strict'}`,
    '',
  ].join('\n');
}

function markerYAML(issuer: string, file: number, version: number): string {
  return [
    'apiVersion: audienceguard.dev/v1alpha1',
    'kind: AudiencePolicy',
    `metadata: {name: ${markerName(file)}, namespace: ${NAMESPACE}}`,
    'spec:',
    `  resource: ${resourceOf(markerName(file))}`,
    `  issuers: [{issuer: "${issuer}"}]`,
    `  requiredScopes: ["gen:${String(version)}"]`,
    '',
  ].join('\n');
}

/** The kinds of broken file the soak writes before a good one; each must be rejected whole. */
export const INVALID_KINDS = ['schema', 'yaml', 'duplicate', 'algorithm'] as const;
export type InvalidKind = (typeof INVALID_KINDS)[number];

export interface PolicyChange {
  readonly file: number;
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly modified: readonly { readonly name: string; readonly from: Variant; readonly to: Variant }[];
}

export class PolicyFolder {
  readonly dir: string;
  readonly #issuer: string;
  /** Every name a policy may ever have (present or not). */
  readonly universe: readonly string[];
  #state: Map<string, Variant>;
  readonly #versions: number[] = Array.from({ length: FILES }, () => 0);
  #random: () => number;

  /** `count` policies present at the start, out of a universe 20% larger (the room for additions). */
  constructor(dir: string, issuer: string, count: number, random: () => number) {
    this.dir = dir;
    this.#issuer = issuer;
    this.#random = random;
    this.universe = Array.from({ length: Math.ceil(count * 1.2) }, (_, index) => policyName(index));
    this.#state = new Map(this.universe.slice(0, count).map((name, index) => [name, VARIANTS[index % 10 === 3 ? 1 : index % 10 === 7 ? 2 : 0]!]));
  }

  /** What the folder says now (the last file written). */
  get state(): PolicyState {
    return this.#state;
  }

  version(file: number): number {
    return this.#versions[file]!;
  }

  fileName(file: number): string {
    return join(this.dir, `policies-${String(file).padStart(2, '0')}.yaml`);
  }

  /** Writes every file for the initial state. */
  async writeAll(): Promise<void> {
    for (let file = 0; file < FILES; file++) await this.#write(file, this.#render(file, this.#state));
  }

  /**
   * Picks a file (or takes `forcedFile`) and one to three additions, removals or variant changes in
   * it, and returns the new state with the change, without writing anything.
   */
  plan(forcedFile?: number): { state: Map<string, Variant>; change: PolicyChange } {
    const file = forcedFile ?? Math.floor(this.#random() * FILES);
    const state = new Map(this.#state);
    const added: string[] = [];
    const removed: string[] = [];
    const modified: { name: string; from: Variant; to: Variant }[] = [];
    const inFile = this.universe.filter((name) => fileOf(name) === file);
    const operations = 1 + Math.floor(this.#random() * 3);
    for (let op = 0; op < operations; op++) {
      const present = inFile.filter((name) => state.has(name));
      const absent = inFile.filter((name) => !state.has(name));
      const roll = this.#random();
      if (roll < 0.3 && absent.length > 0) {
        const name = absent[Math.floor(this.#random() * absent.length)]!;
        state.set(name, 'base');
        added.push(name);
      } else if (roll < 0.6 && present.length > 1) {
        const name = present[Math.floor(this.#random() * present.length)]!;
        state.delete(name);
        removed.push(name);
      } else if (present.length > 0) {
        const name = present[Math.floor(this.#random() * present.length)]!;
        const from = state.get(name)!;
        const to = VARIANTS.filter((variant) => variant !== from)[Math.floor(this.#random() * 2)]!;
        state.set(name, to);
        modified.push({ name, from, to });
      }
    }
    return { state, change: { file, added, removed, modified } };
  }

  /** Writes the planned file (its version bumped) and makes `state` the folder's state. */
  async apply(file: number, state: Map<string, Variant>): Promise<number> {
    this.#versions[file] = this.#versions[file]! + 1;
    this.#state = state;
    await this.#write(file, this.#render(file, state));
    return this.#versions[file];
  }

  /** Overwrites `file` with contents the server must reject as a whole; the model does not change. */
  async writeInvalid(file: number, kind: InvalidKind): Promise<void> {
    const good = this.#render(file, this.#state);
    const name = this.universe.find((candidate) => fileOf(candidate) === file) ?? policyName(file);
    let text: string;
    switch (kind) {
      case 'schema': // plain http is allowed only for loopback hosts
        text = `${good}---\n${policyYAML(this.#issuer, `${name}-bad`, 'base').replace('resource: https://', 'resource: http://')}`;
        break;
      case 'yaml': // a write cut short in the middle of a flow mapping
        text = `${good}---\napiVersion: audienceguard.dev/v1alpha1\nkind: AudiencePolicy\nmetadata: {name: ${name}-cut, namesp`;
        break;
      case 'duplicate': // the marker twice
        text = `${good}---\n${markerYAML(this.#issuer, file, this.#versions[file]!)}`;
        break;
      case 'algorithm': // symmetric algorithms can never be configured
        text = `${good}---\n${policyYAML(this.#issuer, `${name}-hs`, 'base').replace(`issuer: "${this.#issuer}"}`, `issuer: "${this.#issuer}", algorithms: [HS256]}`)}`;
        break;
    }
    await this.#write(file, text);
  }

  #render(file: number, state: PolicyState): string {
    const documents = [markerYAML(this.#issuer, file, this.#versions[file]!)];
    for (const [name, variant] of [...state].sort(([a], [b]) => a.localeCompare(b))) {
      if (fileOf(name) === file) documents.push(policyYAML(this.#issuer, name, variant));
    }
    return documents.join('---\n');
  }

  async #write(file: number, text: string): Promise<void> {
    const temporary = join(this.dir, `.policies-${String(file)}.tmp`);
    await writeFile(temporary, text);
    await rename(temporary, this.fileName(file));
  }
}
