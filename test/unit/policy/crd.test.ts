// The generated CustomResourceDefinition (src/policy/crd.ts): the checked-in
// copy must not drift, the schema must be structural as Kubernetes requires,
// it must validate as a CustomResourceDefinition, every shipped example must
// pass both the schema and the CEL rules, and every invalid fixture must fail
// with its expected message — in the schema, in CEL (at the field the rule
// sits on), and in the process's own validator alike. The API server is
// modelled by test/support/crd-admission.ts.
import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync } from 'node:fs';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition';
import { parseAllDocuments } from 'yaml';
import { audiencePolicyCRD, audiencePolicyCRDYAML, audiencePolicySchema } from '../../../src/policy/crd.ts';
import { validatePolicy } from '../../../src/policy/validate-policy.ts';
import { admit } from '../../support/crd-admission.ts';
import { runtimePolicy } from '../policy-fixtures.ts';

const CHECKED_IN = new URL('../../../charts/audience-guard/crds/audiencepolicies.audienceguard.dev.yaml', import.meta.url);
const EXAMPLES = new URL('../../../deploy/examples/', import.meta.url);
const INVALID = new URL('../../fixtures/invalid-policies/', import.meta.url);

type Schema = Record<string, unknown>;

function* nodes(schema: Schema, path = '#'): Generator<[string, Schema]> {
  yield [path, schema];
  for (const [name, child] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) yield* nodes(child, `${path}/${name}`);
  if (schema.items !== undefined) yield* nodes(schema.items as Schema, `${path}[]`);
  if (typeof schema.additionalProperties === 'object') yield* nodes(schema.additionalProperties as Schema, `${path}{}`);
}

function documents(url: URL): { file: string; index: number; value: unknown }[] {
  return readdirSync(url).filter((file) => file.endsWith('.yaml')).flatMap((file) =>
    parseAllDocuments(readFileSync(new URL(file, url), 'utf8')).map((document, index) => ({ file, index, value: document.toJS() as unknown })));
}

const SCHEMA = audiencePolicySchema();

describe('AudiencePolicy CustomResourceDefinition', () => {
  it('must match the checked-in copy (regenerate with `npm run crd`)', () => {
    assert.equal(readFileSync(CHECKED_IN, 'utf8'), audiencePolicyCRDYAML());
  });

  it('validates as an apiextensions.k8s.io/v1 CustomResourceDefinition', () => {
    assert.doesNotThrow(() => { new CustomResourceDefinition(audiencePolicyCRD() as never).validate(); });
  });

  it('is namespaced, short-named audpol, with a status subresource and the printer columns users expect', () => {
    const crd = audiencePolicyCRD() as { spec: { scope: string; names: { shortNames: string[] }; versions: { subresources: unknown; additionalPrinterColumns: { name: string }[] }[] } };
    assert.equal(crd.spec.scope, 'Namespaced');
    assert.deepEqual(crd.spec.names.shortNames, ['audpol']);
    assert.deepEqual(crd.spec.versions[0]?.subresources, { status: {} });
    assert.deepEqual(crd.spec.versions[0].additionalPrinterColumns.map((column) => column.name), ['Resource', 'Mode', 'Ready', 'Age']);
  });

  it('is structural: every node has a type, and nothing Kubernetes rejects is left', () => {
    for (const [path, node] of nodes(audiencePolicySchema())) {
      assert.equal(typeof node.type, 'string', `${path} has no type`);
      for (const forbidden of ['anyOf', 'oneOf', 'const', 'patternProperties', 'uniqueItems', '$id']) assert.equal(node[forbidden], undefined, `${path} has ${forbidden}`);
      assert.ok(!(node.properties !== undefined && node.additionalProperties !== undefined), `${path} has properties and additionalProperties`);
    }
  });

  it('describes every spec and status field', () => {
    const schema = audiencePolicySchema() as { properties: Record<string, Schema> };
    for (const root of ['spec', 'status'] as const) {
      for (const [path, node] of nodes(schema.properties[root] as Schema, `#/${root}`)) {
        assert.equal(typeof node.description, 'string', `${path} has no description`);
      }
    }
  });

  it('must fill in exactly the defaults the process applies to an absent field (the schema\'s, not the algorithm list)', () => {
    const spec = (SCHEMA.properties as Record<string, Schema>).spec as Schema;
    const defaults = Object.fromEntries([...nodes(spec, 'spec')].flatMap(([path, node]) => (node.default === undefined ? [] : [[path, node.default]])));
    const compiled = runtimePolicy({
      upstream: { clientCredentials: { tokenEndpoint: 'https://idp.example.com/token', clientId: 'guard', clientSecretFile: '/run/secret' } },
      mcp: { toolScopes: { delete_alert: ['weather:admin'] } },
      issuers: [{ issuer: 'https://idp.example.com', introspection: { clientId: 'guard', clientSecretFile: '/run/secret' } }],
    });
    assert.deepEqual(defaults, {
      'spec/issuers[]/profile': compiled.issuerList[0]?.profile,
      'spec/issuers[]/introspection/cacheSeconds': compiled.issuerList[0]?.introspection?.cacheSeconds,
      'spec/mode': compiled.mode,
      'spec/clockSkewSeconds': compiled.clockSkewSeconds,
      'spec/upstream/header': compiled.upstream?.header,
      'spec/mcp/source': compiled.mcp?.source,
      'spec/proofOfPossession/dpop': compiled.proofOfPossession?.dpop,
      'spec/proofOfPossession/mtls': compiled.proofOfPossession?.mtls,
      'spec/proofOfPossession/proofMaxAgeSeconds': compiled.proofOfPossession?.proofMaxAgeSeconds,
    });
    assert.deepEqual(Object.values(defaults), ['rfc9068', 60, 'Strict', 60, 'authorization', 'Auto', 'Allowed', 'Allowed', 300]);
  });

  describe('every example under deploy/examples', () => {
    for (const { file, index, value } of documents(EXAMPLES)) {
      it(`${file}#${String(index)} passes the schema, the CEL rules and the process validator`, () => {
        const admission = admit(SCHEMA, value);
        assert.deepEqual(admission.schemaErrors, []);
        assert.deepEqual(admission.celFailures, []);
        assert.equal(validatePolicy(value).valid, true);
        assert.equal(validatePolicy(admission.stored).valid, true, 'the stored (defaulted) object passes too');
      });
    }
  });

  describe('every invalid policy under test/fixtures/invalid-policies', () => {
    for (const file of readdirSync(INVALID).filter((name) => name.endsWith('.yaml'))) {
      const text = readFileSync(new URL(file, INVALID), 'utf8');
      const expected = (key: string): string => (new RegExp(`^# ${key}: (.*)$`, 'm').exec(text)?.[1] ?? '').trim();
      const value = parseAllDocuments(text)[0]?.toJS() as unknown;
      it(`${file} fails with its expected messages`, () => {
        const schemaPath = expected('expect-schema');
        const celMessage = expected('expect-cel');
        const processMessage = expected('expect-process');
        assert.ok(schemaPath !== '' && celMessage !== '' && processMessage !== '', 'the fixture names all three expectations');
        const admission = admit(SCHEMA, value);
        assert.ok(!admission.admitted, 'the API server refuses it');
        if (schemaPath === '(none)') assert.deepEqual(admission.schemaErrors, []);
        else assert.ok(admission.schemaErrors.some((error) => error.path === schemaPath), JSON.stringify(admission.schemaErrors));
        if (celMessage === '(none)') assert.deepEqual(admission.celFailures, []);
        else {
          const [celPath = '', message = ''] = celMessage.split(/: (.*)/s);
          assert.ok(admission.celFailures.some((failure) => failure.path === celPath && failure.message.startsWith(message)), JSON.stringify(admission.celFailures));
        }
        const validation = validatePolicy(value);
        const [path = '', message = ''] = processMessage.split(/: (.*)/s);
        assert.ok(!validation.valid, 'the process validator refuses it too');
        assert.ok(validation.problems.some((problem) => problem.path === path && problem.message.startsWith(message)), JSON.stringify(validation));
      });
    }
  });
});
