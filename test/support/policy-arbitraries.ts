/**
 * fast-check arbitraries for whole AudiencePolicy objects, for the parity of
 * the CRD and the process: every spec field drawn from valid values, values
 * at and just past each limit, and typical mistakes, so that most objects sit
 * near one edge of the rule set.
 */
import fc from 'fast-check';
import { LIMITS } from '../../src/policy/policy-field-schemas.ts';
import { uriSpelling } from './uri-spellings.ts';

/** Mostly one of `valid`, now and then one of `invalid`: one field at a time near an edge. */
function mostly<T>(valid: fc.Arbitrary<T>, invalid: fc.Arbitrary<T>): fc.Arbitrary<T> {
  return fc.oneof({ weight: 40, arbitrary: valid }, { weight: 1, arbitrary: invalid });
}

function pick<T>(valid: readonly T[], invalid: readonly T[]): fc.Arbitrary<T> {
  return mostly(fc.constantFrom(...valid), fc.constantFrom(...invalid));
}

/** A list of `item`: short, or exactly at `limit`, or one past it. */
function listOf<T>(item: fc.Arbitrary<T>, limit: number): fc.Arbitrary<T[]> {
  return fc.oneof(
    { weight: 20, arbitrary: fc.array(item, { maxLength: 2 }) },
    { weight: 1, arbitrary: fc.array(item, { minLength: limit, maxLength: limit }) },
    { weight: 1, arbitrary: fc.array(item, { minLength: limit + 1, maxLength: limit + 1 }) },
  );
}

const uri = (...valid: string[]) => fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...valid) }, { weight: 1, arbitrary: uriSpelling });
const long = (length: number) => 'x'.repeat(length);

const scope = pick(['mcp:tools', 'mcp:admin', 'offline_access', 'a/b', '!~', long(LIMITS.scopeLength)], ['a b', '', '"', '\\', 'é', 'a\tb', long(LIMITS.scopeLength + 1)]);
const scopes = listOf(scope, LIMITS.scopes);
const implicationKey = pick(['mcp:admin', 'mcp:all', 'constructor', 'a b', 'k'.repeat(LIMITS.scopeLength)], ['', 'k'.repeat(LIMITS.scopeLength + 1)]);
const manyImplications = (size: number) => Object.fromEntries(Array.from({ length: size }, (_, index) => [`s${String(index)}`, ['mcp:tools']]));
const implications = mostly(fc.dictionary(implicationKey, scopes, { maxKeys: 2 }), fc.constantFrom(manyImplications(LIMITS.scopes), manyImplications(LIMITS.scopes + 1)));

const algorithms = mostly<string[]>(fc.uniqueArray(fc.constantFrom('RS256', 'ES256', 'EdDSA', 'Ed25519', 'PS512'), { minLength: 1, maxLength: 3 }), fc.constantFrom<string[]>([], ['HS256'], ['none'], ['rs256'], ['RS256', 'RS256']));
const issuer = fc.record({
  issuer: uri('https://idp.example.com', 'https://idp.example.com/realms/mcp', 'http://127.0.0.1:8080/realms/dev'),
  jwksUri: uri('https://idp.example.com/keys', 'https://idp.example.com/keys?tenant=a'),
  algorithms,
  profile: pick(['rfc9068', 'jwt'], ['oidc']),
}, { requiredKeys: ['issuer'] });

const secretRef = fc.record({ name: pick(['upstream', 'a.b-c'], ['Upstream']), key: pick(['secret', 'a_b.c'], ['client secret']) });
/** A grant with exactly one endpoint and one secret source, mostly; the invalid draws break one of the pairs. */
const grant = fc.record({
  endpoint: fc.oneof(uri('https://idp.example.com/token', 'http://localhost:9000/token?x=1').map((tokenEndpoint) => ({ tokenEndpoint })), uri('https://idp.example.com').map((issuerURL) => ({ issuer: issuerURL }))),
  secret: fc.oneof(secretRef.map((clientSecretRef) => ({ clientSecretRef })), pick(['/var/run/secret'], ['relative', '/']).map((clientSecretFile) => ({ clientSecretFile }))),
  broken: pick<Record<string, unknown>>([{}], [{ tokenEndpoint: 'https://idp.example.com/token', issuer: 'https://idp.example.com' }, { clientSecretFile: '/a', clientSecretRef: { name: 'a', key: 'b' } }]),
  audience: pick(['api://upstream'], ['', long(LIMITS.uriLength + 1)]),
  resource: uri('https://api.example.com', 'https://api.example.com/v1'),
  scopes,
  clientId: pick(['audience-guard'], ['']),
}, { requiredKeys: ['endpoint', 'secret', 'broken', 'clientId'] }).map(({ endpoint, secret, broken, ...rest }) => ({ ...rest, ...endpoint, ...secret, ...broken }));
const upstream = fc.record({
  grants: mostly(fc.oneof(grant.map((tokenExchange) => ({ tokenExchange })), grant.map((clientCredentials) => ({ clientCredentials }))), fc.oneof(fc.constant({}), fc.tuple(grant, grant).map(([tokenExchange, clientCredentials]) => ({ tokenExchange, clientCredentials })))),
  header: pick(['authorization', 'x-upstream-token'], ['host', 'te', 'Upgrade', 'x upstream']),
}, { requiredKeys: ['grants'] }).map(({ grants, ...rest }) => ({ ...rest, ...grants }));

const spec = fc.record({
  resource: uri('https://weather.example.com/mcp', 'https://weather.example.com', 'http://localhost:3000/mcp'),
  audiences: listOf(pick(['api://weather', 'https://weather.example.com/mcp', 'urn:x#y', long(LIMITS.uriLength)], ['HTTPS://a.example.com/#x', 'https://a/#', '', long(LIMITS.uriLength + 1)]), LIMITS.audiences),
  hosts: mostly(listOf(pick(['weather.example.com', '*.example.com', 'UPPER.example.com', 'a-b.example.com'], ['*', 'a.*.example.com', `${'h'.repeat(64)}.com`, '', 'a_b.com', 'host:443']), LIMITS.hosts).filter((list) => list.length > 0), fc.constant([] as never[])),
  pathPrefixes: mostly(listOf(pick(['/', '/mcp', `/${'p'.repeat(1023)}`], ['mcp', '/a?b', '/a#b', '', `/${'p'.repeat(1024)}`]), LIMITS.pathPrefixes).filter((list) => list.length > 0), fc.constant([] as never[])),
  issuers: mostly(listOf(issuer, LIMITS.issuers).filter((list) => list.length > 0), fc.constant([] as never[])),
  requiredScopes: scopes,
  scopeImplications: implications,
  mode: pick(['Strict', 'Permissive'], ['strict']),
  clockSkewSeconds: pick([0, 60, 300], [301, -1, 1.5]),
  resourceMetadata: fc.record({
    resourceName: pick(['Weather MCP', long(256)], ['', long(257)]),
    resourceDocumentation: uri('https://docs.example.com/weather', 'https://docs.example.com/weather?lang=en'),
    scopesSupported: scopes,
  }, { requiredKeys: [] }),
  upstream,
}, { requiredKeys: ['resource', 'issuers'] });

/** A whole AudiencePolicy object with generated `spec`. */
export const policyObject = spec.map((generated) => ({
  apiVersion: 'audienceguard.dev/v1alpha1',
  kind: 'AudiencePolicy',
  metadata: { name: 'generated', namespace: 'mcp' },
  spec: generated,
}));
