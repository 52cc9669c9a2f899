/**
 * The service with a policy whose issuer introspects opaque tokens, against the
 * local authorization server with opaque resources (test/support/introspection-server.ts).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServiceOptions } from '../../src/server/audience-guard-service.ts';
import type { EnvoyCheckResponse } from './envoy-check-client.ts';
import type { IntrospectionControls } from './introspection-server.ts';
import { recordToken } from './secret-ledger.ts';
import { MCP_RESOURCE, OTHER_RESOURCE, policyYAML, startHarness, type Harness } from './service-harness.ts';

/** This service's own client at the authorization server, for introspection. */
export const GUARD_CLIENT = { clientId: 'audience-guard', clientSecret: recordToken('audience-guard-introspection-secret') };
/** A resource whose tokens stay JWTs at the same issuer. */
export const JWT_RESOURCE = 'https://jwt.example.com/mcp';

export interface IntrospectionHarness extends Harness {
  readonly introspection: IntrospectionControls;
  /** An opaque client-credentials token for `resource` (recorded for the leak scan). */
  opaqueToken(resource?: string): Promise<string>;
  close(): Promise<void>;
}

export function reasonOf(response: EnvoyCheckResponse): string | undefined {
  return response.dynamic_metadata?.fields?.reason?.stringValue;
}

export async function startIntrospectionHarness(
  options: { readonly introspection?: string; readonly service?: Partial<ServiceOptions> } = {},
): Promise<IntrospectionHarness> {
  const dir = await mkdtemp(join(tmpdir(), 'audience-guard-introspection-'));
  const secretFile = join(dir, 'client-secret');
  await writeFile(secretFile, GUARD_CLIENT.clientSecret);
  const introspection = `\n      introspection:\n        clientId: ${GUARD_CLIENT.clientId}\n        clientSecretFile: ${secretFile}\n${options.introspection ?? ''}`;
  const harness = await startHarness({
    resources: [
      { resource: MCP_RESOURCE, scopes: ['mcp:tools', 'mcp:admin'] },
      { resource: OTHER_RESOURCE, scopes: ['mcp:tools'] },
      { resource: JWT_RESOURCE, scopes: ['mcp:tools'] },
    ],
    clients: [GUARD_CLIENT],
    introspection: { opaqueResources: [MCP_RESOURCE, OTHER_RESOURCE] },
    policies: (issuer) => [
      policyYAML(issuer, { issuerExtra: introspection, extra: '  requiredScopes: [mcp:tools]\n' }),
      policyYAML(issuer, { name: 'jwt', resource: JWT_RESOURCE, issuerExtra: introspection }),
      policyYAML(issuer, { name: 'plain', resource: 'https://plain.example.com/mcp' }),
    ].join('---\n'),
    ...(options.service === undefined ? {} : { service: options.service }),
  });
  const controls = harness.auth.introspection;
  if (controls === undefined) throw new Error('the authorization server was started without introspection');
  return {
    ...harness,
    introspection: controls,
    opaqueToken: (resource = MCP_RESOURCE) => harness.token({ resource }),
    async close() {
      await harness.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
