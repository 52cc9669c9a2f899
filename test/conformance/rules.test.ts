/**
 * Conformance with the cases of docs/contract.md appendix A, "Conformance
 * cases" (G = good token for https://mcp.example.com/mcp, request POST /mcp),
 * end to end: a real oidc-provider issues the tokens, audience-guard answers
 * over real gRPC, and the client encodes with Envoy's own protos. Every case
 * runs twice: over gRPC, and over the HTTP forward-auth front end as a
 * `forwarded`-family request (test/support/check-transports.ts), so both front
 * ends are held to the same decisions. Case numbers are those of
 * docs/contract.md appendix A.
 */
import { strict as assert } from 'node:assert';
import { sendCase, TRANSPORTS, type CheckAnswer } from '../support/check-transports.ts';
import type { RequestShape } from '../support/envoy-check-client.ts';
import { eventually, LOOPBACK_HTTP_AUTHZ, MCP_RESOURCE, OTHER_RESOURCE, policyYAML, startHarness, type Harness } from '../support/service-harness.ts';
import { recordToken } from '../support/secret-ledger.ts';
import { unsignedToken } from '../support/authorization-server.ts';

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

function assertAllowed(response: CheckAnswer): void {
  assert.ok(response.allowed, `expected allow, got ${response.body}`);
  assert.equal(response.status, 200);
  assert.deepEqual(response.removedHeaders, ['authorization', 'dpop'], 'the client\'s token and DPoP proof are removed upstream');
  if (response.transport === 'grpc') assert.deepEqual(response.removedQuery, ['access_token']);
  else assert.equal(response.body, '', 'an HTTP allow has no body');
  assert.equal(response.headers.authorization, undefined);
}

function challengeOf(response: CheckAnswer): string {
  return response.headers['www-authenticate'] ?? '';
}

function assertDenied(response: CheckAnswer, status: number, error?: string): void {
  assert.ok(!response.allowed, 'expected a deny');
  assert.equal(response.status, status);
  assert.equal(response.headers['content-type'], 'application/json');
  const body = JSON.parse(response.body) as { error: string; error_description: string };
  assert.equal(typeof body.error_description, 'string');
  if (error !== undefined) {
    assert.match(challengeOf(response), new RegExp(`^Bearer error="${error}"`));
    assert.equal(body.error, error);
  }
}

function reasonOf(response: CheckAnswer): string | undefined {
  return response.reason;
}

for (const transport of TRANSPORTS) describe(`docs/contract.md conformance cases (end to end, ${transport})`, function () {
  let harness: Harness;
  const check = (shape: RequestShape): Promise<CheckAnswer> => sendCase(harness, transport, shape);
  let good: string;
  let claims: Record<string, unknown>;
  const now = (): number => Math.floor(Date.now() / 1000);

  before(async function () {
    harness = await startHarness({
      policies: (issuer) => [
        policyYAML(issuer, { extra: '  requiredScopes: [mcp:tools]\n  clockSkewSeconds: 60\n' }),
        policyYAML(issuer, { name: 'audit', resource: 'https://audit.example.com/mcp', extra: '  mode: Permissive\n' }),
      ].join('---\n'),
      service: { keySetOptions: { unknownKeyCooldownMs: 30_000 }, httpAuthz: LOOPBACK_HTTP_AUTHZ },
    });
    good = await harness.token({ resource: MCP_RESOURCE, scope: 'mcp:tools' });
    claims = {
      iss: harness.auth.issuer, sub: 'user-1', client_id: 'mcp-client', aud: MCP_RESOURCE,
      iat: now(), exp: now() + 300, jti: 'jti-1', scope: 'mcp:tools',
    };
  });
  after(async function () {
    await harness.close();
  });

  it('1: allows G and removes authorization upstream', async function () {
    assertAllowed(await check({ headers: bearer(good) }));
  });

  it('2: answers a request without Authorization with 401 and a challenge without error', async function () {
    const response = await check({});
    assertDenied(response, 401);
    // Bearer first, as before; DPoP is offered too (the policy accepts it by default: ADR 0011).
    assert.equal(challengeOf(response), 'Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="mcp:tools", DPoP algs="RS256 PS256 ES256 ES384 EdDSA"');
  });

  it('3: treats another scheme (Basic) as no credentials: 401 without error', async function () {
    const response = await check({ headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    assertDenied(response, 401);
    assert.doesNotMatch(challengeOf(response), /error=/);
  });

  it('4: accepts the scheme name case-insensitively (bearer)', async function () {
    assertAllowed(await check({ headers: { authorization: `bearer ${good}` } }));
  });

  it('5: answers "Bearer" with nothing after it with 400 invalid_request', async function () {
    assertDenied(await check({ headers: { authorization: 'Bearer' } }), 400, 'invalid_request');
  });

  it('6: never uses a token from the query string: 401 without error', async function () {
    const response = await check({ path: `/mcp?access_token=${good}` });
    assertDenied(response, 401);
    assert.doesNotMatch(challengeOf(response), /error=/);
  });

  it('6: removes the access_token query parameter upstream when the request is allowed otherwise', async function () {
    const response = await check({ path: `/mcp?access_token=${good}`, headers: bearer(good) });
    assertAllowed(response);
  });

  it('7: rejects a two-segment token with 401 invalid_token', async function () {
    assertDenied(await check({ headers: bearer('aaa.bbb') }), 401, 'invalid_token');
  });

  it('8: rejects typ JWT under profile rfc9068', async function () {
    const token = await harness.customToken(claims, { typ: 'JWT' });
    const response = await check({ headers: bearer(token) });
    assertDenied(response, 401, 'invalid_token');
    assert.equal(reasonOf(response), 'unsupported_token_type');
  });

  it('9: rejects alg none', async function () {
    const token = recordToken(unsignedToken({ alg: 'none', typ: 'at+jwt' }, claims));
    const response = await check({ headers: bearer(token) });
    assertDenied(response, 401, 'invalid_token');
    assert.equal(reasonOf(response), 'disallowed_algorithm');
  });

  it('10: rejects an alg outside the issuer allow-list', async function () {
    const token = await harness.customToken(claims, { alg: 'PS384' });
    const response = await check({ headers: bearer(token) });
    assertDenied(response, 401, 'invalid_token');
    assert.equal(reasonOf(response), 'disallowed_algorithm');
  });

  it('13: rejects an iss the policy does not trust', async function () {
    const token = await harness.customToken({ ...claims, iss: 'https://evil.example.com' });
    const response = await check({ headers: bearer(token) });
    assertDenied(response, 401, 'invalid_token');
    assert.equal(reasonOf(response), 'unknown_issuer');
  });

  it('14: rejects a token without aud', async function () {
    const { aud: _aud, ...withoutAud } = claims;
    const response = await check({ headers: bearer(await harness.customToken(withoutAud)) });
    assertDenied(response, 401, 'invalid_token');
  });

  it('15: rejects a token issued for another MCP server (Strict)', async function () {
    const other = await harness.token({ resource: OTHER_RESOURCE });
    const response = await check({ headers: bearer(other) });
    assertDenied(response, 401, 'invalid_token');
    assert.equal(reasonOf(response), 'audience_mismatch');
  });

  it('15: allows, logs and counts a wrong-audience token under Permissive', async function () {
    const other = await harness.token({ resource: OTHER_RESOURCE });
    const response = await check({ authority: 'audit.example.com', headers: bearer(other) });
    assertAllowed(response);
    if (transport === 'grpc') assert.equal(response.decision, 'allowed_not_enforced');
    const line = harness.logs.find((entry) => entry.event === 'token_rejected' && entry.policy === 'mcp/audit');
    assert.equal(line?.reason, 'audience_mismatch');
    assert.equal(line.enforced, false);
    assert.equal(line.frontend, transport);
    const metrics = await harness.service.metrics.registry.getSingleMetricAsString('audience_guard_rejections_total');
    assert.ok(metrics.includes(`audience_guard_rejections_total{namespace="mcp",policy="audit",reason="audience_mismatch",enforced="false",frontend="${transport}"} 1`), metrics);
  });

  it('16: allows an aud array that contains the resource', async function () {
    const token = await harness.customToken({ ...claims, aud: ['https://other.example.com/mcp', MCP_RESOURCE] });
    assertAllowed(await check({ headers: bearer(token) }));
  });

  it('17: allows aud with an upper-case host', async function () {
    const token = await harness.customToken({ ...claims, aud: 'https://MCP.example.com/mcp' });
    assertAllowed(await check({ headers: bearer(token) }));
  });

  it('18: rejects a token that expired 10 minutes ago', async function () {
    const token = await harness.customToken({ ...claims, iat: now() - 900, exp: now() - 600 });
    const response = await check({ headers: bearer(token) });
    assertDenied(response, 401, 'invalid_token');
    assert.equal(reasonOf(response), 'expired');
  });

  it('19: allows a token that expired 30 s ago with a skew of 60 s', async function () {
    const token = await harness.customToken({ ...claims, iat: now() - 330, exp: now() - 30 });
    assertAllowed(await check({ headers: bearer(token) }));
  });

  it('20: rejects nbf 10 minutes ahead', async function () {
    const response = await check({ headers: bearer(await harness.customToken({ ...claims, nbf: now() + 600 })) });
    assertDenied(response, 401, 'invalid_token');
    assert.equal(reasonOf(response), 'not_yet_valid');
  });

  it('21: rejects a token without sub under rfc9068', async function () {
    const { sub: _sub, ...withoutSub } = claims;
    const response = await check({ headers: bearer(await harness.customToken(withoutSub)) });
    assertDenied(response, 401, 'invalid_token');
    assert.equal(reasonOf(response), 'missing_claim');
  });

  it('22: answers a token without the required scope with 403 insufficient_scope and scope="…"', async function () {
    const token = await harness.token({ resource: MCP_RESOURCE, scope: 'mcp:admin' });
    const response = await check({ headers: bearer(token) });
    assertDenied(response, 403, 'insufficient_scope');
    assert.match(challengeOf(response), /scope="mcp:tools"/);
    assert.match(challengeOf(response), /resource_metadata="https:\/\/mcp\.example\.com\/\.well-known\/oauth-protected-resource\/mcp"/);
  });

  it('23: answers GET /.well-known/oauth-protected-resource/mcp with the RFC 9728 document', async function () {
    const response = await check({ method: 'GET', path: '/.well-known/oauth-protected-resource/mcp' });
    assert.equal(response.status, 200);
    assert.ok(!response.allowed, 'answered, not let through to the upstream');
    assert.equal(response.headers['access-control-allow-origin'], '*');
    const document = JSON.parse(response.body) as Record<string, unknown>;
    assert.equal(document.resource, MCP_RESOURCE);
    assert.deepEqual(document.authorization_servers, [harness.auth.issuer]);
    assert.deepEqual(document.bearer_methods_supported, ['header']);
    assert.deepEqual(document.scopes_supported, ['mcp:tools']);
  });

  it('26: answers a host no policy covers with 403 no_policy', async function () {
    const response = await check({ authority: 'unknown.example.com', headers: bearer(good) });
    assertDenied(response, 403);
    assert.equal(reasonOf(response), 'no_policy');
    assert.equal(challengeOf(response), '');
  });

  it('11: allows a token signed with a rotated key after one JWKS refetch', async function () {
    await harness.auth.rotateSigningKey();
    const before = harness.auth.jwksRequestCount();
    const rotated = await harness.token({ resource: MCP_RESOURCE, scope: 'mcp:tools' });
    assertAllowed(await check({ headers: bearer(rotated) }));
    assert.equal(harness.auth.jwksRequestCount() - before, 1);
  });

  it('12: rejects an unknown kid and does not refetch again within the cooldown', async function () {
    const first = await harness.customToken(claims, { kid: 'no-such-key-1' });
    const second = await harness.customToken(claims, { kid: 'no-such-key-2' });
    const before = harness.auth.jwksRequestCount();
    const responses = [await check({ headers: bearer(first) }), await check({ headers: bearer(second) })];
    for (const response of responses) {
      assertDenied(response, 401, 'invalid_token');
      assert.equal(reasonOf(response), 'unknown_key');
    }
    // Case 11 refetched moments ago, so the cooldown already holds: no fetch at all.
    assert.equal(harness.auth.jwksRequestCount() - before, 0);
  });

  it('24: allows while the JWKS endpoint is down and keys are cached', async function () {
    harness.auth.setJwksAvailable(false);
    try {
      assertAllowed(await check({ headers: bearer(await harness.token({ resource: MCP_RESOURCE, scope: 'mcp:tools' })) }));
    } finally {
      harness.auth.setJwksAvailable(true);
    }
  });

  it('27: no log line carries any part of the tokens used above', async function () {
    await eventually(() => harness.logs.length > 0);
    const text = JSON.stringify(harness.logs);
    for (const token of [good]) {
      for (const segment of token.split('.')) assert.equal(text.includes(segment), false);
    }
    const rejection = harness.logs.find((entry) => entry.event === 'token_rejected' && entry.reason === 'expired');
    assert.match(String(rejection?.token_sha256), /^[0-9a-f]{16}$/);
  });
});

for (const transport of TRANSPORTS) describe(`docs/contract.md case 25 (JWKS down, nothing cached, ${transport})`, function () {
  let harness: Harness;
  before(async function () {
    harness = await startHarness({ policies: (issuer) => policyYAML(issuer), service: { httpAuthz: LOOPBACK_HTTP_AUTHZ } });
  });
  after(async function () {
    await harness.close();
  });

  it('25: answers 503 keys_unavailable with retry-after, never an allow', async function () {
    const token = await harness.token({ resource: MCP_RESOURCE });
    harness.auth.setJwksAvailable(false);
    // A fresh policy for the same issuer under another JWKS URI has no keys cached.
    await harness.writePolicies(policyYAML(harness.auth.issuer, { issuerExtra: `\n      jwksUri: ${harness.auth.jwksUri}?fresh=1` }));
    await eventually(() => harness.service.store.current().generation > 1);
    const response = await sendCase(harness, transport, { headers: bearer(token) });
    assert.ok(!response.allowed);
    assert.equal(response.status, 503);
    assert.equal(reasonOf(response), 'keys_unavailable');
    assert.equal(response.headers['retry-after'], '5');
  });
});
