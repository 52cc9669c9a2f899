// .github/workflows/release.yaml cannot run here (no GitHub runner, no registry), so
// its essentials are read from the file: it publishes the very image and chart the
// chart and the plain manifests point at, multi-arch, with provenance and SBOM, only
// after the tests pass, with the least permissions, and with nothing a tag or a
// compromised action could inject.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { helmBinary, REPO_ROOT } from '../support/helm.ts';

interface Step {
  readonly name?: string;
  readonly id?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Readonly<Record<string, unknown>>;
  readonly env?: Readonly<Record<string, string>>;
}

interface Job {
  readonly 'runs-on': string;
  readonly needs?: string | readonly string[];
  readonly permissions: Readonly<Record<string, string>>;
  readonly steps: readonly Step[];
}

interface Workflow {
  readonly on: { readonly push: { readonly tags: readonly string[]; readonly branches?: unknown } };
  readonly permissions: Readonly<Record<string, string>>;
  readonly env: Readonly<Record<string, string>>;
  readonly jobs: Readonly<Record<string, Job>>;
}

const TEXT = readFileSync(join(REPO_ROOT, '.github', 'workflows', 'release.yaml'), 'utf8');
const WORKFLOW = parse(TEXT) as Workflow;
const { jobs } = WORKFLOW;
const STEPS = Object.values(jobs).flatMap((job) => job.steps);

function stepUsing(job: Job, action: string): Step {
  const found = job.steps.filter((step) => step.uses?.startsWith(`${action}@`) === true);
  assert.equal(found.length >= 1, true, `the job must use ${action}`);
  return found[0]!;
}

/** A step's `with:` input (read through a function, so one assertion does not narrow the next). */
function input(step: Step, key: string): unknown {
  return step.with?.[key];
}

function runScripts(job: Job): string {
  return job.steps.map((step) => step.run ?? '').join('\n');
}

const values = parse(readFileSync(join(REPO_ROOT, 'charts', 'audience-guard', 'values.yaml'), 'utf8')) as { image: { repository: string } };
const chart = parse(readFileSync(join(REPO_ROOT, 'charts', 'audience-guard', 'Chart.yaml'), 'utf8')) as { name: string; version: string; appVersion: string };

describe('.github/workflows/release.yaml', () => {
  it('must run on version tags only', () => {
    assert.deepEqual(Object.keys(WORKFLOW.on), ['push']);
    assert.equal(WORKFLOW.on.push.branches, undefined);
    assert.deepEqual(WORKFLOW.on.push.tags, ['v[0-9]+.[0-9]+.[0-9]+']);
  });

  it('must publish the image the chart and the plain manifests pull', () => {
    assert.equal(WORKFLOW.env.IMAGE, values.image.repository);
    const manifest = readFileSync(join(REPO_ROOT, 'deploy', 'kubernetes', 'deployment.yaml'), 'utf8');
    assert.match(manifest, new RegExp(`image: ${WORKFLOW.env.IMAGE.replace(/[.]/g, '\\.')}:${chart.appVersion.replace(/[.]/g, '\\.')}$`, 'm'));
  });

  it('must refuse a tag that is not the package\'s, the chart\'s and its appVersion', () => {
    const check = runScripts(jobs.test!);
    for (const needle of ['require("./package.json").version', 'version: ${version}', 'appVersion: \\"${version}\\"', 'deploy/kubernetes/deployment.yaml']) {
      assert.ok(check.includes(needle), `the test job must compare the tag with ${needle}`);
    }
    assert.equal(chart.version, chart.appVersion, 'one version for the chart and the image');
    assert.equal((JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version, chart.appVersion);
  });

  it('must publish only after the whole test suite passed on the tagged commit', () => {
    assert.match(runScripts(jobs.test!), /^\.ci\/run$/m);
    assert.equal(jobs.image!.needs, 'test');
    assert.equal(jobs.chart!.needs, 'image');
  });

  it('must build the image for linux/amd64 and linux/arm64 with buildx, pushing it with provenance and an SBOM', () => {
    const image = jobs.image!;
    stepUsing(image, 'docker/setup-qemu-action');
    stepUsing(image, 'docker/setup-buildx-action');
    const build = stepUsing(image, 'docker/build-push-action');
    assert.equal(build.id, 'build');
    assert.deepEqual(String(input(build, 'platforms')).split(','), ['linux/amd64', 'linux/arm64']);
    assert.equal(input(build, 'push'), true);
    assert.equal(input(build, 'file'), 'Dockerfile');
    assert.equal(input(build, 'provenance'), 'mode=max');
    assert.equal(input(build, 'sbom'), true);
  });

  it('must tag the image with the plain version, the tag the chart pulls (its appVersion, no "v")', () => {
    const meta = stepUsing(jobs.image!, 'docker/metadata-action');
    assert.equal(input(meta, 'images'), '${{ env.IMAGE }}');
    assert.ok(String(input(meta, 'tags')).split('\n').includes('type=semver,pattern={{version}}'));
    assert.equal(input(stepUsing(jobs.image!, 'docker/build-push-action'), 'tags'), '${{ steps.meta.outputs.tags }}');
  });

  it('must attest the build provenance of the pushed image digest and of the pushed chart digest', () => {
    const imageAttestation = stepUsing(jobs.image!, 'actions/attest-build-provenance');
    assert.equal(input(imageAttestation, 'subject-name'), '${{ env.IMAGE }}');
    assert.equal(input(imageAttestation, 'subject-digest'), '${{ steps.build.outputs.digest }}');
    assert.equal(input(imageAttestation, 'push-to-registry'), true);
    const chartAttestation = stepUsing(jobs.chart!, 'actions/attest-build-provenance');
    assert.equal(input(chartAttestation, 'subject-digest'), '${{ steps.push.outputs.digest }}');
    assert.equal(input(chartAttestation, 'push-to-registry'), true);
  });

  it('must package the chart and push it to ghcr.io as an OCI artifact', () => {
    assert.equal(WORKFLOW.env.CHART_DIR, 'charts/audience-guard');
    assert.equal(chart.name, 'audience-guard');
    assert.ok((WORKFLOW.env.CHART_REGISTRY ?? '').startsWith(`oci://${values.image.repository.split('/').slice(0, 2).join('/')}/`), 'the chart goes to the image\'s registry and owner');
    const scripts = runScripts(jobs.chart!);
    assert.match(scripts, /^helm lint "\$CHART_DIR"$/m);
    assert.match(scripts, /^helm package "\$CHART_DIR" --destination dist-chart$/m);
    assert.match(scripts, /^helm push "dist-chart\/audience-guard-\$\{version\}\.tgz" "\$CHART_REGISTRY"/m);
  });

  it('must install the Helm version the test suite renders the chart with', () => {
    const wanted = input(stepUsing(jobs.chart!, 'azure/setup-helm'), 'version');
    const local = spawnSync(helmBinary(), ['version', '--short'], { encoding: 'utf8' });
    assert.equal(local.status, 0, local.stderr);
    assert.equal(local.stdout.trim().replace(/\+.*$/, ''), wanted);
  });

  it('must grant nothing by default and each job only what it needs', () => {
    assert.deepEqual(WORKFLOW.permissions, {});
    assert.deepEqual(jobs.test!.permissions, { contents: 'read' });
    const publishing = { contents: 'read', packages: 'write', 'id-token': 'write', attestations: 'write' };
    assert.deepEqual(jobs.image!.permissions, publishing);
    assert.deepEqual(jobs.chart!.permissions, publishing);
  });

  it('attack: a moved action tag must not change what runs (every action pinned to a full commit SHA)', () => {
    const actions = STEPS.flatMap((step) => (step.uses === undefined ? [] : [step.uses]));
    assert.ok(actions.length >= 8);
    for (const action of actions) assert.match(action, /^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/, `${action} must be pinned to a commit`);
  });

  it('attack: no ${{ }} expression may be expanded inside a run script (script injection)', () => {
    for (const step of STEPS) if (step.run !== undefined) assert.doesNotMatch(step.run, /\$\{\{/, `step "${step.name ?? step.run}" must pass values through env:`);
  });

  it('attack: the registry token must not reach a command line or the checkout (stdin only, no persisted credentials)', () => {
    assert.deepEqual([...TEXT.matchAll(/secrets\.(\w+)/g)].map((match) => match[1]).filter((name) => name !== 'GITHUB_TOKEN'), [], 'only the job token is used');
    assert.match(runScripts(jobs.chart!), /printf '%s' "\$REGISTRY_TOKEN" \| helm registry login ghcr\.io --username "\$GITHUB_ACTOR" --password-stdin/);
    for (const job of Object.values(jobs)) assert.equal(input(stepUsing(job, 'actions/checkout'), 'persist-credentials'), false);
  });
});
