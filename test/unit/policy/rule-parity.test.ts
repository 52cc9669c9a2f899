// One rule set: the API server, with the generated CRD, must refuse exactly
// the AudiencePolicy objects the service refuses. Otherwise an edit the API
// server takes is one the service drops, and the policy it replaced stops
// protecting its service. The corpus: the shipped examples, every invalid
// fixture, the edits that once got through, generated URI spellings in every
// URI field, and generated whole objects. Each disagreement, either way and
// in either layer (schema, rules), fails (test/support/rule-parity.ts).
import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync } from 'node:fs';
import fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import { validatePolicy } from '../../../src/policy/validate-policy.ts';
import { admit } from '../../support/crd-admission.ts';
import { policyObject } from '../../support/policy-arbitraries.ts';
import { assertParity, CRD_SCHEMA } from '../../support/rule-parity.ts';
import { uriSpelling } from '../../support/uri-spellings.ts';

type Spec = Record<string, unknown>;

function base(): { apiVersion: string; kind: string; metadata: Spec; spec: Spec } {
  return {
    apiVersion: 'audienceguard.dev/v1alpha1',
    kind: 'AudiencePolicy',
    metadata: { name: 'weather', namespace: 'mcp' },
    spec: {
      resource: 'https://weather.example.com/mcp',
      issuers: [{ issuer: 'https://idp.example.com/realms/mcp', jwksUri: 'https://idp.example.com/realms/mcp/certs' }],
      resourceMetadata: { resourceName: 'Weather MCP', resourceDocumentation: 'https://docs.example.com/weather' },
      upstream: { clientCredentials: { tokenEndpoint: 'https://idp.example.com/token', resource: 'https://api.example.com', clientId: 'audience-guard', clientSecretFile: '/var/run/secret' } },
    },
  };
}

/** The base object with the value at `path` (under spec) set to `value`. */
function edited(path: readonly (string | number)[], value: unknown): ReturnType<typeof base> {
  const object = base();
  let node: Record<string | number, unknown> = object.spec;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path.at(-1) as string | number] = value;
  return object;
}

function withUpstreamIssuer(value: string): ReturnType<typeof base> {
  const object = edited(['upstream', 'clientCredentials', 'issuer'], value);
  delete ((object.spec.upstream as Spec).clientCredentials as Spec).tokenEndpoint;
  return object;
}

const URI_FIELDS: readonly [string, (value: string) => unknown][] = [
  ['resource', (value) => edited(['resource'], value)],
  ['issuers[].issuer', (value) => edited(['issuers', 0, 'issuer'], value)],
  ['issuers[].jwksUri', (value) => edited(['issuers', 0, 'jwksUri'], value)],
  ['resourceMetadata.resourceDocumentation', (value) => edited(['resourceMetadata', 'resourceDocumentation'], value)],
  ['upstream grant tokenEndpoint', (value) => edited(['upstream', 'clientCredentials', 'tokenEndpoint'], value)],
  ['upstream grant issuer', withUpstreamIssuer],
  ['upstream grant resource', (value) => edited(['upstream', 'clientCredentials', 'resource'], value)],
];

function documents(url: URL): { name: string; value: unknown }[] {
  return readdirSync(url).filter((file) => file.endsWith('.yaml')).flatMap((file) =>
    parseAllDocuments(readFileSync(new URL(file, url), 'utf8')).map((document, index) => ({ name: `${file}#${String(index)}`, value: document.toJS() as unknown })));
}

describe('One rule set: the CRD and the service refuse the same AudiencePolicy objects', () => {
  it('both take the base object of these tests', () => {
    assert.ok(assertParity(base()).admission.admitted);
  });

  describe('edits that the CRD once admitted and the service refused', () => {
    const attacks: readonly [string, string, unknown][] = [
      ['setting resourceDocumentation without a scheme', '/spec/resourceMetadata/resourceDocumentation', edited(['resourceMetadata', 'resourceDocumentation'], 'docs.example.com/weather')],
      ['setting resourceDocumentation over plain http', '/spec/resourceMetadata/resourceDocumentation', edited(['resourceMetadata', 'resourceDocumentation'], 'http://docs.example.com/weather')],
      ['with a space in resource', '/spec/resource', edited(['resource'], 'https://weather.example.com/m cp')],
      ['with a space in an issuer', '/spec/issuers/0/issuer', edited(['issuers', 0, 'issuer'], 'https://idp.example.com/realms/m cp')],
      ['setting resource to "https://" (no host)', '/spec/resource', edited(['resource'], 'https://')],
      ['adding a fragment to jwksUri', '/spec/issuers/0/jwksUri', edited(['issuers', 0, 'jwksUri'], 'https://idp.example.com/realms/mcp/certs#a')],
      ['adding userinfo to jwksUri', '/spec/issuers/0/jwksUri', edited(['issuers', 0, 'jwksUri'], 'https://admin@idp.example.com/realms/mcp/certs')],
      ['setting an upstream resource that is not a URI', '/spec/upstream/clientCredentials/resource', edited(['upstream', 'clientCredentials', 'resource'], 'upstream-api')],
      ['adding a fragment to tokenEndpoint', '/spec/upstream/clientCredentials/tokenEndpoint', edited(['upstream', 'clientCredentials', 'tokenEndpoint'], 'https://idp.example.com/token#x')],
    ];
    for (const [what, path, value] of attacks) {
      it(`attack: an edit ${what} must be refused by the CRD as by the service`, () => {
        const { admission, processProblems } = assertParity(value);
        assert.ok(!admission.admitted, 'the API server refuses the edit');
        assert.ok(admission.celFailures.some((failure) => failure.path === path), `the API server names ${path}: ${JSON.stringify(admission.celFailures)}`);
        assert.ok(processProblems.some((problem) => problem.path === path), `the service names ${path}: ${JSON.stringify(processProblems)}`);
      });
    }
  });

  describe('shipped examples and invalid fixtures', () => {
    for (const { name, value } of documents(new URL('../../../deploy/examples/', import.meta.url))) {
      it(`both take the example ${name}`, () => {
        assert.ok(assertParity(value).admission.admitted);
      });
    }
    for (const { name, value } of documents(new URL('../../fixtures/invalid-policies/', import.meta.url))) {
      it(`both refuse the fixture ${name}`, () => {
        assert.ok(!assertParity(value).admission.admitted);
      });
    }
  });

  it('agree on generated URI spellings in every URI field', () => {
    fc.assert(fc.property(uriSpelling, fc.constantFrom(...URI_FIELDS), (spelling, [, place]) => {
      assertParity(place(spelling));
    }), { numRuns: 300 });
  });

  it('agree on generated whole objects', () => {
    fc.assert(fc.property(policyObject, (object) => {
      assertParity(object);
    }), { numRuns: 250 });
  });

  it('differ only where the API server prunes: an unknown field is dropped, and the service takes what is stored', () => {
    const object = { ...base(), spec: { ...base().spec, audience: 'api://weather' } };
    const admission = admit(CRD_SCHEMA, object);
    assert.ok(admission.admitted);
    assert.equal((admission.stored as { spec: Spec }).spec.audience, undefined);
    assert.ok(validatePolicy(admission.stored).valid);
    assert.ok(!validatePolicy(object).valid, 'a policy file with the unknown field is refused, so its author hears of the typo');
  });
});
