/**
 * Everything the fuzz targets run against, shared by the CI-sized suite
 * (test/fuzz/*.test.ts) and the long run (scripts/fuzz-long.ts):
 *
 *   - the real service (test/support/service-harness.ts) with the local
 *     oidc-provider as one trusted issuer, on loopback, its clock fixed at T0;
 *   - a second trusted issuer held by the fuzzer: real RSA, P-256, P-384,
 *     P-521 and Ed25519 keys whose JWKS is served over loopback HTTP, so
 *     mutants can be re-signed byte for byte (duplicated keys, invalid UTF-8)
 *     in every algorithm the service allows;
 *   - the same two policies compiled in-process with a real IssuerKeyStore
 *     (fetching both JWKS over loopback) for decide() at full speed, with and
 *     without the real verified-token cache;
 *   - the oracle's view of each policy (test/fuzz/token-oracle.ts);
 *   - REAL seed tokens: issued by oidc-provider for the policy's resource and
 *     for other resources, re-signed with its key (signCustomToken), signed by
 *     the second issuer, and unsigned ones.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, sign as cryptoSign, constants, type KeyObject } from 'node:crypto';
import type { JSONWebKeySet, JWK } from 'jose';
import { stringify } from 'yaml';
import { LRUVerifiedTokenCache } from '../../src/cache/verified-token-cache.ts';
import { jwtCheckEnvironment, type CheckEnvironment } from '../../src/core/check-environment.ts';
import { IssuerKeyStore } from '../../src/keys/issuer-key-store.ts';
import { compilePolicy } from '../../src/policy/compile-policy.ts';
import { PolicySnapshot } from '../../src/core/policy-snapshot.ts';
import type { AudiencePolicyDocument } from '../../src/policy/policy-schema.ts';
import { unsignedToken } from '../support/authorization-server.ts';
import { decodeSegmentJSON, type SeededRandom } from '../support/mutation-fuzzer.ts';
import { recordToken } from '../support/secret-ledger.ts';
import { MCP_RESOURCE, OTHER_RESOURCE, startHarness, type Harness } from '../support/service-harness.ts';
import type { OraclePolicy } from './token-oracle.ts';

export const KIWI_RESOURCE = 'https://kiwi.example.com/api';
export const NAMESPACE = 'fuzz';
export const MAX_TOKEN_BYTES = 16_384;

/** Algorithms the second issuer signs with (and the `mcp` policy allows for it). */
export const FUZZ_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
type FuzzAlgorithm = (typeof FUZZ_ALGORITHMS)[number];

interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly jwk: JWK;
}

/** The second trusted issuer: keys in memory, JWKS on loopback. */
export interface FuzzIssuer {
  readonly issuer: string;
  readonly jwksUri: string;
  readonly jwks: JSONWebKeySet;
  /** A compact JWS over these exact header and payload bytes, signed with the key for `alg`. */
  signRaw(alg: FuzzAlgorithm, header: Uint8Array, payload: Uint8Array): string;
  /** Re-signs mutated header/payload bytes with the key of the header's `alg` when that is one of ours, else a random one. */
  resign(header: Uint8Array, payload: Uint8Array, random: SeededRandom): string;
  sign(header: Record<string, unknown>, payload: Record<string, unknown>): string;
  close(): Promise<void>;
}

function signatureOf(alg: FuzzAlgorithm, input: Buffer, keys: Readonly<Record<string, SigningKey>>): Buffer {
  switch (alg) {
    case 'RS256': return cryptoSign('sha256', input, keys.rsa!.privateKey);
    case 'PS256': return cryptoSign('sha256', input, { key: keys.rsa!.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST });
    case 'ES256': return cryptoSign('sha256', input, { key: keys.p256!.privateKey, dsaEncoding: 'ieee-p1363' });
    case 'ES384': return cryptoSign('sha384', input, { key: keys.p384!.privateKey, dsaEncoding: 'ieee-p1363' });
    case 'ES512': return cryptoSign('sha512', input, { key: keys.p521!.privateKey, dsaEncoding: 'ieee-p1363' });
    case 'EdDSA': return cryptoSign(null, input, keys.ed25519!.privateKey);
  }
}

export const FUZZ_KIDS: Readonly<Record<FuzzAlgorithm, string>> = {
  RS256: 'fuzz-rsa', PS256: 'fuzz-rsa', ES256: 'fuzz-p256', ES384: 'fuzz-p384', ES512: 'fuzz-p521', EdDSA: 'fuzz-ed25519',
};

export async function startFuzzIssuer(): Promise<FuzzIssuer> {
  const make = (kid: string, pair: { privateKey: KeyObject; publicKey: KeyObject }, extra: Partial<JWK>): SigningKey => ({
    kid,
    privateKey: pair.privateKey,
    jwk: { ...(pair.publicKey.export({ format: 'jwk' }) as JWK), kid, use: 'sig', ...extra },
  });
  const keys: Record<string, SigningKey> = {
    // No `alg` on the RSA key: it serves RS256 and PS256 alike.
    rsa: make('fuzz-rsa', generateKeyPairSync('rsa', { modulusLength: 2048 }), {}),
    p256: make('fuzz-p256', generateKeyPairSync('ec', { namedCurve: 'prime256v1' }), { alg: 'ES256' }),
    p384: make('fuzz-p384', generateKeyPairSync('ec', { namedCurve: 'secp384r1' }), { alg: 'ES384' }),
    p521: make('fuzz-p521', generateKeyPairSync('ec', { namedCurve: 'secp521r1' }), { alg: 'ES512' }),
    ed25519: make('fuzz-ed25519', generateKeyPairSync('ed25519'), { alg: 'EdDSA' }),
  };
  const jwks: JSONWebKeySet = { keys: Object.values(keys).map((key) => key.jwk) };
  const body = JSON.stringify(jwks);
  const server: Server = createServer((req, res) => {
    if (req.url === '/fuzz/jwks') res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const signRaw = (alg: FuzzAlgorithm, header: Uint8Array, payload: Uint8Array): string => {
    const input = `${Buffer.from(header).toString('base64url')}.${Buffer.from(payload).toString('base64url')}`;
    return `${input}.${signatureOf(alg, Buffer.from(input, 'latin1'), keys).toString('base64url')}`;
  };
  return {
    issuer: `http://127.0.0.1:${port}/fuzz`,
    jwksUri: `http://127.0.0.1:${port}/fuzz/jwks`,
    jwks,
    signRaw,
    resign(header, payload, random) {
      const parsed = decodeSegmentJSON(Buffer.from(header).toString('base64url')) as { alg?: unknown } | undefined;
      const alg = FUZZ_ALGORITHMS.find((candidate) => candidate === parsed?.alg) ?? random.pick(FUZZ_ALGORITHMS);
      return signRaw(alg, header, payload);
    },
    sign(header, payload) {
      const alg = FUZZ_ALGORITHMS.find((candidate) => candidate === header.alg) ?? 'ES256';
      return signRaw(alg, Buffer.from(JSON.stringify(header)), Buffer.from(JSON.stringify(payload)));
    },
    close: () => new Promise<void>((resolve) => {
      server.close(() => { resolve(); });
      server.closeAllConnections();
    }),
  };
}

/** The two policies, as documents for the service and as the oracle reads them. */
export function worldPolicies(oidcIssuer: string, fuzz: Pick<FuzzIssuer, 'issuer' | 'jwksUri'>): AudiencePolicyDocument[] {
  return [
    {
      apiVersion: 'audienceguard.dev/v1alpha1',
      kind: 'AudiencePolicy',
      metadata: { name: 'mcp', namespace: NAMESPACE },
      spec: {
        resource: MCP_RESOURCE,
        audiences: ['api://mcp-tools', 'https://MCP.example.com:443/alt'],
        issuers: [
          { issuer: oidcIssuer },
          { issuer: fuzz.issuer, jwksUri: fuzz.jwksUri, algorithms: [...FUZZ_ALGORITHMS] },
        ],
        requiredScopes: ['mcp:tools'],
        scopeImplications: { 'mcp:admin': ['mcp:tools'] },
        clockSkewSeconds: 60,
      },
    },
    {
      apiVersion: 'audienceguard.dev/v1alpha1',
      kind: 'AudiencePolicy',
      metadata: { name: 'kiwi', namespace: NAMESPACE },
      spec: {
        resource: KIWI_RESOURCE,
        hosts: ['kiwi.example.com', '*.kiwi.example.com'],
        pathPrefixes: ['/api', '/tools'],
        mode: 'Permissive',
        clockSkewSeconds: 0,
        issuers: [
          { issuer: oidcIssuer },
          { issuer: fuzz.issuer, jwksUri: fuzz.jwksUri, algorithms: ['ES256', 'EdDSA', 'RS256'], profile: 'jwt' },
        ],
      },
    },
  ];
}

function oraclePolicy(document: AudiencePolicyDocument, jwksByIssuer: ReadonlyMap<string, JSONWebKeySet>): OraclePolicy {
  const { spec, metadata } = document;
  const resource = new URL(spec.resource);
  return {
    id: `${metadata.namespace ?? 'default'}/${metadata.name}`,
    resource: spec.resource,
    audiences: spec.audiences ?? [],
    hosts: spec.hosts?.map((host) => host.toLowerCase()) ?? [resource.hostname],
    pathPrefixes: spec.pathPrefixes ?? [resource.pathname],
    issuers: spec.issuers.map((issuer) => ({
      issuer: issuer.issuer,
      jwks: jwksByIssuer.get(issuer.issuer) ?? { keys: [] },
      algorithms: issuer.algorithms ?? ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'],
      profile: issuer.profile ?? 'rfc9068',
    })),
    requiredScopes: spec.requiredScopes ?? [],
    scopeImplications: spec.scopeImplications ?? {},
    mode: spec.mode ?? 'Strict',
    clockSkewSeconds: spec.clockSkewSeconds ?? 60,
  };
}

/** A real token to mutate; `label` describes it (never its bytes). */
export interface Seed {
  readonly label: string;
  readonly token: string;
  /** Who signed it: the oidc-provider, the fuzzer's issuer, or nobody. */
  readonly signer: 'oidc' | 'fuzz' | 'unsigned';
}

/** A request shape the in-process target sends tokens with. */
export interface RequestSpot {
  readonly method: string;
  readonly host: string;
  readonly path: string;
}

export const SPOTS: readonly RequestSpot[] = [
  { method: 'POST', host: 'mcp.example.com', path: '/mcp' },
  { method: 'POST', host: 'mcp.example.com', path: '/mcp/tools/call' },
  { method: 'GET', host: 'mcp.example.com', path: '/mcp' },
  { method: 'POST', host: 'kiwi.example.com', path: '/api' },
  { method: 'DELETE', host: 'eu.kiwi.example.com', path: '/tools/x' },
  { method: 'GET', host: 'kiwi.example.com', path: '/.well-known/oauth-protected-resource/api' },
  { method: 'POST', host: 'other.example.com', path: '/mcp' },
];

export interface FuzzWorld {
  readonly harness: Harness;
  readonly fuzzIssuer: FuzzIssuer;
  /** The fixed clock of the service and of the in-process environment, seconds. */
  readonly now: number;
  readonly documents: readonly AudiencePolicyDocument[];
  readonly policyYAML: string;
  readonly oracles: ReadonlyMap<string, OraclePolicy>;
  readonly snapshot: PolicySnapshot;
  /** In-process environments over a real IssuerKeyStore: without and with the real verified-token cache. */
  readonly environments: { readonly plain: CheckEnvironment; readonly cached: CheckEnvironment };
  readonly seeds: readonly Seed[];
  /** Re-signs with the oidc-provider's key (RSA algorithms only), recording the result. */
  signWithOidc(payload: Record<string, unknown>, header: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

export async function startFuzzWorld(): Promise<FuzzWorld> {
  // One fixed instant for the service and the in-process checks. It moves once, below, to
  // the latest `iat` oidc-provider stamped: with a skew of 0 (the kiwi policy) a token issued
  // a second after the start would otherwise be "not yet valid" in some runs and not others.
  let now = Math.floor(Date.now() / 1000);
  const fuzzIssuer = await startFuzzIssuer();
  let documents: AudiencePolicyDocument[] = [];
  const harness = await startHarness({
    resources: [
      { resource: MCP_RESOURCE, scopes: ['mcp:tools', 'mcp:admin'] },
      { resource: OTHER_RESOURCE, scopes: ['mcp:tools'] },
      { resource: KIWI_RESOURCE, scopes: ['kiwi:read'] },
    ],
    policies: (issuer) => {
      documents = worldPolicies(issuer, fuzzIssuer);
      return documents.map((document) => stringify(document)).join('---\n');
    },
    service: { now: () => now },
  });
  const oidcJWKS = await (await fetch(harness.auth.jwksUri)).json() as JSONWebKeySet;
  const jwksByIssuer = new Map([[harness.auth.issuer, oidcJWKS], [fuzzIssuer.issuer, fuzzIssuer.jwks]]);
  const oracles = new Map(documents.map((document) => {
    const oracle = oraclePolicy(document, jwksByIssuer);
    return [oracle.id, oracle] as const;
  }));
  const snapshot = new PolicySnapshot(documents.map((document, index) => compilePolicy(document, { createdAt: 0, loadOrder: index })), 1);
  const keys = new IssuerKeyStore();
  keys.sync(snapshot);
  const cache = new LRUVerifiedTokenCache({ maxEntries: 2_000, maxBytes: 4_000_000, now: () => now });
  const environments = {
    plain: jwtCheckEnvironment({ keys, now: () => now, maxTokenBytes: MAX_TOKEN_BYTES }),
    cached: jwtCheckEnvironment({ keys, now: () => now, maxTokenBytes: MAX_TOKEN_BYTES, verifiedTokens: cache }),
  };
  const seeds = await makeSeeds(harness, fuzzIssuer, now);
  for (const seed of seeds) {
    const iat = seed.signer === 'oidc' ? (decodeSegmentJSON(seed.token.split('.')[1] ?? '') as { iat?: unknown } | undefined)?.iat : undefined;
    if (typeof iat === 'number' && iat > now && iat < now + 60) now = iat;
  }
  return {
    harness,
    fuzzIssuer,
    now,
    documents,
    policyYAML: documents.map((document) => stringify(document)).join('---\n'),
    oracles,
    snapshot,
    environments,
    seeds,
    signWithOidc: (payload, header) => harness.customToken(payload, header),
    async close() {
      keys.close();
      await harness.close();
      await fuzzIssuer.close();
    },
  };
}

async function makeSeeds(harness: Harness, fuzz: FuzzIssuer, now: number): Promise<Seed[]> {
  const seeds: Seed[] = [];
  const add = (label: string, token: string, signer: Seed['signer']): void => { seeds.push({ label, token: recordToken(token), signer }); };

  // Issued by oidc-provider through the client_credentials grant with RFC 8707 resource indicators.
  add('oidc: mcp, mcp:tools', await harness.token({ resource: MCP_RESOURCE, scope: 'mcp:tools' }), 'oidc');
  add('oidc: mcp, mcp:tools mcp:admin', await harness.token({ resource: MCP_RESOURCE }), 'oidc');
  add('oidc: mcp, mcp:admin only (implies mcp:tools)', await harness.token({ resource: MCP_RESOURCE, scope: 'mcp:admin' }), 'oidc');
  add('oidc: mcp, other-client', await harness.token({ resource: MCP_RESOURCE, scope: 'mcp:tools', clientId: 'other-client' }), 'oidc');
  add('oidc: other resource', await harness.token({ resource: OTHER_RESOURCE }), 'oidc');
  add('oidc: kiwi', await harness.token({ resource: KIWI_RESOURCE }), 'oidc');

  // Re-signed with the oidc-provider's own key: claims around the edges of the rules.
  const issued = decodeSegmentJSON(seeds[0]!.token.split('.')[1]!) as Record<string, unknown>;
  const custom = async (label: string, payload: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<void> => {
    add(`oidc-custom: ${label}`, await harness.customToken({ ...issued, ...payload }, header), 'oidc');
  };
  await custom('aud array with the resource', { aud: [OTHER_RESOURCE, MCP_RESOURCE] });
  await custom('aud upper-case host and default port', { aud: 'HTTPS://MCP.EXAMPLE.COM:443/mcp' });
  await custom('typ application/at+jwt, no kid', {}, { typ: 'application/at+jwt', kid: undefined });
  await custom('scp array', { scope: undefined, scp: ['mcp:tools'] });
  await custom('exp 30 s ago (inside the skew)', { exp: now - 30, iat: now - 330 });
  await custom('exp 10 min ago', { exp: now - 600, iat: now - 900 });
  await custom('nbf 10 min ahead', { nbf: now + 600 });
  await custom('cnf', { cnf: { jkt: 'x' } });
  await custom('aud other resource', { aud: OTHER_RESOURCE });
  await custom('typ JWT', {}, { typ: 'JWT' });
  await custom('PS256 with an RS256 key', {}, { alg: 'PS256' });

  // The fuzzer's own trusted issuer, every algorithm it serves.
  const claims = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
    iss: fuzz.issuer, aud: MCP_RESOURCE, sub: 'fuzz-user', client_id: 'fuzz-client', jti: 'fuzz-jti', iat: now - 5, exp: now + 600, scope: 'mcp:tools', ...overrides,
  });
  for (const alg of FUZZ_ALGORITHMS) {
    add(`fuzz: ${alg} mcp`, fuzz.sign({ alg, typ: 'at+jwt', kid: FUZZ_KIDS[alg] }, claims()), 'fuzz');
  }
  add('fuzz: ES384 mcp, no kid', fuzz.sign({ alg: 'ES384', typ: 'at+jwt' }, claims()), 'fuzz');
  add('fuzz: ES512 mcp, aud array + scp', fuzz.sign({ alg: 'ES512', typ: 'application/at+jwt', kid: 'fuzz-p521' }, claims({ aud: ['x', 'api://mcp-tools'], scope: undefined, scp: 'mcp:admin' })), 'fuzz');
  add('fuzz: ES256 kiwi jwt profile', fuzz.sign({ alg: 'ES256', typ: 'JWT', kid: 'fuzz-p256' }, { iss: fuzz.issuer, aud: KIWI_RESOURCE, exp: now + 600, sub: 'k' }), 'fuzz');
  add('fuzz: EdDSA kiwi no typ', fuzz.sign({ alg: 'EdDSA', kid: 'fuzz-ed25519' }, { iss: fuzz.issuer, aud: 'https://elsewhere.example.com', exp: now + 600 }), 'fuzz');
  add('fuzz: RS256 mcp, ID token shape', fuzz.sign({ alg: 'RS256', typ: 'JWT', kid: 'fuzz-rsa' }, claims({ nonce: 'n' })), 'fuzz');

  // Unsigned: what jose refuses to produce.
  add('unsigned: alg none', unsignedToken({ alg: 'none', typ: 'at+jwt' }, claims()), 'unsigned');
  add('unsigned: HS256', unsignedToken({ alg: 'HS256', typ: 'at+jwt', kid: 'fuzz-rsa' }, claims()), 'unsigned');
  add('unsigned: RS256, empty signature', unsignedToken({ alg: 'RS256', typ: 'at+jwt', kid: 'fuzz-rsa' }, claims()), 'unsigned');
  return seeds;
}
