/**
 * `npm run demo -- --proxy caddy` (or `nginx`): the real proxy (Debian package,
 * the shipped deploy/caddy or deploy/nginx configuration) in front of a real
 * MCP server, with audience-guard's forward-auth listener deciding. A real MCP
 * client (the official SDK) is first refused with a token issued for another
 * MCP server, then does the whole MCP authorization flow against the local
 * oidc-provider and is let in. Every HTTP exchange of the client is printed
 * (method, path and status; never a token), and what the MCP server received.
 */
import { startCaddy, caddyBinary } from '../../test/support/caddy-runner.ts';
import { freeLoopbackPort } from '../../test/support/free-port.ts';
import { TestOAuthProvider, connectAuthorized } from '../../test/support/mcp-client.ts';
import { startMcpStack } from '../../test/support/mcp-stack.ts';
import { nginxBinary, startNginx } from '../../test/support/nginx-runner.ts';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';

export type DemoProxy = 'caddy' | 'nginx';

/** `--proxy NAME` from the command line, undefined without it; anything else is an error. */
export function demoProxy(args: readonly string[]): DemoProxy | undefined {
  const at = args.indexOf('--proxy');
  if (at < 0) return undefined;
  const name = args[at + 1];
  if (name === 'caddy' || name === 'nginx') return name;
  throw new Error(`--proxy takes caddy or nginx, not ${name ?? 'nothing'}`);
}

/** Prints each exchange of the SDK client: method, path (no query) and status. */
function printingFetch(): FetchLike {
  return async (url, init) => {
    const response = await fetch(url, init);
    const target = new URL(url);
    const challenge = response.headers.get('www-authenticate');
    console.log(`  client → ${init?.method ?? 'GET'} ${target.host}${target.pathname}  ← ${String(response.status)}${challenge === null ? '' : `  WWW-Authenticate: ${challenge}`}`);
    return response;
  };
}

export async function runProxyDemo(proxy: DemoProxy): Promise<void> {
  if ((proxy === 'caddy' ? caddyBinary() : nginxBinary()) === undefined) {
    throw new Error(`${proxy} is not installed: apt-get install -y ${proxy}`);
  }
  const port = await freeLoopbackPort();
  const stack = await startMcpStack({ proxyPort: port, httpAuthzProxy: proxy === 'caddy' ? 'forwarded' : 'nginx' });
  const upstream = `127.0.0.1:${String(stack.mcp.port)}`;
  const running = proxy === 'caddy'
    ? await startCaddy({ port, authz: stack.httpAuthz, upstream })
    : await startNginx({ port, authz: stack.httpAuthz, upstream });
  try {
    console.log(`${proxy} (the real binary, deploy/${proxy} as shipped) on ${running.origin}, in front of an MCP server (official SDK)`);
    console.log(`audience-guard forward-auth listener on ${stack.httpAuthz}; authorization server ${stack.auth.issuer} (oidc-provider)`);
    console.log(`MCP server URL = policy resource: ${stack.resource}\n`);

    console.log('1. A token issued for another MCP server (https://other.example.com/mcp):');
    const foreign = await stack.otherResourceToken();
    const refused = await fetch(stack.resource, {
      method: 'POST',
      headers: { authorization: `Bearer ${foreign}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    console.log(`  → REFUSED ${String(refused.status)}  WWW-Authenticate: ${refused.headers.get('www-authenticate') ?? '(none)'}\n`);

    console.log('2. A real MCP client (official SDK) with no token: discovery, registration, authorization code + PKCE with resource:');
    const provider = new TestOAuthProvider();
    const { client } = await connectAuthorized(new URL(stack.resource), provider, printingFetch());
    const authorization = provider.authorizationUrls[0];
    console.log(`  authorization request: resource=${authorization?.searchParams.get('resource') ?? ''} scope=${authorization?.searchParams.get('scope') ?? ''} code_challenge_method=${authorization?.searchParams.get('code_challenge_method') ?? ''}`);
    const tools = await client.listTools();
    console.log(`  → LET IN  tools/list: ${tools.tools.map((tool) => tool.name).join(', ')}`);
    const result = await client.callTool({ name: 'get_forecast', arguments: { city: 'Oslo' } });
    console.log(`  tools/call get_forecast: ${JSON.stringify(result.content)}`);
    await client.close();

    const withCredentials = stack.mcp.received.filter((request) => request.authorization !== undefined || request.dpop !== undefined).length;
    console.log(`\n3. The MCP server received ${String(stack.mcp.received.length)} requests, ${String(withCredentials)} of them with an Authorization or DPoP header: ${proxy} removed the client's token.`);
  } finally {
    await running.stop();
    await stack.close();
  }
}
