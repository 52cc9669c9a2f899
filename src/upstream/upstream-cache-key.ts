/**
 * The key under which an upstream token is cached: the policy object's
 * identity (its Kubernetes `uid`, or the file load it appeared in — not its
 * name, and not `metadata.generation`, which is 0 for every file and 1 again
 * after a delete and re-create), a digest of its compiled `upstream` settings,
 * and for token exchange the client token's SHA-256 (src/core/token-hash.ts;
 * never the token). Any change to the upstream block, or a re-created policy,
 * gets a fresh token.
 */
import { createHash } from 'node:crypto';
import type { RuntimePolicy, RuntimeUpstream } from '../core/runtime-policy.ts';
import { tokenDigest } from '../core/token-hash.ts';

/** Digests by compiled (frozen) upstream object: computed once per policy change. */
const digests = new WeakMap<RuntimeUpstream, string>();

function upstreamSettingsDigest(upstream: RuntimeUpstream): string {
  let digest = digests.get(upstream);
  if (digest === undefined) {
    // Every field, in a fixed order; `undefined` kept apart from "" by JSON's null.
    const settings = [
      upstream.grant, upstream.tokenEndpoint, upstream.issuer, upstream.audience, upstream.resource,
      upstream.scopes, upstream.clientId, upstream.clientSecret, upstream.header,
    ];
    const serialised = JSON.stringify(settings, (_key, value: unknown) => (value === undefined ? null : value));
    digest = createHash('sha256').update(serialised).digest('base64url');
    digests.set(upstream, digest);
  }
  return digest;
}

/** `clientToken` only for token exchange; client-credentials tokens belong to the policy alone. */
export function upstreamCacheKey(policy: RuntimePolicy, upstream: RuntimeUpstream, clientToken: string | undefined): string {
  const subject = clientToken === undefined ? 'service' : tokenDigest(clientToken).toString('base64url');
  return JSON.stringify([policy.id, policy.identity, upstreamSettingsDigest(upstream), subject]);
}
