/**
 * Cases derived from the rules beyond the conformance cases of docs/contract.md,
 * end to end against the real server and a real oidc-provider: the Bearer header
 * syntax (RFC 6750 §2.1), the audience rule (docs/contract.md §2.2), token typing
 * and claims (RFC 9068, RFC 8725), scopes (docs/contract.md §2.6), policy selection
 * (docs/contract.md §1.4), and security regressions named after the attack they
 * stop. Every case runs over gRPC and over the HTTP forward-auth front end
 * (test/support/check-transports.ts).
 */
import { strict as assert } from 'node:assert';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { CompactSign, exportJWK } from 'jose';
import { unsignedToken } from '../support/authorization-server.ts';
import { sendCase, TRANSPORTS, type CheckAnswer } from '../support/check-transports.ts';
import type { RequestShape } from '../support/envoy-check-client.ts';
import { recordToken } from '../support/secret-ledger.ts';
import { LOOPBACK_HTTP_AUTHZ, MCP_RESOURCE, policyYAML, startHarness, type Harness } from '../support/service-harness.ts';

type Expect = 'allow' | { status: number; reason: string };

function expectOutcome(response: CheckAnswer, expected: Expect): void {
  if (expected === 'allow') {
    assert.ok(response.allowed, `expected allow, got ${String(response.reason)}`);
    assert.deepEqual(response.removedHeaders, ['authorization', 'dpop']);
    return;
  }
  assert.ok(!response.allowed, 'expected a deny');
  assert.equal(response.reason, expected.reason);
  assert.equal(response.status, expected.status);
  assert.ok(response.body.startsWith('{"error":'), 'every deny has a JSON body');
}

for (const transport of TRANSPORTS) describe(`derived conformance cases (end to end, ${transport})`, function () {
  let harness: Harness;
  const send = (shape: RequestShape): Promise<CheckAnswer> => sendCase(harness, transport, shape);
  let good: string;
  const now = (): number => Math.floor(Date.now() / 1000);
  let claims: Record<string, unknown>;
  const sign = (payload: Record<string, unknown>, header?: Record<string, unknown>): Promise<string> => harness.customToken(payload, header);
  const check = (token: string, shape: RequestShape = {}): Promise<CheckAnswer> =>
    send({ ...shape, headers: { authorization: `Bearer ${token}`, ...shape.headers } });

  before(async function () {
    harness = await startHarness({
      policies: (issuer) => [
        policyYAML(issuer, { extra: '  requiredScopes: [mcp:tools]\n  scopeImplications: {mcp:admin: [mcp:tools]}\n' }),
        policyYAML(issuer, { name: 'legacy', resource: 'https://legacy.example.com/api', issuerExtra: '\n      profile: jwt' }),
        policyYAML(issuer, { name: 'offline', resource: 'https://offline.example.com/mcp', extra: '  requiredScopes: [mcp:tools, offline_access]\n' }),
      ].join('---\n'),
      service: { httpAuthz: LOOPBACK_HTTP_AUTHZ },
    });
    good = await harness.token({ resource: MCP_RESOURCE, scope: 'mcp:tools' });
    claims = { iss: harness.auth.issuer, sub: 'user-1', client_id: 'mcp-client', aud: MCP_RESOURCE, iat: now(), exp: now() + 300, jti: 'j', scope: 'mcp:tools' };
  });
  after(async function () {
    await harness.close();
  });

  describe('Bearer header syntax (RFC 6750 §2.1)', function () {
    const cases: [string, (token: string) => string, Expect][] = [
      ['accepts several spaces between scheme and token', (t) => `Bearer   ${t}`, 'allow'],
      ['accepts an upper-case scheme', (t) => `BEARER ${t}`, 'allow'],
      ['answers a tab between scheme and token with 400 invalid_request', (t) => `Bearer\t${t}`, { status: 400, reason: 'invalid_request' }],
      ['answers two Authorization headers (joined by Envoy with ",") with 400', (t) => `Bearer ${t},Bearer ${t}`, { status: 400, reason: 'invalid_request' }],
      ['answers a token with characters outside token68 with 400', (t) => `Bearer ${t}!`, { status: 400, reason: 'invalid_request' }],
      ['answers "Bearer a b" with 400', () => 'Bearer a b', { status: 400, reason: 'invalid_request' }],
      ['treats an unknown scheme (Token) as no credentials', (t) => `Token ${t}`, { status: 401, reason: 'missing_token' }],
      ['refuses an unbound token sent with the DPoP scheme', (t) => `DPoP ${t}`, { status: 401, reason: 'token_binding_mismatch' }],
    ];
    for (const [name, header, expected] of cases) {
      it(name, async function () {
        expectOutcome(await send({ headers: { authorization: header(good) } }), expected);
      });
    }
  });

  describe('audience rule (docs/contract.md §2.2)', function () {
    const cases: [string, unknown, Expect][] = [
      ['accepts an explicit default port', 'https://mcp.example.com:443/mcp', 'allow'],
      ['accepts an upper-case scheme', 'HTTPS://mcp.example.com/mcp', 'allow'],
      ['must not accept a trailing slash', 'https://mcp.example.com/mcp/', { status: 401, reason: 'audience_mismatch' }],
      ['must not fold path case', 'https://mcp.example.com/MCP', { status: 401, reason: 'audience_mismatch' }],
      ['must not percent-decode', 'https://mcp.example.com/%6Dcp', { status: 401, reason: 'audience_mismatch' }],
      ['must not remove dot segments', 'https://mcp.example.com/x/../mcp', { status: 401, reason: 'audience_mismatch' }],
      ['must not match a prefix of the resource', 'https://mcp.example.com', { status: 401, reason: 'audience_mismatch' }],
      ['must not match a longer path', 'https://mcp.example.com/mcp/tools', { status: 401, reason: 'audience_mismatch' }],
      ['must never match with a fragment', 'https://mcp.example.com/mcp#frag', { status: 401, reason: 'audience_mismatch' }],
      ['must not accept another port', 'https://mcp.example.com:8443/mcp', { status: 401, reason: 'audience_mismatch' }],
      ['must not accept http for an https resource', 'http://mcp.example.com/mcp', { status: 401, reason: 'audience_mismatch' }],
      ['must not accept userinfo', 'https://user@mcp.example.com/mcp', { status: 401, reason: 'audience_mismatch' }],
      ['rejects an aud that is a number', 42, { status: 401, reason: 'missing_claim' }],
      ['rejects an empty aud array', [], { status: 401, reason: 'missing_claim' }],
      ['rejects an aud array holding a non-string', [MCP_RESOURCE, 1], { status: 401, reason: 'missing_claim' }],
    ];
    for (const [name, aud, expected] of cases) {
      it(name, async function () {
        expectOutcome(await check(await sign({ ...claims, aud })), expected);
      });
    }
  });

  describe('token type, profile and claims (RFC 9068, RFC 8725)', function () {
    it('accepts typ application/at+jwt and AT+JWT (media type, case-insensitive)', async function () {
      expectOutcome(await check(await sign(claims, { typ: 'application/at+jwt' })), 'allow');
      expectOutcome(await check(await sign(claims, { typ: 'AT+JWT' })), 'allow');
    });
    it('rejects a token without typ under rfc9068', async function () {
      expectOutcome(await check(await sign(claims, { typ: undefined })), { status: 401, reason: 'unsupported_token_type' });
    });
    it('accepts typ JWT under profile jwt without client_id and jti', async function () {
      const { client_id: _c, jti: _j, ...rest } = claims;
      expectOutcome(await check(await sign({ ...rest, aud: 'https://legacy.example.com/api' }, { typ: 'JWT' }), { authority: 'legacy.example.com', path: '/api' }), 'allow');
    });
    it('rejects an ID token (nonce) presented as an access token under profile jwt', async function () {
      expectOutcome(await check(await sign({ ...claims, aud: 'https://legacy.example.com/api', nonce: 'n' }, { typ: 'JWT' }), { authority: 'legacy.example.com', path: '/api' }), { status: 401, reason: 'id_token_presented' });
    });
    it('rejects a DPoP-bound token (cnf) sent as Bearer, and a cnf member it cannot verify', async function () {
      expectOutcome(await check(await sign({ ...claims, cnf: { jkt: 'abc' } })), { status: 401, reason: 'token_binding_mismatch' });
      expectOutcome(await check(await sign({ ...claims, cnf: { 'x5t#S1': 'abc' } })), { status: 401, reason: 'token_binding_mismatch' });
    });
    it('rejects exp that is not a number', async function () {
      expectOutcome(await check(await sign({ ...claims, exp: String(now() + 300) })), { status: 401, reason: 'missing_claim' });
    });
    it('rejects iat 10 minutes in the future', async function () {
      expectOutcome(await check(await sign({ ...claims, iat: now() + 600 })), { status: 401, reason: 'not_yet_valid' });
    });
    it('rejects a token larger than the size cap before decoding it', async function () {
      expectOutcome(await check(await sign({ ...claims, padding: 'x'.repeat(20_000) })), { status: 401, reason: 'token_too_large' });
    });
    it('rejects an encrypted (five-segment) token', async function () {
      expectOutcome(await check(recordToken('eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d')), { status: 401, reason: 'malformed_token' });
    });
    it('rejects a tampered payload (signature no longer verifies)', async function () {
      const [header = '', , signature = ''] = good.split('.');
      const payload = Buffer.from(JSON.stringify({ ...claims, sub: 'admin' })).toString('base64url');
      expectOutcome(await check(recordToken(`${header}.${payload}.${signature}`)), { status: 401, reason: 'invalid_signature' });
    });
  });

  describe('security regressions, named after the attack', function () {
    it('stops cross-service replay: a token for another MCP server is refused', async function () {
      expectOutcome(await check(await sign({ ...claims, aud: 'https://other.example.com/mcp' })), { status: 401, reason: 'audience_mismatch' });
    });
    it('stops the unsigned-token attack (alg none, empty signature)', async function () {
      expectOutcome(await check(recordToken(unsignedToken({ alg: 'none', typ: 'at+jwt' }, claims))), { status: 401, reason: 'disallowed_algorithm' });
    });
    it('stops algorithm confusion (HS256 keyed with the public key)', async function () {
      const forged = recordToken(`${unsignedToken({ alg: 'HS256', typ: 'at+jwt' }, claims)}c2lnbmF0dXJl`);
      expectOutcome(await check(forged), { status: 401, reason: 'disallowed_algorithm' });
    });
    it('stops embedded-key injection (jwk header with the attacker key and the real kid)', async function () {
      const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const realKid = JSON.parse(Buffer.from(good.split('.')[0] ?? '', 'base64url').toString()) as { kid: string };
      const jwk = await exportJWK(attacker.publicKey);
      const forged = recordToken(await new CompactSign(Buffer.from(JSON.stringify(claims)))
        .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: realKid.kid, jwk })
        .sign(createPrivateKey(attacker.privateKey.export({ format: 'pem', type: 'pkcs8' }))));
      expectOutcome(await check(forged), { status: 401, reason: 'invalid_signature' });
    });
    it('never fetches a jku header: a token pointing at a foreign key set is verified with the issuer keys only', async function () {
      let fetched = false;
      const { createServer } = await import('node:http');
      const trap = createServer((_request, response) => { fetched = true; response.end('{}'); });
      await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
      const address = trap.address() as { port: number };
      const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const forged = recordToken(await new CompactSign(Buffer.from(JSON.stringify(claims)))
        .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: 'attacker', jku: `http://127.0.0.1:${address.port}/jwks` })
        .sign(createPrivateKey(attacker.privateKey.export({ format: 'pem', type: 'pkcs8' }))));
      const response = await check(forged);
      await new Promise((resolve) => trap.close(resolve));
      expectOutcome(response, { status: 401, reason: 'unknown_key' });
      assert.equal(fetched, false);
    });
    it('ignores a token smuggled in the query string when the header carries none', async function () {
      expectOutcome(await send({ path: `/mcp?access_token=${good}` }), { status: 401, reason: 'missing_token' });
    });
  });

  describe('scopes (docs/contract.md §2.6)', function () {
    it('honours scope implications (mcp:admin implies mcp:tools)', async function () {
      expectOutcome(await check(await harness.token({ resource: MCP_RESOURCE, scope: 'mcp:admin' })), 'allow');
    });
    it('reads scp as an array', async function () {
      const { scope: _s, ...rest } = claims;
      expectOutcome(await check(await sign({ ...rest, scp: ['mcp:tools'] })), 'allow');
    });
    it('compares scopes case-sensitively', async function () {
      expectOutcome(await check(await sign({ ...claims, scope: 'MCP:TOOLS' })), { status: 403, reason: 'insufficient_scope' });
    });
    it('never names offline_access in a challenge', async function () {
      const response = await send({ authority: 'offline.example.com' });
      const challenge = response.headers['www-authenticate'] ?? '';
      assert.match(challenge, /scope="mcp:tools"/);
      assert.doesNotMatch(challenge, /offline_access/);
    });
  });

  describe('policy selection (docs/contract.md §1.4)', function () {
    it('matches path prefixes at segment boundaries (/mcpx is not /mcp)', async function () {
      expectOutcome(await check(good, { path: '/mcpx' }), { status: 403, reason: 'no_policy' });
      expectOutcome(await check(good, { path: '/mcp/tools/call' }), 'allow');
    });
    it('ignores the port in :authority', async function () {
      expectOutcome(await check(good, { authority: 'MCP.example.com:443' }), 'allow');
    });
    // Envoy's gRPC context extensions have no HTTP counterpart: a client could forge any header.
    if (transport === 'grpc') it('follows an explicit context-extension reference', async function () {
      expectOutcome(await check(good, { authority: 'anything.example.net', contextExtensions: { 'audienceguard.dev/policy': 'mcp/mcp' } }), 'allow');
      expectOutcome(await check(good, { contextExtensions: { 'audienceguard.dev/policy': 'mcp/nope' } }), { status: 403, reason: 'no_policy' });
    });
    it('answers HEAD on the metadata URL with 200 and no body', async function () {
      const response = await send({ method: 'HEAD', path: '/.well-known/oauth-protected-resource/mcp' });
      assert.equal(response.status, 200);
      assert.ok(!response.allowed);
      assert.equal(response.body, '');
    });
    it('requires a token for POST on the metadata URL', async function () {
      const response = await send({ method: 'POST', path: '/.well-known/oauth-protected-resource/mcp' });
      expectOutcome(response, { status: 403, reason: 'no_policy' });
    });
  });
});
