// The container image recipe. No Docker engine runs here, so the Dockerfile's key
// properties are read from the file, and what its build stage does for real — `npm run
// build` with tsconfig.build.json — is run, and the compiled entry point started.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../support/helm.ts';

interface Instruction {
  readonly stage: string;
  readonly keyword: string;
  readonly args: string;
}

/** Dockerfile instructions with their stage name (continuation lines joined, comments dropped). */
function instructions(text: string): Instruction[] {
  const joined = text.replace(/\\\n/g, ' ').split('\n').filter((line) => line.trim() !== '' && !line.trim().startsWith('#'));
  let stage = '';
  return joined.map((line) => {
    const match = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    assert.ok(match, `unparsable Dockerfile line: ${line}`);
    const keyword = match[1]!.toUpperCase();
    const args = match[2]!.trim();
    if (keyword === 'FROM') stage = /\bAS\s+(\S+)/i.exec(args)?.[1] ?? '';
    return { stage, keyword, args };
  });
}

const DOCKERFILE = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
const ALL = instructions(DOCKERFILE);
const stages = [...new Set(ALL.filter((instruction) => instruction.keyword === 'FROM').map((instruction) => instruction.stage))];
const FINAL = stages.at(-1)!;
const runtime = ALL.filter((instruction) => instruction.stage === FINAL);

function jsonArray(keyword: string): string[] {
  const found = runtime.filter((instruction) => instruction.keyword === keyword);
  assert.equal(found.length, 1, `one ${keyword} in the runtime stage`);
  return JSON.parse(found[0]!.args) as string[];
}

const ENTRYPOINT = jsonArray('ENTRYPOINT');

interface Container { readonly name: string; readonly command?: string[]; readonly args?: string[] }

/** The audience-guard container of every Deployment in a YAML stream. */
function containersIn(text: string): Container[] {
  return parseAllDocuments(text)
    .map((document) => document.toJS() as { kind?: string; spec?: { template?: { spec?: { containers?: Container[] } } } } | null)
    .filter((manifest) => manifest?.kind === 'Deployment')
    .flatMap((manifest) => manifest?.spec?.template?.spec?.containers ?? [])
    .filter((container) => container.name === 'audience-guard');
}

/** The args each way of deploying gives the image (the chart's golden renders, the plain manifests). */
const CONTAINER_ARGS: [string, string[]][] = [
  ...readdirSync(join(REPO_ROOT, 'test', 'golden', 'helm')).filter((file) => file.endsWith('.yaml')).sort().map((file) => join('test', 'golden', 'helm', file)),
  join('deploy', 'kubernetes', 'deployment.yaml'),
].flatMap((file) => containersIn(readFileSync(join(REPO_ROOT, file), 'utf8')).map((container): [string, string[]] => {
  assert.equal(container.command, undefined, `${file} must not override the image's entrypoint`);
  return [file, container.args ?? jsonArray('CMD')];
}));

/** Documents that show how to run the image. */
const DOCUMENTS = ['README.md', 'Dockerfile', join('charts', 'audience-guard', 'README.md'), ...readdirSync(join(REPO_ROOT, 'deploy')).map((folder) => join('deploy', folder, 'README.md')).filter((path) => existsSync(join(REPO_ROOT, path)))];

/** Every `docker run` command of a text, continuation lines joined (shell comments included). */
function dockerRuns(text: string): string[] {
  return text.replace(/\\\n\s*#?/g, ' ').split('\n').filter((line) => /\bdocker run\b/.test(line));
}

describe('Dockerfile', () => {
  it('must be multi-stage, on the Node.js 24 LTS image', () => {
    assert.ok(stages.length >= 2, 'a build stage and a runtime stage at least');
    const base = /^ARG\s+NODE_IMAGE=(\S+)$/m.exec(DOCKERFILE)?.[1];
    assert.match(base ?? '', /^node:24(-|$)/, 'the base image must be Node 24 (the current LTS)');
    for (const from of ALL.filter((instruction) => instruction.keyword === 'FROM')) assert.match(from.args, /^\$\{NODE_IMAGE\}\s+AS\s+/i);
  });

  it('must compile with npm run build in a build stage', () => {
    const build = ALL.filter((instruction) => instruction.keyword === 'RUN' && instruction.args.includes('npm run build'));
    assert.equal(build.length, 1);
    assert.notEqual(build[0]!.stage, FINAL, 'compilation must not happen in the runtime stage');
    const scripts = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    assert.equal(scripts.build, 'tsc -p tsconfig.build.json');
  });

  it('must install production dependencies only for the runtime', () => {
    const installs = ALL.filter((instruction) => instruction.keyword === 'RUN' && /\bnpm (ci|install)\b/.test(instruction.args));
    const productionStages = new Set(installs.filter((instruction) => instruction.args.includes('--omit=dev')).map((instruction) => instruction.stage));
    assert.ok(productionStages.size > 0, 'some stage must run npm ci --omit=dev');
    const copies = runtime.filter((instruction) => instruction.keyword === 'COPY');
    const modules = copies.filter((instruction) => instruction.args.includes('node_modules'));
    assert.equal(modules.length, 1, 'node_modules must come into the runtime stage once');
    const from = /--from=(\S+)/.exec(modules[0]!.args)?.[1];
    assert.ok(from !== undefined && productionStages.has(from), `node_modules must come from a stage that ran npm ci --omit=dev, not from ${from ?? 'the context'}`);
    assert.ok(!runtime.some((instruction) => instruction.keyword === 'RUN' && /\bnpm\b/.test(instruction.args)), 'the runtime stage must not run npm');
    for (const copy of copies.filter((instruction) => !instruction.args.includes('--from='))) {
      assert.doesNotMatch(copy.args, /\b(src|test|bench|node_modules|\.)\s*\.?\/?\s*$|^\.\s/, `the runtime must not copy sources or the whole context: COPY ${copy.args}`);
    }
  });

  it('must run as a numeric non-root user', () => {
    const users = runtime.filter((instruction) => instruction.keyword === 'USER');
    assert.equal(users.length, 1);
    const match = /^(\d+)(?::(\d+))?$/.exec(users[0]!.args);
    assert.ok(match, `USER must be numeric (UID[:GID]) so Kubernetes can verify runAsNonRoot, got ${users[0]!.args}`);
    assert.notEqual(Number(match[1]), 0);
    if (match[2] !== undefined) assert.notEqual(Number(match[2]), 0);
    const chart = readFileSync(join(REPO_ROOT, 'charts', 'audience-guard', 'values.yaml'), 'utf8');
    assert.match(chart, new RegExp(`runAsUser: ${match[1]!}\\b`), 'the chart must run the image with its own UID');
  });

  it('must start the compiled CLI from dist/ with node, `serve` being the default command, writing nothing', () => {
    assert.deepEqual(ENTRYPOINT, ['node', '/app/dist/cli/main.js']);
    assert.deepEqual(jsonArray('CMD'), ['serve']);
    assert.ok(!runtime.some((instruction) => instruction.keyword === 'VOLUME'), 'no VOLUME: the root filesystem stays read-only');
    assert.ok(runtime.some((instruction) => instruction.keyword === 'COPY' && /\bproto\b/.test(instruction.args)), 'proto/ is loaded at run time');
  });

  // Regression: the entrypoint once ended in `serve` while the chart and the plain manifests
  // pass `args: [serve, …]`, so the container ran `… serve serve` and exited at once.
  for (const [where, args] of CONTAINER_ARGS) {
    it(`must run \`serve\` exactly once with the args of ${where}`, () => {
      const argv = [...ENTRYPOINT, ...args];
      assert.equal(argv[2], 'serve', `the container runs ${argv.join(' ')}`);
      assert.equal(argv.filter((arg) => arg === 'serve').length, 1, `the container runs ${argv.join(' ')}`);
    });
  }

  it('must be described as it is: the entrypoint in the READMEs, a command after the image in every `docker run`', () => {
    for (const doc of ['README.md', join('charts', 'audience-guard', 'README.md')]) {
      assert.ok(readFileSync(join(REPO_ROOT, doc), 'utf8').includes(`\`${ENTRYPOINT.join(' ')}\``), `${doc} must name the entrypoint \`${ENTRYPOINT.join(' ')}\``);
    }
    assert.match(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8'), /^\s*docker build -t audience-guard:dev \.$/m, 'README.md must say how to build the image');
    const runs = DOCUMENTS.flatMap((doc) => dockerRuns(readFileSync(join(REPO_ROOT, doc), 'utf8')).map((line) => [doc, line] as const));
    assert.ok(runs.length >= 3);
    for (const [doc, line] of runs) assert.match(line, /\saudience-guard(:[\w.-]+)?\s+(serve|validate|crd)\b/, `${doc}: ${line}`);
  });

  it('must keep the build context small with .dockerignore', () => {
    const ignored = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n').map((line) => line.trim());
    for (const entry of ['node_modules', 'dist', '.git', 'test', '.cache']) assert.ok(ignored.includes(entry), `.dockerignore must list ${entry}`);
    for (const needed of ['src', 'bin', 'proto', 'package.json', 'package-lock.json', 'tsconfig.build.json']) assert.ok(!ignored.includes(needed), `.dockerignore must not hide ${needed}`);
  });
});

describe('npm run build (the image\'s build stage)', function () {
  this.timeout(120_000);
  // Into .cache/, so the dist/ that bin/audience-guard.js prefers is left alone.
  const outDir = join(REPO_ROOT, '.cache', 'image-build', 'dist');

  after(() => {
    rmSync(dirname(outDir), { recursive: true, force: true });
  });

  it('must produce dist/cli/main.js that answers --help with exit 0', () => {
    rmSync(dirname(outDir), { recursive: true, force: true });
    const env = { ...process.env, PATH: [dirname(process.execPath), process.env.PATH ?? ''].join(delimiter) };
    const build = spawnSync('npm', ['run', 'build', '--', '--outDir', outDir], { cwd: REPO_ROOT, encoding: 'utf8', env });
    assert.equal(build.status, 0, `npm run build failed:\n${build.stdout}${build.stderr}`);
    const main = join(outDir, 'cli', 'main.js');
    assert.ok(existsSync(main));
    const help = spawnSync(process.execPath, [main, '--help'], { cwd: REPO_ROOT, encoding: 'utf8' });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^usage: audience-guard <command>/);
    assert.match(help.stdout, /serve \[flags\]/);
  });

  it('must take the argv the chart and the plain manifests give the container as a serve invocation', () => {
    const main = join(outDir, 'cli', 'main.js');
    assert.ok(existsSync(main), 'the build above must have run');
    for (const [where, args] of CONTAINER_ARGS) {
      // An out-of-range flag makes serve exit before it binds anything; that it got as far
      // as reading the flag shows the command was taken.
      const run = spawnSync(process.execPath, [main, ...args, '--max-token-bytes', '1'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 20_000 });
      assert.equal(run.status, 2, `${where}: ${run.stderr}`);
      assert.match(run.stderr, /--max-token-bytes/, `${where}: ${run.stderr}`);
    }
  });
});
