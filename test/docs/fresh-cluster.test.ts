// The documented steps must work when copied into a fresh cluster: each section's commands, in
// order, create every namespace before anything is put in it, install the CRD before any
// AudiencePolicy, and apply a Deployment's ServiceAccount and RBAC before it
// (test/support/fresh-cluster.ts replays them). Commands name the resource `audiencepolicies`,
// never a short name that another project may also claim, and every example issuer says that
// it is a placeholder for the reader's identity provider.
import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { audiencePolicyCRD } from '../../src/policy/crd.ts';
import { freshClusterProblems, markdownSections } from '../support/fresh-cluster.ts';
import { REPO_ROOT } from '../support/helm.ts';

function filesUnder(dir: string, pattern: RegExp): string[] {
  return readdirSync(join(REPO_ROOT, dir)).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(join(REPO_ROOT, path)).isDirectory()) return filesUnder(path, pattern);
    return pattern.test(entry) ? [path] : [];
  }).sort();
}

const DOCUMENTS = ['README.md', 'charts/audience-guard/README.md', ...filesUnder('deploy', /\.md$/), ...filesUnder('docs/identity-providers', /\.md$/)];
const EXAMPLES = [...filesUnder('deploy', /\.ya?ml$/), ...filesUnder('charts/audience-guard/examples', /\.ya?ml$/)];
const read = (file: string): string => readFileSync(join(REPO_ROOT, file), 'utf8');

/** The commands in an example's comments (`#   helm install …`), continuation lines joined. */
function commentCommands(text: string): string[] {
  const comments = text.split('\n').filter((line) => line.startsWith('#')).map((line) => line.replace(/^#\s*/, '')).join('\n');
  return comments.replace(/\\\n\s*/g, ' ').split('\n').filter((line) => /^(kubectl|helm)\b/.test(line));
}

/** YAML lines of the examples and of the documents' yaml blocks. */
function yamlLines(file: string): string[] {
  const text = read(file);
  if (!file.endsWith('.md')) return text.split('\n');
  return [...text.matchAll(/^\s*```ya?ml\n([\s\S]*?)^\s*```/gm)].flatMap((match) => (match[1] ?? '').split('\n'));
}

describe('documented steps on a fresh cluster', () => {
  it('the replay must catch a namespace used before it is created, a policy before the CRD, a Deployment before its RBAC', () => {
    assert.ok(freshClusterProblems(['kubectl apply -f deploy/examples/audiencepolicies.yaml']).some((problem) => problem.includes('namespace mcp')));
    assert.ok(freshClusterProblems(['kubectl apply -f deploy/kubernetes/namespace.yaml', 'kubectl apply -f deploy/kubernetes/deployment.yaml']).some((problem) => problem.includes('ServiceAccount')));
    assert.ok(freshClusterProblems(['kubectl create namespace mcp', 'kubectl apply -f deploy/examples/']).some((problem) => problem.includes('CRD')));
    assert.deepEqual(freshClusterProblems(['kubectl apply -f charts/audience-guard/crds/', 'kubectl create namespace mcp', 'kubectl apply -f deploy/examples/']), []);
  });

  for (const file of DOCUMENTS) {
    for (const { heading, commands } of markdownSections(read(file)).filter((section) => section.commands.length > 0)) {
      it(`${file} ${heading.trim() || '(top)'}: every command must work in this order`, () => {
        assert.deepEqual(freshClusterProblems(commands), []);
      });
    }
  }

  // Chart examples say how to install them; comments in deploy/ manifests are fragments of their README's steps.
  for (const file of EXAMPLES.filter((candidate) => candidate.startsWith('charts/') && commentCommands(read(candidate)).length > 0)) {
    it(`${file}: the install commands in its comments must work in this order`, () => {
      assert.deepEqual(freshClusterProblems(commentCommands(read(file))), []);
    });
  }

  it('commands must name the resource audiencepolicies, never a short name', () => {
    const { shortNames } = (audiencePolicyCRD() as { spec: { names: { shortNames: string[] } } }).spec.names;
    const short = new RegExp(`\\bkubectl\\b[^\\n]*\\s(${['ap', ...shortNames].join('|')})(\\s|$)`, 'm');
    const files = [...DOCUMENTS, ...EXAMPLES, 'charts/audience-guard/templates/NOTES.txt'];
    assert.deepEqual(files.filter((file) => short.test(read(file))), []);
  });

  it('every example issuer must be marked as a placeholder for your identity provider', () => {
    const unmarked = [...DOCUMENTS, ...EXAMPLES].flatMap((file) => yamlLines(file)
      .filter((line) => /^\s*(-\s*)?issuer:\s*\S/.test(line) && !/#\s*placeholder\b/.test(line))
      .map((line) => `${relative(REPO_ROOT, join(REPO_ROOT, file))}: ${line.trim()}`));
    assert.deepEqual(unmarked, []);
  });
});
