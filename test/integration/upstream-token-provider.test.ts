/**
 * Upstream tokens from a real oidc-provider (docs/contract.md §2.8): client
 * credentials with an RFC 8707 resource, RFC 8693 token exchange (registered on the
 * test provider), discovery from an issuer, the caches (one request for many
 * checks, expiry honoured, concurrent misses shared), failures as `unavailable`,
 * and secret rotation picked up.
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { compilePolicy } from '../../src/policy/compile-policy.ts';
import { validatePolicy } from '../../src/policy/validate-policy.ts';
import type { RuntimePolicy } from '../../src/core/runtime-policy.ts';
import { ClientSecretResolver } from '../../src/upstream/client-secret-resolver.ts';
import { TokenEndpointClient } from '../../src/upstream/token-endpoint-client.ts';
import { UpstreamTokenProvider } from '../../src/upstream/upstream-token-provider.ts';
import { startAuthorizationServer, type LocalAuthorizationServer } from '../support/authorization-server.ts';
import { recordToken } from '../support/secret-ledger.ts';

const MCP = 'https://mcp.example.com/mcp';
const UPSTREAM = 'https://api.weather.example.com';
const OTHER_UPSTREAM = 'https://api.alerts.example.com';
const SERVICE = { clientId: 'weather-mcp', clientSecret: 'weather-mcp-secret-1' };

/** The compiled policy `mcp/weather` with this upstream block, as the object `identity` (a uid). */
function policyWith(upstream: Record<string, unknown>, object: { identity?: string; generation?: number; spec?: Record<string, unknown> } = {}): RuntimePolicy {
  const validation = validatePolicy({
    apiVersion: 'audienceguard.dev/v1alpha1', kind: 'AudiencePolicy', metadata: { name: 'weather', namespace: 'mcp', generation: object.generation ?? 1 },
    spec: { resource: MCP, issuers: [{ issuer: 'https://idp.example.com' }], upstream, ...object.spec },
  });
  assert.ok(validation.valid, JSON.stringify(validation));
  return compilePolicy(validation.policy, { createdAt: 0, loadOrder: 0, identity: object.identity ?? 'uid-1' });
}

describe('upstream token provider (real oidc-provider)', function () {
  let auth: LocalAuthorizationServer;
  let dir: string;
  let secretFile: string;
  let now: number;
  let events: string[];
  let provider: UpstreamTokenProvider;

  before(async function () {
    auth = await startAuthorizationServer({
      resources: [{ resource: MCP, scopes: ['mcp:tools'] }, { resource: UPSTREAM, scopes: ['forecast:read'] }, { resource: OTHER_UPSTREAM, scopes: ['alerts:read'] }],
      clients: [SERVICE],
    });
    dir = await mkdtemp(join(tmpdir(), 'audience-guard-upstream-'));
    secretFile = join(dir, 'client-secret');
  });
  beforeEach(async function () {
    await writeFile(secretFile, `${SERVICE.clientSecret}\n`);
    now = Math.floor(Date.now() / 1000);
    events = [];
    provider = new UpstreamTokenProvider(
      new TokenEndpointClient({ timeoutMs: 2_000, now: () => now }),
      new ClientSecretResolver(undefined, { fileTTLMs: 0 }),
      { request: (_policy, ok) => events.push(ok ? 'request:ok' : 'request:failed'), cache: (_policy, hit) => events.push(hit ? 'hit' : 'miss') },
      { now: () => now },
    );
    auth.setTokenEndpointAvailable(true);
    auth.setTokenEndpointDelay(0);
  });
  after(async function () {
    await auth.close();
    await rm(dir, { recursive: true, force: true });
  });

  const clientCredentials = (): RuntimePolicy => policyWith({ clientCredentials: { tokenEndpoint: auth.tokenEndpoint, resource: UPSTREAM, scopes: ['forecast:read'], clientId: SERVICE.clientId, clientSecretFile: secretFile } });
  const exchange = (): RuntimePolicy => policyWith({ tokenExchange: { issuer: auth.issuer, resource: UPSTREAM, clientId: SERVICE.clientId, clientSecretFile: secretFile } });
  const clientToken = async (): Promise<string> => recordToken(await auth.issueToken({ resource: MCP }));

  it('gets a client-credentials token whose aud is the upstream resource', async function () {
    const result = await provider.tokenFor(clientCredentials(), 'unused', now + 300);
    assert.ok(result.kind === 'token', 'a token is issued');
    const claims = decodeJwt(recordToken(result.accessToken));
    assert.equal(claims.aud, UPSTREAM);
    assert.equal(claims.client_id, SERVICE.clientId);
    assert.equal(claims.scope, 'forecast:read');
  });

  it('exchanges the client token (issuer discovered) for one bound to the upstream, keeping the subject', async function () {
    const subject = await clientToken();
    const result = await provider.tokenFor(exchange(), subject, now + 300);
    assert.ok(result.kind === 'token', 'a token is issued');
    const upstreamToken = recordToken(result.accessToken);
    assert.notEqual(upstreamToken, subject);
    const claims = decodeJwt(upstreamToken);
    assert.equal(claims.aud, UPSTREAM);
    assert.equal(claims.sub, decodeJwt(subject).sub);
    assert.equal(claims.client_id, SERVICE.clientId);
  });

  it('makes one token request for many checks of the same client token', async function () {
    const policy = exchange();
    const subject = await clientToken();
    const before = auth.tokenExchangeCount();
    for (let index = 0; index < 5; index += 1) assert.equal((await provider.tokenFor(policy, subject, now + 300)).kind, 'token');
    assert.equal(auth.tokenExchangeCount() - before, 1);
    assert.deepEqual(events, ['miss', 'request:ok', 'hit', 'hit', 'hit', 'hit']);
  });

  it('makes a separate exchange for another client token', async function () {
    const policy = exchange();
    const before = auth.tokenExchangeCount();
    await provider.tokenFor(policy, await clientToken(), now + 300);
    await provider.tokenFor(policy, await clientToken(), now + 300);
    assert.equal(auth.tokenExchangeCount() - before, 2);
  });

  it('shares one request among concurrent misses', async function () {
    const policy = clientCredentials();
    auth.setTokenEndpointDelay(200);
    const before = auth.clientCredentialsCount();
    const results = await Promise.all(Array.from({ length: 8 }, () => provider.tokenFor(policy, 'unused', now + 300)));
    assert.ok(results.every((result) => result.kind === 'token'));
    assert.equal(auth.clientCredentialsCount() - before, 1);
  });

  it('never uses an exchanged token past the client token expiry', async function () {
    const policy = exchange();
    const subject = await clientToken();
    const before = auth.tokenExchangeCount();
    await provider.tokenFor(policy, subject, now + 60);
    now += 58; // within 60 s, but past the 10% margin before the client token's exp
    await provider.tokenFor(policy, subject, now + 2);
    assert.equal(auth.tokenExchangeCount() - before, 2);
  });

  it('requests a new client-credentials token shortly before the cached one expires', async function () {
    const policy = clientCredentials();
    const before = auth.clientCredentialsCount();
    await provider.tokenFor(policy, 'unused', now + 300);
    now += 200;
    await provider.tokenFor(policy, 'unused', now + 300);
    assert.equal(auth.clientCredentialsCount() - before, 1, 'still fresh after 200 s of 300');
    now += 80; // 280 s: inside the 30 s refresh margin
    await provider.tokenFor(policy, 'unused', now + 300);
    assert.equal(auth.clientCredentialsCount() - before, 2);
  });

  it('attack: token exchange after the upstream audience changed (same object, same generation) must use a new token, not the old audience\'s', async function () {
    const subject = await clientToken();
    const exchangeFor = (audience: string): RuntimePolicy => policyWith({ tokenExchange: { issuer: auth.issuer, audience, clientId: SERVICE.clientId, clientSecretFile: secretFile } }, { generation: 0 });
    const before = auth.tokenExchangeCount();
    const first = await provider.tokenFor(exchangeFor(UPSTREAM), subject, now + 300);
    const second = await provider.tokenFor(exchangeFor(OTHER_UPSTREAM), subject, now + 300);
    assert.ok(first.kind === 'token' && second.kind === 'token');
    assert.equal(decodeJwt(recordToken(first.accessToken)).aud, UPSTREAM);
    assert.equal(decodeJwt(recordToken(second.accessToken)).aud, OTHER_UPSTREAM, 'the token is for the audience now configured');
    assert.equal(auth.tokenExchangeCount() - before, 2);
  });

  it('attack: a deleted and re-created policy (same name, generation and upstream) must not be given the old object\'s token', async function () {
    const upstream = { clientCredentials: { tokenEndpoint: auth.tokenEndpoint, resource: UPSTREAM, clientId: SERVICE.clientId, clientSecretFile: secretFile } };
    const before = auth.clientCredentialsCount();
    await provider.tokenFor(policyWith(upstream, { identity: 'uid-1' }), 'unused', now + 300);
    await provider.tokenFor(policyWith(upstream, { identity: 'uid-2' }), 'unused', now + 300);
    assert.equal(auth.clientCredentialsCount() - before, 2);
  });

  it('starts afresh on any change to the upstream block, and keeps the token across changes elsewhere', async function () {
    const upstream = (scopes: string[]) => ({ clientCredentials: { tokenEndpoint: auth.tokenEndpoint, resource: UPSTREAM, scopes, clientId: SERVICE.clientId, clientSecretFile: secretFile } });
    const before = auth.clientCredentialsCount();
    await provider.tokenFor(policyWith(upstream(['forecast:read'])), 'unused', now + 300);
    await provider.tokenFor(policyWith(upstream(['forecast:read']), { generation: 2, spec: { requiredScopes: ['mcp:tools'] } }), 'unused', now + 300);
    assert.equal(auth.clientCredentialsCount() - before, 1, 'same object, same upstream settings');
    await provider.tokenFor(policyWith(upstream([]), { generation: 3 }), 'unused', now + 300);
    assert.equal(auth.clientCredentialsCount() - before, 2, 'scopes changed');
  });

  it('is unavailable while the token endpoint is down, and recovers', async function () {
    const policy = clientCredentials();
    auth.setTokenEndpointAvailable(false);
    assert.deepEqual(await provider.tokenFor(policy, 'unused', now + 300), { kind: 'unavailable' });
    auth.setTokenEndpointAvailable(true);
    assert.equal((await provider.tokenFor(policy, 'unused', now + 300)).kind, 'token');
    assert.deepEqual(events.filter((event) => event.startsWith('request')), ['request:failed', 'request:ok']);
  });

  it('is unavailable when the token endpoint does not answer in time', async function () {
    const slow = new UpstreamTokenProvider(new TokenEndpointClient({ timeoutMs: 100 }), new ClientSecretResolver(undefined, { fileTTLMs: 0 }));
    auth.setTokenEndpointDelay(1_000);
    assert.deepEqual(await slow.tokenFor(clientCredentials(), 'unused', now + 300), { kind: 'unavailable' });
  });

  it('is unavailable when the exchange is refused (subject token not from this issuer)', async function () {
    assert.deepEqual(await provider.tokenFor(exchange(), 'eyJhbGciOiJSUzI1NiJ9.e30.c2ln', now + 300), { kind: 'unavailable' });
  });

  it('uses rotated credentials: a wrong secret fails, the rotated right one works', async function () {
    const policy = clientCredentials();
    await writeFile(secretFile, 'wrong-secret');
    assert.deepEqual(await provider.tokenFor(policy, 'unused', now + 300), { kind: 'unavailable' });
    await writeFile(secretFile, SERVICE.clientSecret);
    assert.equal((await provider.tokenFor(policy, 'unused', now + 300)).kind, 'token');
  });

  it('is unavailable for a Secret reference without the Kubernetes source', async function () {
    const policy = policyWith({ clientCredentials: { tokenEndpoint: auth.tokenEndpoint, resource: UPSTREAM, clientId: SERVICE.clientId, clientSecretRef: { name: 'weather-upstream', key: 'client-secret' } } });
    assert.deepEqual(await provider.tokenFor(policy, 'unused', now + 300), { kind: 'unavailable' });
  });
});
