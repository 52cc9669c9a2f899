/**
 * Replays the `kubectl`, `helm` and `audience-guard crd` commands of a document against a model
 * of a fresh cluster, and reports each step that would fail there: an object applied before its
 * namespace exists, an AudiencePolicy (or `kubectl get audiencepolicies`) before the CRD, a
 * Deployment before its ServiceAccount. Files named by `-f`/`-k`/`--values` are read from the
 * repository, so the check follows the manifests as they are; commands and files it does not
 * know (other charts, `istioctl`, certificates) are left alone.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parseManifests } from './chart-render.ts';
import { REPO_ROOT } from './helm.ts';
import type { Manifest } from './manifest-schemas.ts';

const CRD = 'audiencepolicies.audienceguard.dev';
const OUR_CHARTS = ['charts/audience-guard', 'oci://ghcr.io/audience-guard/charts/audience-guard'];
const CLUSTER_SCOPED = new Set(['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding', 'GatewayClass', 'PriorityClass', 'StorageClass', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']);
// kustomize's default output order puts these first, whatever the order of `resources`.
const KUSTOMIZE_FIRST = ['Namespace', 'CustomResourceDefinition', 'ServiceAccount', 'Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding'];

class Cluster {
  readonly namespaces = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);
  readonly crds = new Set<string>();
  readonly serviceAccounts = new Set<string>();
  readonly problems: string[] = [];

  needNamespace(namespace: string, what: string): void {
    if (!this.namespaces.has(namespace)) this.problems.push(`${what}: namespace ${namespace} does not exist yet`);
  }

  apply(manifest: Manifest, defaultNamespace: string, source: string): void {
    const { kind } = manifest;
    const namespace = manifest.metadata.namespace ?? defaultNamespace;
    const what = `${source}: ${kind}/${manifest.metadata.name}`;
    if (kind === 'Namespace') this.namespaces.add(manifest.metadata.name);
    if (kind === 'CustomResourceDefinition') this.crds.add(manifest.metadata.name);
    if (CLUSTER_SCOPED.has(kind)) return;
    this.needNamespace(namespace, what);
    if (kind === 'AudiencePolicy' && !this.crds.has(CRD)) this.problems.push(`${what}: the AudiencePolicy CRD is not installed yet`);
    if (kind === 'ServiceAccount') this.serviceAccounts.add(`${namespace}/${manifest.metadata.name}`);
    if (kind === 'Deployment') {
      const account = (manifest.spec as { template: { spec: { serviceAccountName?: string } } }).template.spec.serviceAccountName ?? 'default';
      if (account !== 'default' && !this.serviceAccounts.has(`${namespace}/${account}`)) this.problems.push(`${what}: ServiceAccount ${account} (and its RBAC) is not applied yet`);
    }
  }
}

function manifestsAt(path: string): Manifest[] {
  if (statSync(path).isDirectory()) {
    return readdirSync(path).filter((file) => /\.(ya?ml|json)$/.test(file)).sort().flatMap((file) => manifestsAt(join(path, file)));
  }
  return parseManifests(readFileSync(path, 'utf8'));
}

function kustomized(dir: string): Manifest[] {
  const { resources } = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
  const manifests = resources.flatMap((resource) => manifestsAt(join(dir, resource)));
  const rank = (manifest: Manifest): number => { const index = KUSTOMIZE_FIRST.indexOf(manifest.kind); return index === -1 ? KUSTOMIZE_FIRST.length : index; };
  return manifests.map((manifest, index) => ({ manifest, index })).sort((a, b) => rank(a.manifest) - rank(b.manifest) || a.index - b.index).map(({ manifest }) => manifest);
}

/** The value of `-n`/`--namespace` (or another flag) in `words`. */
function flag(words: readonly string[], ...names: string[]): string | undefined {
  const index = words.findIndex((word) => names.includes(word));
  if (index !== -1) return words[index + 1];
  const joined = words.find((word) => names.some((name) => word.startsWith(`${name}=`)));
  return joined?.slice(joined.indexOf('=') + 1);
}

function helmInstall(cluster: Cluster, words: readonly string[], line: string): void {
  const namespace = flag(words, '-n', '--namespace') ?? 'default';
  if (words.includes('--create-namespace')) cluster.namespaces.add(namespace);
  cluster.needNamespace(namespace, line);
  if (!OUR_CHARTS.includes(words[3] ?? '')) return;
  if (!words.includes('--skip-crds')) cluster.crds.add(CRD);
  const valuesFile = flag(words, '-f', '--values');
  if (valuesFile === undefined || !existsSync(join(REPO_ROOT, valuesFile))) return;
  const values = parse(readFileSync(join(REPO_ROOT, valuesFile), 'utf8')) as { policySource?: string; policies?: { namespace?: string }[]; rbac?: { secretNamespaces?: string[] } };
  const needs = [...(values.policySource === 'file' ? [] : (values.policies ?? []).map((policy) => policy.namespace ?? namespace)), ...(values.rbac?.secretNamespaces ?? [])];
  for (const needed of needs) cluster.needNamespace(needed, `${line} (${valuesFile})`);
}

function kubectl(cluster: Cluster, words: readonly string[], line: string): void {
  const namespace = flag(words, '-n', '--namespace');
  const verbs = words.filter((word, index) => index > 0 && !word.startsWith('-') && !['-n', '--namespace'].includes(words[index - 1] ?? ''));
  const [verb, object, name] = verbs;
  if (verb === 'create' && (object === 'namespace' || object === 'ns') && name !== undefined) { cluster.namespaces.add(name); return; }
  if (namespace !== undefined && verb !== 'apply') cluster.needNamespace(namespace, line);
  if ((verb === 'get' || verb === 'describe') && /^audiencepolic(y|ies)$/.test(object ?? '') && !cluster.crds.has(CRD)) cluster.problems.push(`${line}: the AudiencePolicy CRD is not installed yet`);
  if (verb !== 'apply') return;
  if (words.includes('-') && line.includes('audience-guard crd')) { cluster.crds.add(CRD); return; }
  const kustomization = flag(words, '-k');
  if (kustomization !== undefined) { for (const manifest of kustomized(join(REPO_ROOT, kustomization))) cluster.apply(manifest, namespace ?? 'default', kustomization); return; }
  words.forEach((word, index) => {
    const path = index > 0 && words[index - 1] === '-f' ? join(REPO_ROOT, word) : undefined;
    if (path === undefined || !existsSync(path)) return;
    for (const manifest of manifestsAt(path)) cluster.apply(manifest, namespace ?? 'default', word);
  });
}

/** Every step of `commands` (one shell command each, in order) that fails on a fresh cluster. */
export function freshClusterProblems(commands: readonly string[]): string[] {
  const cluster = new Cluster();
  for (const command of commands) {
    const line = command.replace(/\s+#.*$/, '').trim();
    for (const part of line.split(/\s*(?:\||&&|;)\s*/)) {
      const words = part.split(/\s+/);
      if (words[0] === 'helm' && (words[1] === 'install' || words[1] === 'upgrade')) helmInstall(cluster, words, line);
      if (words[0] === 'kubectl') kubectl(cluster, words, line);
    }
  }
  return cluster.problems;
}

/** The shell commands of each `## ` section of a Markdown document, continuation lines joined. */
export function markdownSections(markdown: string): { heading: string; commands: string[] }[] {
  return markdown.split(/^(?=## )/m).map((section) => {
    const heading = section.split('\n')[0] ?? '';
    const blocks = [...section.matchAll(/^\s*```(?:sh|bash|shell)\n([\s\S]*?)^\s*```/gm)].map((match) => match[1] ?? '');
    return { heading, commands: blocks.flatMap((block) => block.replace(/\\\n\s*/g, ' ').split('\n').map((line) => line.trim()).filter((line) => /^(kubectl|helm|audience-guard)\b/.test(line))) };
  });
}
