/**
 * The field of a policy document that a warning is about, as a JSON pointer:
 * the list entry that holds a host, path prefix or audience, or `/spec/resource`
 * when the value is the default taken from it.
 */
import { canonicalAudience } from '../../core/audience.ts';
import { normalisePrefix } from '../../policy/compile-policy.ts';
import type { AudiencePolicyDocument } from '../../policy/policy-schema.ts';

function entry(list: readonly string[] | undefined, field: string, matches: (value: string) => boolean): string {
  if (list === undefined) return '/spec/resource';
  const index = list.findIndex(matches);
  return index === -1 ? `/spec/${field}` : `/spec/${field}/${String(index)}`;
}

/** Where the policy claims `host` (a lower-case host or `*.` pattern). */
export function hostPointer(document: AudiencePolicyDocument, host: string): string {
  return entry(document.spec.hosts, 'hosts', (value) => value.toLowerCase() === host);
}

/** Where the policy claims `prefix` (as compiled: without trailing slashes). */
export function pathPrefixPointer(document: AudiencePolicyDocument, prefix: string): string {
  return entry(document.spec.pathPrefixes, 'pathPrefixes', (value) => normalisePrefix(value) === prefix);
}

/** Where the policy accepts `audience` (in canonical form): `resource` first, then `audiences`. */
export function audiencePointer(document: AudiencePolicyDocument, audience: string): string {
  const { resource, audiences } = document.spec;
  if (canonicalAudience(resource) === audience) return '/spec/resource';
  const index = (audiences ?? []).findIndex((value) => canonicalAudience(value) === audience);
  return index === -1 ? '/spec/audiences' : `/spec/audiences/${String(index)}`;
}
