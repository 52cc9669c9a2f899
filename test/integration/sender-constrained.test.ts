/**
 * Sender-constrained tokens end to end: a real oidc-provider issues DPoP-bound
 * (RFC 9449, `features.dPoP`) and certificate-bound (RFC 8705,
 * `features.mTLS.certificateBoundAccessTokens`) JWT access tokens for a
 * resource; audience-guard answers over real gRPC with Envoy's protos; proofs
 * are built independently with jose and certificates with the openssl CLI.
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { createLogger } from '../../src/obs/logger.ts';
import { startService, type RunningService } from '../../src/server/audience-guard-service.ts';
import { NONCE_SLOT_SECONDS } from '../../src/dpop/nonce-source.ts';
import { clientCertificate, x5tS256 } from '../support/client-certificates.ts';
import { EnvoyCheckClient, headerValue, httpStatus, type EnvoyCheckResponse } from '../support/envoy-check-client.ts';
import { recordToken } from '../support/secret-ledger.ts';
import { dpopClientKey, dpopProof, type DpopClientKey } from '../support/sender-constrained-tokens.ts';
import { MCP_RESOURCE, policyYAML, startHarness, TEST_SERVICE_SETTINGS, type Harness } from '../support/service-harness.ts';

const STRICT_RESOURCE = 'https://strict.example.com/mcp';
const NO_DPOP_RESOURCE = 'https://plain.example.com/mcp';
const RESOURCES = [MCP_RESOURCE, STRICT_RESOURCE, NO_DPOP_RESOURCE].map((resource) => ({ resource, scopes: ['mcp:tools'] }));

const ath = (token: string): string => createHash('sha256').update(token).digest('base64url');
const reasonOf = (response: EnvoyCheckResponse): string | undefined => response.dynamic_metadata?.fields?.reason?.stringValue;
const challengeOf = (response: EnvoyCheckResponse): string => headerValue(response.denied_response?.headers, 'www-authenticate') ?? '';

function policies(issuer: string): string {
  return [
    policyYAML(issuer),
    policyYAML(issuer, { name: 'strict', resource: STRICT_RESOURCE, extra: '  proofOfPossession: {dpop: Required}\n' }),
    policyYAML(issuer, { name: 'plain', resource: NO_DPOP_RESOURCE, extra: '  proofOfPossession: {dpop: Disabled}\n' }),
  ].join('---\n');
}

/** The request a DPoP client makes to `resource` (POST, the resource's own URL) with a fresh proof. */
async function dpopRequest(key: DpopClientKey, token: string, resource = MCP_RESOURCE, claims: Record<string, unknown> = {}) {
  const url = new URL(resource);
  const proof = recordToken(await dpopProof(key, 'POST', resource, { ath: ath(token), ...claims }));
  return { authority: url.host, path: url.pathname, headers: { authorization: `DPoP ${token}`, dpop: proof } };
}

describe('DPoP-bound tokens from oidc-provider, end to end over gRPC', function () {
  let harness: Harness;
  let key: DpopClientKey;

  const boundToken = async (resource = MCP_RESOURCE): Promise<string> =>
    harness.token({ resource, scope: 'mcp:tools', dpopProof: await dpopProof(key, 'POST', harness.auth.tokenEndpoint) });

  before(async function () {
    harness = await startHarness({ resources: RESOURCES, policies, dpop: true });
    key = await dpopClientKey();
  });
  after(async function () {
    await harness.close();
  });

  it('gets a token the authorization server bound to the client key (cnf.jkt)', async function () {
    assert.deepEqual(decodeJwt(await boundToken()).cnf, { jkt: key.thumbprint });
  });

  it('allows the bound token with a valid proof and removes authorization and dpop upstream (docs/contract.md case 34)', async function () {
    const response = await harness.client.check(await dpopRequest(key, await boundToken()));
    assert.equal(response.status?.code ?? 0, 0, JSON.stringify(response.denied_response?.body));
    assert.deepEqual(response.ok_response?.headers_to_remove, ['authorization', 'dpop']);
  });

  it('attack: the same token downgraded to Bearer must get 401 token_binding_mismatch (docs/contract.md case 35)', async function () {
    const response = await harness.client.check({ headers: { authorization: `Bearer ${await boundToken()}` } });
    assert.equal(httpStatus(response), 401);
    assert.equal(reasonOf(response), 'token_binding_mismatch');
    assert.match(challengeOf(response), /^Bearer error="invalid_token"/);
  });

  it('attack: the same proof sent twice must get 401 dpop_replayed the second time (docs/contract.md case 36)', async function () {
    const request = await dpopRequest(key, await boundToken());
    assert.equal((await harness.client.check(request)).status?.code ?? 0, 0);
    const replay = await harness.client.check(request);
    assert.equal(httpStatus(replay), 401);
    assert.equal(reasonOf(replay), 'dpop_replayed');
    assert.match(challengeOf(replay), /DPoP error="invalid_dpop_proof", error_description="[^"]+", algs="[^"]+"$/);
  });

  it('attack: a proof made for another URL must get 401 invalid_dpop_proof', async function () {
    const token = await boundToken();
    const request = await dpopRequest(key, token, MCP_RESOURCE, { htu: 'https://mcp.example.com/other' });
    const response = await harness.client.check(request);
    assert.equal(httpStatus(response), 401);
    assert.equal(reasonOf(response), 'invalid_dpop_proof');
  });

  it('attack: a proof by another key than the token is bound to must get 401 token_binding_mismatch', async function () {
    const response = await harness.client.check(await dpopRequest(await dpopClientKey(), await boundToken()));
    assert.equal(reasonOf(response), 'token_binding_mismatch');
  });

  it('dpop Required: refuses an unbound Bearer token (dpop_required) with only a DPoP challenge, allows a bound one', async function () {
    const unbound = await harness.token({ resource: STRICT_RESOURCE, scope: 'mcp:tools' });
    const refused = await harness.client.check({ authority: 'strict.example.com', headers: { authorization: `Bearer ${unbound}` } });
    assert.equal(reasonOf(refused), 'dpop_required');
    assert.match(challengeOf(refused), /^DPoP error="invalid_token", error_description="[^"]+", resource_metadata="[^"]+", algs="[^"]+"$/);
    const allowed = await harness.client.check(await dpopRequest(key, await boundToken(STRICT_RESOURCE), STRICT_RESOURCE));
    assert.equal(allowed.status?.code ?? 0, 0);
  });

  it('dpop Disabled: refuses a DPoP-bound token even with a valid proof, and offers no DPoP challenge', async function () {
    const response = await harness.client.check(await dpopRequest(key, await boundToken(NO_DPOP_RESOURCE), NO_DPOP_RESOURCE));
    assert.equal(reasonOf(response), 'token_binding_mismatch');
    assert.doesNotMatch(challengeOf(response), /DPoP/);
  });

  it('offers DPoP next to Bearer when no token is sent (dpop Allowed)', async function () {
    assert.match(challengeOf(await harness.client.check({})), /^Bearer resource_metadata="[^"]+", DPoP algs="[^"]+"$/);
  });

  it('never logs a token or a proof', function () {
    const text = JSON.stringify(harness.logs);
    assert.doesNotMatch(text, /eyJ[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,}/);
  });
});

describe('DPoP across replicas (replay caches are per replica; nonces bound the replay to a nonce slot)', function () {
  let harness: Harness;
  let key: DpopClientKey;
  let dir: string;
  let offset = 0;
  const replicas: RunningService[] = [];
  const clients: EnvoyCheckClient[] = [];

  /** A replica on the same policy file, with the test's clock, optionally with the shared nonce key. */
  async function replica(nonceKeyFile: string | undefined): Promise<EnvoyCheckClient> {
    const service = await startService({
      ...TEST_SERVICE_SETTINGS, policyFiles: [harness.policyFile], now: () => Date.now() / 1000 + offset,
      ...(nonceKeyFile === undefined ? {} : { dpopNonceKeyFile: nonceKeyFile }),
    }, createLogger('silent', { write: () => true }));
    replicas.push(service);
    const client = new EnvoyCheckClient(service.grpcPort);
    clients.push(client);
    return client;
  }

  before(async function () {
    harness = await startHarness({ resources: RESOURCES, policies, dpop: true });
    key = await dpopClientKey();
    dir = await mkdtemp(join(tmpdir(), 'ag-dpop-nonce-'));
    await writeFile(join(dir, 'key'), 'a-nonce-key-of-at-least-32-bytes-shared-by-replicas');
  });
  after(async function () {
    for (const client of clients) client.close();
    for (const service of replicas) await service.stop(500);
    await harness.close();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(function () {
    offset = 0;
  });

  const token = async (): Promise<string> =>
    harness.token({ resource: MCP_RESOURCE, scope: 'mcp:tools', dpopProof: await dpopProof(key, 'POST', harness.auth.tokenEndpoint) });

  it('without nonces, a proof replayed on another replica within its window is accepted there (documented limitation)', async function () {
    const [a, b] = [await replica(undefined), await replica(undefined)];
    const request = await dpopRequest(key, await token());
    assert.equal((await a.check(request)).status?.code ?? 0, 0);
    assert.equal((await b.check(request)).status?.code ?? 0, 0, 'replica b never saw the proof');
    assert.equal(reasonOf(await b.check(request)), 'dpop_replayed', 'but b refuses it the second time');
  });

  it('attack: with nonces on, a proof replayed on another replica must be refused once its nonce slot has passed', async function () {
    const keyFile = join(dir, 'key');
    const [a, b] = [await replica(keyFile), await replica(keyFile)];
    const bound = await token();
    const withoutNonce = await a.check(await dpopRequest(key, bound));
    assert.equal(httpStatus(withoutNonce), 401);
    assert.equal(reasonOf(withoutNonce), 'dpop_nonce_required');
    assert.match(challengeOf(withoutNonce), /DPoP error="use_dpop_nonce"/);
    const nonce = headerValue(withoutNonce.denied_response?.headers, 'dpop-nonce');
    assert.ok(nonce !== undefined && nonce !== '', 'the answer carries DPoP-Nonce');

    const request = await dpopRequest(key, bound, MCP_RESOURCE, { nonce });
    assert.equal((await a.check(request)).status?.code ?? 0, 0, 'a accepts the proof with its nonce');
    assert.equal((await b.check(request)).status?.code ?? 0, 0, 'within the nonce slot a replay on b is accepted (the documented limit)');
    offset = 2 * NONCE_SLOT_SECONDS; // the proof is still within proofMaxAgeSeconds (300), its nonce no longer current or previous
    const replayed = await b.check(request);
    assert.equal(reasonOf(replayed), 'dpop_nonce_required');
  });
});

describe('certificate-bound tokens from oidc-provider, end to end over gRPC', function () {
  let harness: Harness;
  let certificate: string;
  let other: string;

  before(async function () {
    harness = await startHarness({ policies: (issuer) => policyYAML(issuer), mtls: true });
    certificate = clientCertificate('mcp-client');
    other = clientCertificate('someone-else');
  });
  after(async function () {
    await harness.close();
  });

  const boundToken = (): Promise<string> => harness.token({ resource: MCP_RESOURCE, scope: 'mcp:tools', clientCertificate: certificate });

  it('gets a token bound to the client certificate (cnf["x5t#S256"])', async function () {
    assert.deepEqual(decodeJwt(await boundToken()).cnf, { 'x5t#S256': x5tS256(certificate) });
  });

  it('allows the token with the certificate it is bound to', async function () {
    const response = await harness.client.check({ headers: { authorization: `Bearer ${await boundToken()}` }, certificate });
    assert.equal(response.status?.code ?? 0, 0, JSON.stringify(response.denied_response?.body));
  });

  it('attack: the token sent with another client certificate must get 401 token_binding_mismatch', async function () {
    const response = await harness.client.check({ headers: { authorization: `Bearer ${await boundToken()}` }, certificate: other });
    assert.equal(httpStatus(response), 401);
    assert.equal(reasonOf(response), 'token_binding_mismatch');
  });

  it('attack: the token sent without a client certificate must get 401 token_binding_mismatch', async function () {
    const response = await harness.client.check({ headers: { authorization: `Bearer ${await boundToken()}` } });
    assert.equal(httpStatus(response), 401);
    assert.equal(reasonOf(response), 'token_binding_mismatch');
  });
});
