// `kubectl get SHORTNAME` resolves a short name across every CRD installed in the cluster, so
// a short name that another common project also claims makes the command ambiguous: kubectl
// picks one of the two silently, and an operator who types `kubectl delete ap …` may act on the
// wrong kind. The AudiencePolicy CRD runs next to proxies and policy engines, so its short
// names must not be any of theirs, nor a built-in Kubernetes one.
import { strict as assert } from 'node:assert';
import { audiencePolicyCRD } from '../../../src/policy/crd.ts';

/** Short names (and the plural/singular names kubectl also matches) claimed by projects that share clusters with audience-guard. */
const CLAIMED: Readonly<Record<string, readonly string[]>> = {
  kubernetes: ['cm', 'cs', 'csr', 'crd', 'crds', 'cj', 'deploy', 'ds', 'ep', 'ev', 'hpa', 'ing', 'limits', 'netpol', 'no', 'ns', 'pc', 'pdb', 'po', 'psp', 'pv', 'pvc', 'quota', 'rc', 'rs', 'sa', 'sc', 'sts', 'svc'],
  istio: ['dr', 'gw', 'pa', 'ra', 'se', 'vs', 'we', 'wg', 'authorizationpolicies', 'authorizationpolicy'],
  gatewayApi: ['gc', 'gtw', 'refgrant', 'btlspolicy', 'lset', 'xbtrafficpolicy'],
  envoyGateway: ['btp', 'ctp', 'sp', 'eep', 'epp', 'be', 'hrf'],
  certManager: ['cert', 'certs', 'cr', 'crs'],
  kyverno: ['cpol', 'pol', 'polex', 'polr', 'cpolr', 'ur', 'cleanpol', 'ccleanpol', 'admr', 'cadmr', 'bgscanr', 'cbgscanr', 'vpol', 'ivpol', 'mpol', 'gpol', 'dpol', 'gctxentry'],
  argo: ['app', 'apps', 'appset', 'appsets', 'appproj', 'appprojs', 'wf', 'wftmpl', 'cwf', 'cronwf', 'cwft', 'clusterwftmpl', 'wfeb', 'wfts', 'wftr', 'ro', 'at', 'cat', 'ar', 'exp', 'es', 'sn', 'eb'],
  // Our former short name: Istio users read it as AuthorizationPolicy, and any *Policy CRD may claim it.
  ambiguous: ['ap', 'policy', 'policies'],
};

interface CRDNames {
  readonly plural: string;
  readonly singular: string;
  readonly kind: string;
  readonly shortNames: readonly string[];
}

const names = (audiencePolicyCRD() as { spec: { names: CRDNames } }).spec.names;

describe('AudiencePolicy CRD short names', () => {
  it('must have at least one short name, in lower case, shorter than the plural', () => {
    assert.ok(names.shortNames.length > 0);
    for (const shortName of names.shortNames) {
      assert.match(shortName, /^[a-z][a-z0-9]*$/);
      assert.ok(shortName.length < names.plural.length);
    }
  });

  for (const [project, claimed] of Object.entries(CLAIMED)) {
    it(`must not collide with a name that ${project} claims`, () => {
      for (const name of [...names.shortNames, names.plural, names.singular, names.kind.toLowerCase()]) {
        assert.ok(!claimed.includes(name), `${name} is claimed by ${project}: kubectl would resolve it ambiguously`);
      }
    });
  }
});
