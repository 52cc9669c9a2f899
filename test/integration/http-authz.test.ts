/**
 * The HTTP forward-auth listener end to end: a real oidc-provider issues the
 * tokens, audience-guard runs with `--http-authz-address` on loopback, and
 * requests arrive as each proxy family sends them (README "HTTP front end").
 */
import { strict as assert } from 'node:assert';
import { forwardAuth, forwardedFamily, type ForwardAuthCall } from '../support/forward-auth-client.ts';
import { LOOPBACK_HTTP_AUTHZ, MCP_RESOURCE, policyYAML, startHarness, type Harness } from '../support/service-harness.ts';

const METADATA_PATH = '/.well-known/oauth-protected-resource/mcp';

describe('HTTP forward-auth listener (end to end)', function () {
  let harness: Harness;
  let good: string;
  const ask = (call: ForwardAuthCall) => forwardAuth(harness.service.httpAuthzPort ?? 0, call);
  const bearer = (): [string, string] => ['Authorization', `Bearer ${good}`];

  before(async function () {
    harness = await startHarness({
      policies: (issuer) => policyYAML(issuer, { extra: '  requiredScopes: [mcp:tools]\n' }),
      service: { httpAuthz: LOOPBACK_HTTP_AUTHZ },
    });
    good = await harness.token({ resource: MCP_RESOURCE, scope: 'mcp:tools' });
  });
  after(async function () {
    await harness.close();
  });

  const families: Record<string, (method: string, path: string) => ForwardAuthCall> = {
    forwarded: (method, path) => ({ headers: forwardedFamily(method, 'mcp.example.com', path) }),
    nginx: (method, path) => ({ headers: [['Host', 'mcp.example.com'], ['X-Original-Method', method], ['X-Original-URI', path]] }),
    'ingress-nginx': (method, path) => ({ headers: [['Host', 'audience-guard.auth:9002'], ['X-Original-Method', method], ['X-Original-URL', `https://mcp.example.com${path}`]] }),
    envoy: (method, path) => ({ method, path, headers: [['Host', 'mcp.example.com']] }),
  };

  for (const [family, call] of Object.entries(families)) {
    describe(`the ${family} family`, function () {
      it('allows a good token: 200, no body, the client credentials named for removal', async function () {
        const base = call('POST', '/mcp?session=1');
        const response = await ask({ ...base, headers: [...(base.headers ?? []), bearer()] });
        assert.equal(response.status, 200, response.body);
        assert.equal(response.body, '');
        assert.equal(response.headers['x-envoy-auth-headers-to-remove'], 'authorization, dpop');
        assert.equal(response.headers.authorization, undefined);
      });

      it('denies a request without a token as the gRPC front end does: 401, challenge, JSON body', async function () {
        const response = await ask(call('POST', '/mcp'));
        assert.equal(response.status, 401);
        assert.equal(response.headers['www-authenticate'], `Bearer resource_metadata="https://mcp.example.com${METADATA_PATH}", scope="mcp:tools", DPoP algs="RS256 PS256 ES256 ES384 EdDSA"`);
        assert.equal(response.headers['content-type'], 'application/json');
        assert.equal((JSON.parse(response.body) as { error: string }).error, 'unauthorized');
        assert.equal(response.headers['x-envoy-auth-headers-to-remove'], undefined);
      });

      it('answers the RFC 9728 metadata request itself: 200 with the document', async function () {
        const response = await ask(call('GET', METADATA_PATH));
        assert.equal(response.status, 200);
        assert.equal((JSON.parse(response.body) as { resource: string }).resource, MCP_RESOURCE);
        assert.equal(response.headers['access-control-allow-origin'], '*');
      });
    });
  }
});

describe('HTTP forward-auth listener, not configured', function () {
  it('is off by default: no port bound, none logged', async function () {
    const harness = await startHarness({ policies: (issuer) => policyYAML(issuer) });
    try {
      assert.equal(harness.service.httpAuthzPort, undefined);
      const listening = harness.logs.find((entry) => entry.event === 'listening');
      assert.ok(listening !== undefined);
      assert.equal('http_authz' in listening, false);
    } finally {
      await harness.close();
    }
  });
});

describe('HTTP forward-auth listener: per-tool scopes without a body (startup log)', function () {
  it('logs mcp_rules_without_body for each policy with per-tool scopes whose source is not Body, and only with the listener on', async function () {
    const policies = (issuer: string): string => [
      policyYAML(issuer, { name: 'auto', extra: '  mcp:\n    toolScopes: {delete_alert: [weather:admin]}\n' }),
      policyYAML(issuer, { name: 'body', resource: 'https://body.example.com/mcp', extra: '  mcp:\n    toolScopes: {a: [b]}\n    source: Body\n' }),
    ].join('---\n');
    const warned = (harness: Harness): unknown[] => harness.logs.filter((line) => line.event === 'mcp_rules_without_body').map((line) => [line.policy, line.source]);
    const on = await startHarness({ policies, service: { httpAuthz: LOOPBACK_HTTP_AUTHZ } });
    const off = await startHarness({ policies });
    try {
      assert.deepEqual(warned(on), [['mcp/auto', 'Auto']]);
      assert.deepEqual(warned(off), []);
    } finally {
      await on.close();
      await off.close();
    }
  });
});
