// The chart's `policies` are checked by Helm itself (values.schema.json, whose `spec` part is
// generated from the policy's schema and rule table, and the chart's own template checks), so a
// bad policy fails `helm install` / `helm template`, naming the field, in both policy sources:
// in file mode it would otherwise reach the pod and stop it at start; in Kubernetes mode the
// API server would refuse the object halfway through the release.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import { POLICY_RULES } from '../../src/policy/policy-rules.ts';
import { validatePolicy } from '../../src/policy/validate-policy.ts';
import { chartCases, findManifest, parseManifests, tryRenderChart } from '../support/chart-render.ts';
import { expectedValuesSchemaText, VALUES_SCHEMA_FILE } from '../support/chart-values-schema.ts';
import { REPO_ROOT } from '../support/helm.ts';
import { policiesIn, URI_PLACES, withURI, type Spec, type ValuesPolicy } from '../support/policy-corpus.ts';
import { policyObject } from '../support/policy-arbitraries.ts';
import { uriSpelling } from '../support/uri-spellings.ts';

const EXAMPLES = join(REPO_ROOT, 'deploy', 'examples');
const INVALID = join(REPO_ROOT, 'test', 'fixtures', 'invalid-policies');
// The rules about several list items, which the templates check (values.schema.json cannot say them).
const UNIQUE_BY_MESSAGES = new Set(POLICY_RULES.filter((rule) => rule.check.kind === 'uniqueBy' || rule.check.kind === 'atMostOneWith').map((rule) => rule.message));

const weather = (): Spec => ({ resource: 'https://weather.example.com/mcp', issuers: [{ issuer: 'https://idp.example.com/realms/mcp' }], requiredScopes: ['mcp:tools'] });

/** Whether the service refuses `spec` for a reason Helm's schema can give (not a uniqueBy rule, which the templates check). */
function serviceRefuses(spec: Spec): boolean {
  const validation = validatePolicy({ apiVersion: 'audienceguard.dev/v1alpha1', kind: 'AudiencePolicy', metadata: { name: 'generated', namespace: 'mcp' }, spec });
  return !validation.valid && validation.problems.some((problem) => !UNIQUE_BY_MESSAGES.has(problem.message));
}

let dir: string;

/** `helm template` of the default chart with `policySource` and `policies` from a values file. */
function render(policySource: string, policies: readonly ValuesPolicy[]): { status: number; stdout: string; stderr: string } {
  const file = join(dir, `values-${String(process.hrtime.bigint())}.json`);
  const values = JSON.stringify({ policySource, policies: policies.map(({ name, namespace, spec }) => ({ name, ...(namespace === undefined ? {} : { namespace }), spec })) });
  // Helm reads values as YAML, which allows DEL and the C1 controls only as escapes.
  writeFileSync(file, values.replace(/[\u007f-\u009f]/g, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`));
  return tryRenderChart(chartCases()[0]!, ['--values', file]);
}

function assertRefused(result: { status: number; stderr: string }, pointer: string, message: RegExp): void {
  assert.notEqual(result.status, 0, 'helm template must fail');
  const lines = result.stderr.split('\n').filter((line) => line.includes(`'${pointer}'`) || line.includes(`${pointer}:`));
  assert.ok(lines.some((line) => message.test(line)), `no error at ${pointer} matches ${String(message)}:\n${result.stderr}`);
}

describe('Helm chart: policies validated by Helm', function () {
  this.timeout(60_000);
  before(() => { dir = mkdtempSync(join(tmpdir(), 'audience-guard-values-')); });
  after(() => { rmSync(dir, { recursive: true, force: true }); });

  it('values.schema.json must match its generated form (npm run chart:schema rewrites it)', () => {
    assert.equal(readFileSync(VALUES_SCHEMA_FILE, 'utf8'), expectedValuesSchemaText());
  });

  it('the template checks must cover every rule JSON Schema cannot express (uniqueBy)', () => {
    const uniqueBy = POLICY_RULES.filter((rule) => rule.check.kind === 'uniqueBy').map((rule) => ({ at: rule.at, check: rule.check }));
    assert.deepEqual(uniqueBy, [{ at: ['issuers'], check: { kind: 'uniqueBy', key: 'issuer' } }], 'a new uniqueBy rule needs a check in audience-guard.validatePolicies (templates/_helpers.tpl)');
  });

  it('must refuse exactly the generated policies the service refuses, each at its own index', () => {
    const specs = [
      ...fc.sample(policyObject, { numRuns: 250, seed: 9068 }).map((object) => object.spec as Spec),
      ...fc.sample(fc.tuple(fc.constantFrom(...URI_PLACES), uriSpelling), { numRuns: 250, seed: 8707 }).map(([place, value]) => withURI(place, value)),
    ];
    const result = render('file', specs.map((spec, index) => ({ name: `p${String(index)}`, namespace: 'mcp', spec })));
    const refused = new Set([...result.stderr.matchAll(/at '\/policies\/(\d+)/g)].map((match) => Number(match[1])));
    const disagreements = specs.flatMap((spec, index) => (serviceRefuses(spec) === refused.has(index) ? [] : [{ index, service: serviceRefuses(spec) ? 'refuses' : 'accepts', spec }]));
    assert.deepEqual(disagreements, [], result.stderr.slice(0, 4000));
    assert.ok(refused.size > 50 && refused.size < specs.length - 50, `a corpus of both kinds (${String(refused.size)} of ${String(specs.length)} refused)`);
  });

  for (const policySource of ['file', 'kubernetes']) {
    describe(`policySource: ${policySource}`, () => {
      it('must render every shipped example policy, as documents the service accepts', () => {
        const examples = policiesIn(EXAMPLES);
        const result = render(policySource, examples);
        assert.equal(result.status, 0, result.stderr);
        const manifests = parseManifests(result.stdout);
        const documents = policySource === 'file'
          ? parseAllDocuments((findManifest(manifests, 'ConfigMap')!.data as Record<string, string>)['policies.yaml']!).map((document) => document.toJS() as unknown)
          : manifests.filter((manifest) => manifest.kind === 'AudiencePolicy');
        assert.equal(documents.length, examples.length);
        for (const document of documents) assert.deepEqual(validatePolicy(document).valid, true, JSON.stringify(document));
      });

      it('attack: an issuer over plain http (keys fetched over a spoofable channel) must fail helm template at that field', () => {
        const spec = { ...weather(), issuers: [{ issuer: 'http://idp.example.com/realms/mcp' }] };
        assertRefused(render(policySource, [{ name: 'weather', spec }]), '/policies/0/spec/issuers/0/issuer', /does not match pattern '\^\(https:/);
      });

      it('attack: an HS256 issuer (the public key used as an HMAC secret) must fail helm template at that field', () => {
        const spec = { ...weather(), issuers: [{ issuer: 'https://idp.example.com/realms/mcp', algorithms: ['RS256', 'HS256'] }] };
        assertRefused(render(policySource, [{ name: 'weather', spec }]), '/policies/0/spec/issuers/0/algorithms/1', /must be one of 'RS256'/);
      });

      it('must refuse an unknown (misspelt) field, naming it', () => {
        const spec = { ...weather(), requiredScope: ['mcp:tools'] };
        assertRefused(render(policySource, [{ name: 'weather', spec }]), '/policies/0/spec', /additional properties 'requiredScope' not allowed/);
      });

      it('must refuse a policy without resource, naming it', () => {
        const { resource: _resource, ...spec } = weather();
        assertRefused(render(policySource, [{ name: 'weather', spec }]), '/policies/0/spec', /missing property 'resource'/);
      });

      it('must refuse every invalid fixture of test/fixtures/invalid-policies, each at its own index', () => {
        const fixtures = policiesIn(INVALID).filter(({ text }) => ![...UNIQUE_BY_MESSAGES].some((message) => text.includes(`: ${message}`)));
        assert.ok(fixtures.length >= 25);
        const result = render(policySource, fixtures);
        assert.notEqual(result.status, 0);
        fixtures.forEach(({ file }, index) => {
          assert.ok(result.stderr.includes(`at '/policies/${String(index)}/`), `${file} (policies[${String(index)}]) passes values.schema.json:\n${result.stderr}`);
        });
      });

      it('attack: a repeated issuer entry must fail helm template, naming the second one', () => {
        const spec = { ...weather(), issuers: [{ issuer: 'https://idp.example.com/realms/mcp' }, { issuer: 'https://idp.example.com/realms/mcp', algorithms: ['ES256'] }] };
        assertRefused(render(policySource, [{ name: 'weather', spec }]), '/policies/0/spec/issuers/1/issuer', /duplicate issuer/);
      });

      it('attack: a second introspecting issuer (an opaque token sent to two issuers) must fail helm template, naming it', () => {
        const introspection = { clientId: 'guard', clientSecretFile: '/s' };
        const spec = { ...weather(), issuers: [{ issuer: 'https://idp.example.com', introspection }, { issuer: 'https://login.example.org', introspection }] };
        assertRefused(render(policySource, [{ name: 'weather', spec }]), '/policies/0/spec/issuers/1/introspection', /at most one issuer may set introspection/);
      });

      it('attack: two policies with the same NAMESPACE/NAME (the second silently replacing the first) must fail helm template', () => {
        const result = render(policySource, [{ name: 'weather', namespace: 'mcp', spec: weather() }, { name: 'weather', namespace: 'mcp', spec: { ...weather(), mode: 'Permissive' } }]);
        assertRefused(result, '/policies/1', /mcp\/weather is already defined by \/policies\/0/);
      });
    });
  }
});
