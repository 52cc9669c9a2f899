/**
 * What the benchmark feeds the servers: a real local authorization server
 * (oidc-provider, test/support/authorization-server.ts), real RS256 `at+jwt`
 * tokens, policy files with 1 to 10,000 policies, and the pre-encoded frames.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startAuthorizationServer, type LocalAuthorizationServer } from '../../test/support/authorization-server.ts';
import { checkFrame } from './grpc-frames.ts';

export const MCP_HOST = 'mcp.example.com';
export const MCP_RESOURCE = `https://${MCP_HOST}/mcp`;
export const OTHER_RESOURCE = 'https://other.example.com/mcp';

export function startBenchIssuer(): Promise<LocalAuthorizationServer> {
  return startAuthorizationServer({ resources: [{ resource: MCP_RESOURCE, scopes: ['mcp:tools'] }, { resource: OTHER_RESOURCE, scopes: ['mcp:tools'] }] });
}

function policy(issuer: string, name: string, resource: string): string {
  return `apiVersion: audienceguard.dev/v1alpha1
kind: AudiencePolicy
metadata: {name: ${name}, namespace: bench}
spec:
  resource: ${resource}
  issuers: [{issuer: "${issuer}"}]
  requiredScopes: [mcp:tools]
`;
}

/**
 * `count` policies, each for its own host; the one protecting MCP_RESOURCE
 * (the host every benchmark request goes to) sits in the middle. Each file
 * gets a folder of its own: the file source watches the folder of its path,
 * and bodies or logs written next to it would make it re-read the policies.
 */
export async function writePolicyFile(dir: string, issuer: string, count: number): Promise<string> {
  const documents: string[] = [];
  for (let index = 0; index < count - 1; index++) {
    const id = String(index).padStart(5, '0');
    documents.push(policy(issuer, `svc-${id}`, `https://svc-${id}.example.com/mcp`));
  }
  documents.splice(Math.floor(documents.length / 2), 0, policy(issuer, 'mcp', MCP_RESOURCE));
  const folder = join(dir, `policies-${String(count)}`);
  await mkdir(folder, { recursive: true });
  const file = join(folder, 'policies.yaml');
  await writeFile(file, documents.join('---\n'));
  return file;
}

/** A frame for a request to the MCP server carrying `token`. */
export function tokenFrame(token: string): Buffer {
  return checkFrame({ authority: MCP_HOST, path: '/mcp', authorization: `Bearer ${token}` });
}

/**
 * `count` distinct valid tokens for MCP_RESOURCE: the claims of a real token
 * from the issuer's token endpoint, each with its own `jti` and a one-hour
 * lifetime, signed with the issuer's current key (signing runs on the
 * crypto thread pool, a batch at a time).
 */
export async function tokenPool(auth: LocalAuthorizationServer, template: string, count: number): Promise<string[]> {
  const claims = JSON.parse(Buffer.from(template.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  const now = Math.floor(Date.now() / 1000);
  const tokens: string[] = [];
  const batch = 256;
  for (let first = 0; first < count; first += batch) {
    const size = Math.min(batch, count - first);
    tokens.push(...await Promise.all(Array.from({ length: size }, () => auth.signCustomToken({ ...claims, jti: randomBytes(32).toString('base64url'), iat: now, exp: now + 3600 }))));
  }
  return tokens;
}

/** The issuer's current public key as a JWK (the first key its JWKS lists). */
export async function currentPublicJWK(auth: LocalAuthorizationServer): Promise<object> {
  const jwks = await (await fetch(auth.jwksUri)).json() as { keys: object[] };
  const [key] = jwks.keys;
  if (key === undefined) throw new Error('the issuer publishes no key');
  return key;
}
