/**
 * The whole MCP authorization flow with real software through the real nginx
 * (Debian package, deploy/nginx/ as shipped): the official MCP SDK client,
 * oidc-provider, nginx `auth_request` to audience-guard's forward-auth
 * listener, and an SDK MCP server that records every credential it receives.
 * Skipped, loudly, only when the nginx binary is missing.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'mocha';
import { freeLoopbackPort } from '../support/free-port.ts';
import { ADMIN_SCOPE, READ_SCOPE, startMcpStack, type McpStack } from '../support/mcp-stack.ts';
import { nginxBinary, startNginx, type RunningNginx } from '../support/nginx-runner.ts';
import { missingBinaryBanner } from '../support/proxy-process.ts';
import { proxiedMcpCases, toolScopeStepUpCases } from '../support/proxied-mcp-cases.ts';
import { rawRequest } from '../support/mcp-assertions.ts';
import { recordToken } from '../support/secret-ledger.ts';

const TOOL_SCOPES = `  mcp:\n    toolScopes:\n      delete_alert: [${ADMIN_SCOPE}]\n`;

async function startBehindNginx(policyExtra = ''): Promise<{ stack: McpStack; nginx: RunningNginx }> {
  const port = await freeLoopbackPort();
  const stack = await startMcpStack({ proxyPort: port, httpAuthzProxy: 'nginx', policyExtra, mirroredHeaders: true });
  try {
    return { stack, nginx: await startNginx({ port, authz: stack.httpAuthz, upstream: `127.0.0.1:${String(stack.mcp.port)}` }) };
  } catch (error) {
    await stack.close();
    throw error;
  }
}

describe('e2e: MCP client → nginx auth_request → MCP server', function () {
  this.timeout(30_000);
  let running: { stack: McpStack; nginx: RunningNginx } | undefined;

  before(async function () {
    if (nginxBinary() === undefined) {
      console.warn(missingBinaryBanner('nginx', 'nginx'));
      this.skip();
    }
    running = await startBehindNginx();
  });

  after(async () => {
    await running?.nginx.stop();
    await running?.stack.close();
  });

  proxiedMcpCases({ proxy: 'nginx', stack: () => running?.stack ?? assert.fail('not started') });
});

describe('e2e: per-tool scopes behind nginx (no body: the mirrored MCP headers or nothing)', function () {
  this.timeout(30_000);
  let running: { stack: McpStack; nginx: RunningNginx } | undefined;

  before(async function () {
    if (nginxBinary() === undefined) {
      console.warn(missingBinaryBanner('nginx', 'nginx'));
      this.skip();
    }
    running = await startBehindNginx(TOOL_SCOPES);
  });

  after(async () => {
    await running?.nginx.stop();
    await running?.stack.close();
  });

  toolScopeStepUpCases({ proxy: 'nginx with the mirrored MCP headers', mirroredHeaders: true, stack: () => running?.stack ?? assert.fail('not started') });

  it('a client without the mirrored headers meets the documented fail-closed answer: nginx turns the 400 into a 500 with a JSON body', async () => {
    const stack = running?.stack ?? assert.fail('not started');
    const before = stack.mcp.received.length;
    const token = recordToken(await stack.auth.issueToken({ resource: stack.resource, scope: `${READ_SCOPE} ${ADMIN_SCOPE}` }));
    const answer = await rawRequest(stack.resource, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'delete_alert', arguments: { id: 'a1' } } }),
    });
    assert.equal(answer.status, 500);
    assert.equal((JSON.parse(answer.body) as { error?: string }).error, 'authorization_failed');
    assert.equal(stack.mcp.received.length, before);
    assert.match(await running?.nginx.errorLog() ?? '', /auth request unexpected status: 400/);
  });
});
