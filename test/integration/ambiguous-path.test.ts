/**
 * Path spellings end to end over gRPC with Envoy's protos: with a strict
 * `/admin` policy and a lax `/` policy on one host, a path that a server could
 * read as `/admin` while its raw spelling selects `/` is denied 400
 * ambiguous_path before any token work — instead of being allowed by the lax
 * policy with a token the strict one would refuse.
 */
import { strict as assert } from 'node:assert';
import { headerValue, httpStatus, type EnvoyCheckResponse } from '../support/envoy-check-client.ts';
import { MCP_RESOURCE, startHarness, type Harness } from '../support/service-harness.ts';

const ADMIN_RESOURCE = 'https://mcp.example.com/admin';

function policies(issuer: string): string {
  const policy = (name: string, resource: string, prefix: string): string => `apiVersion: audienceguard.dev/v1alpha1
kind: AudiencePolicy
metadata: {name: ${name}, namespace: mcp}
spec:
  resource: ${resource}
  hosts: [mcp.example.com]
  pathPrefixes: [${prefix}]
  issuers: [{issuer: ${issuer}}]
`;
  return [policy('admin', ADMIN_RESOURCE, '/admin'), policy('lax', MCP_RESOURCE, '/')].join('---\n');
}

const SPELLINGS = [
  '/admin;x', '/ADMIN', '/admin%2Fx', '//admin', '/admin.', '/admin%252Fx', '/public/%2e%2e/admin', '/public/..%2Fadmin',
  '\\admin', '/Admin;v=1/..%2F%61dmin./tools',
];

describe('ambiguous request paths over gRPC', function () {
  let harness: Harness;
  let laxToken: string;

  before(async function () {
    harness = await startHarness({
      resources: [{ resource: MCP_RESOURCE, scopes: ['mcp:tools'] }, { resource: ADMIN_RESOURCE, scopes: ['mcp:admin'] }],
      policies,
    });
    laxToken = await harness.token({ resource: MCP_RESOURCE });
  });
  after(async function () {
    await harness.close();
  });

  const check = (path: string, options: { token?: string; contextExtensions?: Record<string, string> } = {}): Promise<EnvoyCheckResponse> => harness.client.check({
    path: `${path}?q=1`,
    headers: options.token === undefined ? {} : { authorization: `Bearer ${options.token}` },
    ...(options.contextExtensions === undefined ? {} : { contextExtensions: options.contextExtensions }),
  });

  const assertAmbiguous = (response: EnvoyCheckResponse): void => {
    assert.equal(httpStatus(response), 400);
    assert.equal(response.status?.message, 'ambiguous_path');
    assert.match(headerValue(response.denied_response?.headers, 'www-authenticate') ?? '', /error="invalid_request"/);
    assert.equal((JSON.parse(response.denied_response?.body ?? '{}') as { error?: string }).error, 'invalid_request');
  };

  it('lets the lax policy allow its own paths and the strict one refuse the lax token (the setting under attack)', async function () {
    assert.equal((await check('/public', { token: laxToken })).status?.code ?? 0, 0);
    assert.equal(httpStatus(await check('/admin', { token: laxToken })), 401);
  });

  for (const path of SPELLINGS) {
    it(`attack: ${path} with the lax policy's token must be denied 400 ambiguous_path, not allowed`, async function () {
      assertAmbiguous(await check(path, { token: laxToken }));
    });
  }

  it('attack: an ambiguous path is denied before any token work (no token: 400, not 401)', async function () {
    assertAmbiguous(await check('/admin;x'));
  });

  it('decides a path normally when every reading selects the same policy', async function () {
    assert.equal((await check('/public/a%20b/./c', { token: laxToken })).status?.code ?? 0, 0);
    const strict = await check('/admin/x%2Fy', { token: laxToken });
    assert.equal(httpStatus(strict), 401);
    assert.equal(strict.status?.message, 'audience_mismatch');
  });

  it('does not re-read the path when Envoy names the policy in context_extensions', async function () {
    const response = await check('/admin;x', { token: laxToken, contextExtensions: { 'audienceguard.dev/policy': 'mcp/lax' } });
    assert.equal(response.status?.code ?? 0, 0);
  });

  it('counts the denials under reason ambiguous_path', async function () {
    const metric = await harness.service.metrics.registry.getSingleMetricAsString('audience_guard_rejections_total');
    assert.match(metric, /reason="ambiguous_path"/);
  });
});
