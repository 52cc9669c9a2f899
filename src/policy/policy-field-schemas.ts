/**
 * The size limits of an AudiencePolicy and the field schemas its parts share
 * (a bounded URI, an RFC 6749 scope list), used by src/policy/policy-schema.ts.
 */
import { Type } from '@sinclair/typebox';

export const LIMITS = { issuers: 8, hosts: 32, pathPrefixes: 32, audiences: 64, scopes: 64, scopeLength: 256, uriLength: 2048 } as const;

export const uri = (description: string) => Type.String({ minLength: 1, maxLength: LIMITS.uriLength, description });
// RFC 6749 §3.3 scope-token: %x21 / %x23-5B / %x5D-7E
const scopeToken = Type.String({
  minLength: 1, maxLength: LIMITS.scopeLength, pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$',
  description: 'An OAuth scope token (RFC 6749 §3.3).',
});
export const scopeList = (description: string) => Type.Array(scopeToken, { maxItems: LIMITS.scopes, description });
