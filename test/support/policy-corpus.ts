/**
 * Policies for chart tests, as `policies[]` values entries: the shipped examples and invalid
 * fixtures read from their folders, and a spec with every URI field set, one of which takes a
 * generated URI spelling.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export type Spec = Record<string, unknown>;
export interface ValuesPolicy { readonly name: string; readonly namespace?: string; readonly spec: Spec }

/** Every document of every YAML file of `dir`, with its file and that file's text. */
export function policiesIn(dir: string): (ValuesPolicy & { readonly file: string; readonly text: string })[] {
  return readdirSync(dir).filter((file) => file.endsWith('.yaml')).sort().flatMap((file) => {
    const text = readFileSync(join(dir, file), 'utf8');
    return parseAllDocuments(text).map((document) => {
      const { metadata, spec } = document.toJS() as { metadata: { name: string; namespace?: string }; spec: Spec };
      return { file, text, name: metadata.name, ...(metadata.namespace === undefined ? {} : { namespace: metadata.namespace }), spec };
    });
  });
}

/** A spec with every URI field set, and one place to put a generated URI spelling into. */
export function withURI(place: (typeof URI_PLACES)[number], value: string): Spec {
  const grant: Spec = { tokenEndpoint: 'https://idp.example.com/token', resource: 'https://api.example.com', clientId: 'audience-guard', clientSecretFile: '/var/run/secret' };
  const issuer: Spec = { issuer: 'https://idp.example.com/realms/mcp', jwksUri: 'https://idp.example.com/realms/mcp/certs' };
  const spec: Spec = { resource: 'https://weather.example.com/mcp', issuers: [issuer], resourceMetadata: { resourceDocumentation: 'https://docs.example.com/weather' }, upstream: { clientCredentials: grant } };
  if (place === 'resource') spec.resource = value;
  else if (place === 'issuer' || place === 'jwksUri') issuer[place] = value;
  else if (place === 'resourceDocumentation') spec.resourceMetadata = { resourceDocumentation: value };
  else if (place === 'upstreamIssuer') { delete grant.tokenEndpoint; grant.issuer = value; } else if (place === 'upstreamResource') grant.resource = value;
  else grant.tokenEndpoint = value;
  return spec;
}

export const URI_PLACES = ['resource', 'issuer', 'jwksUri', 'resourceDocumentation', 'tokenEndpoint', 'upstreamIssuer', 'upstreamResource'] as const;
