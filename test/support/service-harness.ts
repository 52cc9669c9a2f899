/**
 * Starts the real pieces side by side on loopback ports for integration tests:
 * a local oidc-provider authorization server, audience-guard itself (gRPC +
 * admin) with policies in a temporary file, and a Check client that speaks
 * Envoy's own protos. Every token obtained through the harness is recorded in
 * the secret ledger, and every service log line is captured for the leak scan.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HttpAuthzOptions } from '../../src/http-authz/http-authz-flags.ts';
import { DEFAULT_TRUSTED_CIDRS } from '../../src/http-authz/trusted-peers.ts';
import { createLogger } from '../../src/obs/logger.ts';
import { startService, type RunningService, type ServiceOptions } from '../../src/server/audience-guard-service.ts';
import { startAuthorizationServer, type AuthorizationServerOptions, type LocalAuthorizationServer } from './authorization-server.ts';
import { EnvoyCheckClient } from './envoy-check-client.ts';
import { capturingDestination, recordToken } from './secret-ledger.ts';

export interface HarnessOptions {
  readonly resources?: { resource: string; scopes: string[] }[];
  /** Extra clients of the authorization server (e.g. the service's own, for upstream tokens). */
  readonly clients?: { clientId: string; clientSecret: string }[];
  /** Opaque tokens and introspection at the authorization server (test/support/introspection-server.ts). */
  readonly introspection?: AuthorizationServerOptions['introspection'];
  /** Policy YAML, given the live issuer URL. */
  readonly policies: (issuer: string) => string;
  readonly service?: Partial<ServiceOptions>;
  /** Sender-constrained tokens from the authorization server (test/support/sender-constrained-tokens.ts). */
  readonly dpop?: boolean;
  readonly mtls?: boolean;
}

export interface Harness {
  readonly auth: LocalAuthorizationServer;
  readonly service: RunningService;
  readonly client: EnvoyCheckClient;
  readonly policyFile: string;
  /** Parsed service log lines. */
  readonly logs: Record<string, unknown>[];
  token(request: Parameters<LocalAuthorizationServer['issueToken']>[0]): Promise<string>;
  customToken(payload: Record<string, unknown>, header?: Record<string, unknown>): Promise<string>;
  writePolicies(yaml: string): Promise<void>;
  close(): Promise<void>;
}

/** Listeners on ephemeral loopback ports and the limits the integration tests run with. */
export const TEST_SERVICE_SETTINGS = {
  grpcAddress: '127.0.0.1:0',
  adminAddress: '127.0.0.1:0',
  checkTimeoutMs: 2_000,
  maxTokenBytes: 16_384,
  maxRequestBytes: 1_048_576,
  maxConnectionAgeMs: 60_000,
} as const;

/** The forward-auth listener on an ephemeral loopback port, every family read (`auto`), loopback peers trusted. */
export const LOOPBACK_HTTP_AUTHZ: HttpAuthzOptions = {
  address: '127.0.0.1:0', trustedCidrs: DEFAULT_TRUSTED_CIDRS, proxy: 'auto', clientCertHeader: undefined, pathPrefix: undefined,
};

/** The status Lease of the one replica the Kubernetes tests run. */
export const TEST_LEASE = { namespace: 'audience-guard', name: 'audience-guard-status', identity: 'replica-a' } as const;

export const MCP_RESOURCE = 'https://mcp.example.com/mcp';
export const OTHER_RESOURCE = 'https://other.example.com/mcp';

export const DEFAULT_RESOURCES = [
  { resource: MCP_RESOURCE, scopes: ['mcp:tools', 'mcp:admin'] },
  { resource: OTHER_RESOURCE, scopes: ['mcp:tools'] },
];

export function policyYAML(issuer: string, overrides: { name?: string; resource?: string; extra?: string; issuerExtra?: string } = {}): string {
  return `apiVersion: audienceguard.dev/v1alpha1
kind: AudiencePolicy
metadata: {name: ${overrides.name ?? 'mcp'}, namespace: mcp}
spec:
  resource: ${overrides.resource ?? MCP_RESOURCE}
  issuers:
    - issuer: ${issuer}${overrides.issuerExtra ?? ''}
${overrides.extra ?? ''}`;
}

export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const auth = await startAuthorizationServer({
    resources: options.resources ?? DEFAULT_RESOURCES,
    ...(options.clients === undefined ? {} : { clients: options.clients }),
    ...(options.introspection === undefined ? {} : { introspection: options.introspection }),
    ...(options.dpop === undefined ? {} : { dpop: options.dpop }),
    ...(options.mtls === undefined ? {} : { mtls: options.mtls }),
  });
  const dir = await mkdtemp(join(tmpdir(), 'audience-guard-test-'));
  const policyFile = join(dir, 'policies.yaml');
  await writeFile(policyFile, options.policies(auth.issuer));
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger('info', capturingDestination((line) => logs.push(JSON.parse(line) as Record<string, unknown>)));
  let service: RunningService;
  try {
    service = await startService({
      policyFiles: [policyFile],
      grpcAddress: '127.0.0.1:0',
      adminAddress: '127.0.0.1:0',
      checkTimeoutMs: 2_000,
      maxTokenBytes: 16_384,
      maxRequestBytes: 1_048_576,
      maxConnectionAgeMs: 60_000,
      // Tests that read the service's log (the token-leak scans above all) see a line for every
      // deny; the log rate limit has its own tests.
      logRate: 1_000_000,
      ...options.service,
    }, logger);
  } catch (error) {
    await auth.close();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const client = new EnvoyCheckClient(service.grpcPort);
  return {
    auth,
    service,
    client,
    policyFile,
    logs,
    token: async (request) => recordToken(await auth.issueToken(request)),
    customToken: async (payload, header) => recordToken(await auth.signCustomToken(payload, header)),
    writePolicies: (yaml) => writeFile(policyFile, yaml),
    async close() {
      client.close();
      await service.stop(1_000);
      await auth.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Waits until `condition` holds, polling on the event loop (no fixed sleeps). */
export async function eventually(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
