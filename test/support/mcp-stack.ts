/**
 * The pieces of an end-to-end MCP authorization test, minus the proxy: the
 * local authorization server in interactive mode (registration, code + PKCE),
 * a real MCP server, and audience-guard with one policy for the MCP resource
 * as the client sees it — `http://127.0.0.1:PROXY_PORT/mcp`, the proxy's own
 * address, since the SDK checks that the RFC 9728 `resource` is the URL it
 * connects to. The proxy is started by the test on `proxyPort`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../src/obs/logger.ts';
import { startService, type RunningService, type ServiceOptions } from '../../src/server/audience-guard-service.ts';
import { startAuthorizationServer, type LocalAuthorizationServer } from './authorization-server.ts';
import { startMcpServer, type LocalMcpServer } from './mcp-server.ts';
import { capturingDestination, recordToken } from './secret-ledger.ts';
import { OTHER_RESOURCE, TEST_SERVICE_SETTINGS, policyYAML } from './service-harness.ts';

export { OTHER_RESOURCE };

export const READ_SCOPE = 'weather:read';
export const ADMIN_SCOPE = 'weather:admin';

export interface McpStackOptions {
  readonly proxyPort: number;
  /** Lines appended under `spec:` (two-space indented), e.g. `mcp:` rules. */
  readonly policyExtra?: string;
  /** Options for the MCP server (mirrored MCP headers). */
  readonly mirroredHeaders?: boolean;
  /** Also serve the HTTP forward-auth listener, with this proxy family pinned. */
  readonly httpAuthzProxy?: 'nginx' | 'forwarded';
  readonly service?: Partial<ServiceOptions>;
}

export interface McpStack {
  /** `http://127.0.0.1:PROXY_PORT/mcp`: the MCP server's URL through the proxy, and the policy's resource. */
  readonly resource: string;
  readonly auth: LocalAuthorizationServer;
  readonly service: RunningService;
  readonly mcp: LocalMcpServer;
  readonly logs: Record<string, unknown>[];
  /** host:port of the forward-auth listener, when `httpAuthzProxy` was given. */
  readonly httpAuthz: string;
  /** A client-credentials token for another MCP resource of the same authorization server. */
  otherResourceToken(): Promise<string>;
  close(): Promise<void>;
}

export async function startMcpStack(options: McpStackOptions): Promise<McpStack> {
  const resource = `http://127.0.0.1:${String(options.proxyPort)}/mcp`;
  const auth = await startAuthorizationServer({
    interactive: true,
    resources: [{ resource, scopes: [READ_SCOPE, ADMIN_SCOPE] }, { resource: OTHER_RESOURCE, scopes: [READ_SCOPE] }],
  });
  const mcp = await startMcpServer({ mirroredHeaders: options.mirroredHeaders === true });
  const dir = await mkdtemp(join(tmpdir(), 'audience-guard-e2e-'));
  const policyFile = join(dir, 'policies.yaml');
  await writeFile(policyFile, policyYAML(auth.issuer, { resource, extra: `  requiredScopes: [${READ_SCOPE}]\n${options.policyExtra ?? ''}` }));
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger('info', capturingDestination((line) => logs.push(JSON.parse(line) as Record<string, unknown>)));
  const httpAuthz: Partial<ServiceOptions> = options.httpAuthzProxy === undefined ? {} : {
    httpAuthz: { address: '127.0.0.1:0', trustedCidrs: ['127.0.0.1/32'], proxy: options.httpAuthzProxy, clientCertHeader: undefined, pathPrefix: undefined },
  };
  const service = await startService({ ...TEST_SERVICE_SETTINGS, policyFiles: [policyFile], logRate: 1_000_000, ...httpAuthz, ...options.service }, logger);
  return {
    resource,
    auth,
    service,
    mcp,
    logs,
    httpAuthz: `127.0.0.1:${String(service.httpAuthzPort ?? 0)}`,
    otherResourceToken: async () => recordToken(await auth.issueToken({ resource: OTHER_RESOURCE, scope: READ_SCOPE })),
    async close() {
      await service.stop(1_000);
      await mcp.close();
      await auth.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
