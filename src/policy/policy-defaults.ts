/**
 * POLICY_DEFAULTS: what compilation (src/policy/compile-policy.ts) puts in
 * place of an absent field, read from the schemas' `default:` keywords.
 */
import type { Static, TSchema } from '@sinclair/typebox';
import { DEFAULT_ALGORITHMS } from '../core/algorithms.ts';
import { IntrospectionSchema } from './introspection-schema.ts';
import { IssuerSchema } from './issuer-schema.ts';
import { McpSchema } from './mcp-schema.ts';
import { PolicySpecSchema } from './policy-schema.ts';
import { ProofOfPossessionSchema } from './pop-schema.ts';
import { UpstreamSchema } from './upstream-schema.ts';

/** The `default:` of an optional field's schema, typed as the field. */
function defaultOf<T extends TSchema>(schema: T): Static<T> {
  const value = schema.default as Static<T> | undefined;
  if (value === undefined) throw new Error('the schema gives this field no default');
  return value;
}

/**
 * What compilation puts in place of an absent field. Each value is the
 * schema's `default:` (the CRD carries the same), except `algorithms`: the
 * algorithm table's list (src/core/algorithms.ts), kept out of the CRD so that
 * the API server does not copy it into each object, where a later change of
 * the list would never reach.
 */
export const POLICY_DEFAULTS = Object.freeze({
  mode: defaultOf(PolicySpecSchema.properties.mode),
  clockSkewSeconds: defaultOf(PolicySpecSchema.properties.clockSkewSeconds),
  profile: defaultOf(IssuerSchema.properties.profile),
  algorithms: DEFAULT_ALGORITHMS,
  upstreamHeader: defaultOf(UpstreamSchema.properties.header),
  mcpSource: defaultOf(McpSchema.properties.source),
  introspectionCacheSeconds: defaultOf(IntrospectionSchema.properties.cacheSeconds),
  dpop: defaultOf(ProofOfPossessionSchema.properties.dpop),
  mtls: defaultOf(ProofOfPossessionSchema.properties.mtls),
  proofMaxAgeSeconds: defaultOf(ProofOfPossessionSchema.properties.proofMaxAgeSeconds),
});
