/**
 * Conformance with the cases of docs/contract.md appendix A, "Conformance
 * cases" (G = good token for https://mcp.example.com/mcp, request POST /mcp),
 * end to end: a real oidc-provider issues the tokens, audience-guard answers
 * over real gRPC, and the client encodes with Envoy's own protos. Case numbers
 * are those of docs/contract.md appendix A.
 */
import { strict as assert } from 'node:assert';
import { headerValue, httpStatus, type EnvoyCheckResponse } from '../support/envoy-check-client.ts';
import { eventually, MCP_RESOURCE, OTHER_RESOURCE, policyYAML, startHarness, type Harness } from '../support/service-harness.ts';
import { recordToken } from '../support/secret-ledger.ts';
import { unsignedToken } from '../support/authorization-server.ts';

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

function assertAllowed(response: EnvoyCheckResponse): void {
  assert.equal(response.status?.code ?? 0, 0, `expected allow, got ${JSON.stringify(response.denied_response?.body)}`);
  const ok = response.ok_response;
  assert.ok(ok, 'an allow carries an ok_response');
  assert.deepEqual(ok.headers_to_remove, ['authorization', 'dpop']);
  assert.deepEqual(ok.query_parameters_to_remove, ['access_token']);
  assert.equal(headerValue(ok.headers, 'authorization'), undefined);
}

function challengeOf(response: EnvoyCheckResponse): string {
  return headerValue(response.denied_response?.headers, 'www-authenticate') ?? '';
}

function assertDenied(response: EnvoyCheckResponse, status: number, error?: string): void {
  assert.notEqual(response.status?.code ?? 0, 0, 'a deny must carry a non-zero status code');
  assert.equal(httpStatus(response), status);
  assert.equal(headerValue(response.denied_response?.headers, 'content-type'), 'application/json');
  const body = JSON.parse(response.denied_response?.body ?? '') as { error: string; error_description: string };
  assert.equal(typeof body.error_description, 'string');
  if (error !== undefined) {
    assert.match(challengeOf(response), new RegExp(`^Bearer error="${error}"`));
    assert.equal(body.error, error);
  }
}

function reasonOf(response: EnvoyCheckResponse): string | undefined {
  return response.dynamic_metadata?.fields?.reason?.stringValue;
}

describe('docs/contract.md conformance cases (end to end)', function () {
  let harness: Harness;
  let good: string;
  let claims: Record<string, unknown>;
  const now = (): number => Math.floor(Date.now() / 1000);

  before(async function () {
    harness = await startHarness({
      policies: (issuer) => [
        policyYAML(issuer, { extra: '  requiredScopes: [mcp:tools]\n  clockSkewSeconds: 60\n' }),
        policyYAML(issuer, { name: 'audit', resource: 'https://audit.example.com/mcp', extra: '  mode: Permissive\n' }),
      ].join('---\n'),
      service: { keySetOptions: { unknownKeyCooldownMs: 30_000 } },
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
    assertAllowed(await harness.client.check({ headers: bearer(good) }));
  });

  it('2: answers a request without Authorization with 401 and a challenge without error', async function () {
    const response = await harness.client.check({});
    assertDenied(response, 401);
    // Bearer first, as before; DPoP is offered too (the policy accepts it by default: ADR 0010).
    assert.equal(challengeOf(response), 'Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="mcp:tools", DPoP algs="RS256 PS256 ES256 ES384 EdDSA"');
  });

  it('3: treats another scheme (Basic) as no credentials: 401 without error', async function () {
    const response = await harness.client.check({ headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    assertDenied(response, 401);
    assert.doesNotMatch(challengeOf(response), /error=/);
  });

  it('4: accepts the scheme name case-insensitively (bearer)', async function () {
    assertAllowed(await harness.client.check({ headers: { authorization: `bearer ${good}` } }));
  });

  it('5: answers "Bearer" with nothing after it with 400 invalid_request', async function () {
    assertDenied(await harness.client.check({ headers: { authorization: 'Bearer' } }), 400, 'invalid_request');
  });

  it('6: never uses a token from the query string: 401 without error', async function () {
    const response = await harness.client.check({ path: `/mcp?access_token=${good}` });
    assertDenied(response, 401);
    assert.doesNotMatch(challengeOf(response), /error=/);
  });

  it('6: removes the access_token query parameter upstream when the request is allowed otherwise', async function () {
    const response = await harness.client.check({ path: `/mcp?access_token=${good}`, headers: bearer(good) });
    assertAllowed(response);
  });

  it('7: rejects a two-segment token with 401 invalid_token', async function () {
    assertDenied(await harness.client.check({ headers: bearer('aaa.bbb') }), 401, 'invalid_token');
  });

  it('8: rejects typ JWT under profile rfc9068', async function () {
    const token = await harness.customToken(claims, { typ: 'JWT' });
    const response = await harness.client.check({ headers: bearer(token) });
    assertDenied(response, 401, 'invalid_token');
    assert.equal(reasonOf(response), 'unsupported_token_type');
  });

  it('9: rejects alg none', async function () {
    const token = recordToken(unsignedToken({ alg: 'none', typ: 'at+jwt' }, claims));
    const response = await harness.client.check({ headers: bearer(token) });
    assertDenied(response, 401, 'invalid_token');
    assert.equal(reasonOf(response), 'disallowed_algorithm');
  });

  it('10: rejects an alg outside the issuer allow-list', async function () {
    const token = await harness.customToken(claims, { alg: 'PS384' });
    const response = await harness.client.check({ headers: bearer(token) });
    assertDenied(response, 401, 'invalid_token');
    assert.equal(reasonOf(response), 'disallowed_algorithm');
  });

  it('13: rejects an iss the policy does not trust', async function () {
    const token = await harness.customToken({ ...claims, iss: 'https://evil.example.com' });
    const response = await harness.client.check({ headers: bearer(token) });
    assertDenied(response, 401, 'invalid_token');
    assert.equal(reasonOf(response), 'unknown_issuer');
  });

  it('14: rejects a token without aud', async function () {
    const { aud: _aud, ...withoutAud } = claims;
    const response = await harness.client.check({ headers: bearer(await harness.customToken(withoutAud)) });
    assertDenied(response, 401, 'invalid_token');
  });

  it('15: rejects a token issued for another MCP server (Strict)', async function () {
    const other = await harness.token({ resource: OTHER_RESOURCE });
    const response = await harness.client.check({ headers: bearer(other) });
    assertDenied(response, 401, 'invalid_token');
    assert.equal(reasonOf(response), 'audience_mismatch');
  });

  it('15: allows, logs and counts a wrong-audience token under Permissive', async function () {
    const other = await harness.token({ resource: OTHER_RESOURCE });
    const response = await harness.client.check({ authority: 'audit.example.com', headers: bearer(other) });
    assertAllowed(response);
    assert.equal(response.dynamic_metadata?.fields?.decision?.stringValue, 'allowed_not_enforced');
    const line = harness.logs.find((entry) => entry.event === 'token_rejected' && entry.policy === 'mcp/audit');
    assert.equal(line?.reason, 'audience_mismatch');
    assert.equal(line.enforced, false);
    const metrics = await harness.service.metrics.registry.getSingleMetricAsString('audience_guard_rejections_total');
    assert.match(metrics, /audience_guard_rejections_total\{namespace="mcp",policy="audit",reason="audience_mismatch",enforced="false"\} 1/);
  });

  it('16: allows an aud array that contains the resource', async function () {
    const token = await harness.customToken({ ...claims, aud: ['https://other.example.com/mcp', MCP_RESOURCE] });
    assertAllowed(await harness.client.check({ headers: bearer(token) }));
  });

  it('17: allows aud with an upper-case host', async function () {
    const token = await harness.customToken({ ...claims, aud: 'https://MCP.example.com/mcp' });
    assertAllowed(await harness.client.check({ headers: bearer(token) }));
  });

  it('18: rejects a token that expired 10 minutes ago', async function () {
    const token = await harness.customToken({ ...claims, iat: now() - 900, exp: now() - 600 });
    const response = await harness.client.check({ headers: bearer(token) });
    assertDenied(response, 401, 'invalid_token');
    assert.equal(reasonOf(response), 'expired');
  });

  it('19: allows a token that expired 30 s ago with a skew of 60 s', async function () {
    const token = await harness.customToken({ ...claims, iat: now() - 330, exp: now() - 30 });
    assertAllowed(await harness.client.check({ headers: bearer(token) }));
  });

  it('20: rejects nbf 10 minutes ahead', async function () {
    const response = await harness.client.check({ headers: bearer(await harness.customToken({ ...claims, nbf: now() + 600 })) });
    assertDenied(response, 401, 'invalid_token');
    assert.equal(reasonOf(response), 'not_yet_valid');
  });

  it('21: rejects a token without sub under rfc9068', async function () {
    const { sub: _sub, ...withoutSub } = claims;
    const response = await harness.client.check({ headers: bearer(await harness.customToken(withoutSub)) });
    assertDenied(response, 401, 'invalid_token');
    assert.equal(reasonOf(response), 'missing_claim');
  });

  it('22: answers a token without the required scope with 403 insufficient_scope and scope="…"', async function () {
    const token = await harness.token({ resource: MCP_RESOURCE, scope: 'mcp:admin' });
    const response = await harness.client.check({ headers: bearer(token) });
    assertDenied(response, 403, 'insufficient_scope');
    assert.match(challengeOf(response), /scope="mcp:tools"/);
    assert.match(challengeOf(response), /resource_metadata="https:\/\/mcp\.example\.com\/\.well-known\/oauth-protected-resource\/mcp"/);
  });

  it('23: answers GET /.well-known/oauth-protected-resource/mcp with the RFC 9728 document', async function () {
    const response = await harness.client.check({ method: 'GET', path: '/.well-known/oauth-protected-resource/mcp' });
    assert.equal(httpStatus(response), 200);
    assert.equal(headerValue(response.denied_response?.headers, 'access-control-allow-origin'), '*');
    const document = JSON.parse(response.denied_response?.body ?? '') as Record<string, unknown>;
    assert.equal(document.resource, MCP_RESOURCE);
    assert.deepEqual(document.authorization_servers, [harness.auth.issuer]);
    assert.deepEqual(document.bearer_methods_supported, ['header']);
    assert.deepEqual(document.scopes_supported, ['mcp:tools']);
  });

  it('26: answers a host no policy covers with 403 no_policy', async function () {
    const response = await harness.client.check({ authority: 'unknown.example.com', headers: bearer(good) });
    assertDenied(response, 403);
    assert.equal(reasonOf(response), 'no_policy');
    assert.equal(challengeOf(response), '');
  });

  it('11: allows a token signed with a rotated key after one JWKS refetch', async function () {
    await harness.auth.rotateSigningKey();
    const before = harness.auth.jwksRequestCount();
    const rotated = await harness.token({ resource: MCP_RESOURCE, scope: 'mcp:tools' });
    assertAllowed(await harness.client.check({ headers: bearer(rotated) }));
    assert.equal(harness.auth.jwksRequestCount() - before, 1);
  });

  it('12: rejects an unknown kid and does not refetch again within the cooldown', async function () {
    const first = await harness.customToken(claims, { kid: 'no-such-key-1' });
    const second = await harness.customToken(claims, { kid: 'no-such-key-2' });
    const before = harness.auth.jwksRequestCount();
    const responses = [await harness.client.check({ headers: bearer(first) }), await harness.client.check({ headers: bearer(second) })];
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
      assertAllowed(await harness.client.check({ headers: bearer(await harness.token({ resource: MCP_RESOURCE, scope: 'mcp:tools' })) }));
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

describe('docs/contract.md case 25 (JWKS down, nothing cached)', function () {
  let harness: Harness;
  before(async function () {
    harness = await startHarness({ policies: (issuer) => policyYAML(issuer) });
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
    const response = await harness.client.check({ headers: bearer(token) });
    assert.notEqual(response.status?.code ?? 0, 0);
    assert.equal(httpStatus(response), 503);
    assert.equal(reasonOf(response), 'keys_unavailable');
    assert.equal(headerValue(response.denied_response?.headers, 'retry-after'), '5');
  });
});
