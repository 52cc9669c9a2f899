/**
 * The whole MCP authorization flow with real software through the real Caddy
 * (Debian package, deploy/caddy/Caddyfile as shipped): the official MCP SDK
 * client, oidc-provider, Caddy `forward_auth` to audience-guard's forward-auth
 * listener, and an SDK MCP server that records every credential it receives.
 * Skipped, loudly, only when the caddy binary is missing.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'mocha';
import { caddyBinary, startCaddy, type RunningCaddy } from '../support/caddy-runner.ts';
import { freeLoopbackPort } from '../support/free-port.ts';
import { rawRequest } from '../support/mcp-assertions.ts';
import { ADMIN_SCOPE, READ_SCOPE, startMcpStack, type McpStack } from '../support/mcp-stack.ts';
import { missingBinaryBanner } from '../support/proxy-process.ts';
import { proxiedMcpCases, toolScopeStepUpCases } from '../support/proxied-mcp-cases.ts';
import { recordToken } from '../support/secret-ledger.ts';

const TOOL_SCOPES = `  mcp:\n    toolScopes:\n      delete_alert: [${ADMIN_SCOPE}]\n`;

interface Running { stack: McpStack; caddy: RunningCaddy }

async function startBehindCaddy(policyExtra = ''): Promise<Running> {
  const port = await freeLoopbackPort();
  const stack = await startMcpStack({ proxyPort: port, httpAuthzProxy: 'forwarded', policyExtra, mirroredHeaders: true });
  try {
    return { stack, caddy: await startCaddy({ port, authz: stack.httpAuthz, upstream: `127.0.0.1:${String(stack.mcp.port)}` }) };
  } catch (error) {
    await stack.close();
    throw error;
  }
}

function skipWithoutCaddy(context: Mocha.Context): void {
  if (caddyBinary() !== undefined) return;
  console.warn(missingBinaryBanner('caddy', 'caddy'));
  context.skip();
}

describe('e2e: MCP client → Caddy forward_auth → MCP server', function () {
  this.timeout(30_000);
  let running: Running | undefined;

  before(async function () {
    skipWithoutCaddy(this);
    running = await startBehindCaddy();
  });

  after(async () => {
    await running?.caddy.stop();
    await running?.stack.close();
  });

  proxiedMcpCases({ proxy: 'Caddy', stack: () => running?.stack ?? assert.fail('not started') });
});

describe('e2e: per-tool scopes behind Caddy (no body: the mirrored MCP headers or nothing)', function () {
  this.timeout(30_000);
  let running: Running | undefined;

  before(async function () {
    skipWithoutCaddy(this);
    running = await startBehindCaddy(TOOL_SCOPES);
  });

  after(async () => {
    await running?.caddy.stop();
    await running?.stack.close();
  });

  toolScopeStepUpCases({ proxy: 'Caddy with the mirrored MCP headers', mirroredHeaders: true, stack: () => running?.stack ?? assert.fail('not started') });

  it('a client without the mirrored headers meets the documented fail-closed answer, verbatim: 400 unreadable_mcp_request', async () => {
    const stack = running?.stack ?? assert.fail('not started');
    const before = stack.mcp.received.length;
    const token = recordToken(await stack.auth.issueToken({ resource: stack.resource, scope: `${READ_SCOPE} ${ADMIN_SCOPE}` }));
    const answer = await rawRequest(stack.resource, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'delete_alert', arguments: { id: 'a1' } } }),
    });
    assert.equal(answer.status, 400);
    assert.match(answer.header('content-type')[0] ?? '', /application\/json/);
    assert.equal((JSON.parse(answer.body) as { error?: string }).error, 'invalid_request');
    assert.equal(stack.mcp.received.length, before);
  });
});
