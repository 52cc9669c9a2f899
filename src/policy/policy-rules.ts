/**
 * The one rule source for what an AudiencePolicy must meet beyond its schema
 * (src/policy/policy-schema.ts). From this table come both the CEL
 * `x-kubernetes-validations` of the CRD (src/policy/crd-validation-rules.ts)
 * and the process's own checks (src/policy/policy-rule-checks.ts), so the API
 * server refuses exactly what the service would refuse: a rule added here is
 * enforced on both sides, or on neither. The chart's values schema folds the
 * same rules into JSON Schema (src/policy/policy-json-schema.ts).
 *
 * Only rules about the object itself belong here. Rules that depend on
 * operator flags (secret directories, insecure endpoints, host ownership) or
 * on name resolution are tenant rules (src/policy/tenant-rules.ts).
 *
 * Every check kind has a CEL form whose estimated cost is bounded by the
 * schema's maxLength/maxItems/maxProperties (test/unit/policy/crd-cost.test.ts).
 */
import { MCP_LIMITS } from './mcp-schema.ts';
import { LIMITS } from './policy-field-schemas.ts';
import { uriRules, type URIKind } from './uri-rules.ts';

export type RuleCheck =
  /** A string must (or must not) match an expression (RE2 and ECMAScript alike). */
  | { readonly kind: 'pattern'; readonly pattern: string; readonly matches: boolean }
  /** An object sets exactly one of two fields. */
  | { readonly kind: 'exactlyOneOf'; readonly fields: readonly [string, string] }
  /** No two items of a list of objects have the same `key` field. */
  | { readonly kind: 'uniqueBy'; readonly key: string }
  /** Every key of a map is `min` to `max` characters long (a map key can carry no schema). */
  | { readonly kind: 'keyLength'; readonly min: number; readonly max: number }
  /** At most one item of a list of objects sets `field`. */
  | { readonly kind: 'atMostOneWith'; readonly field: string };

export interface PolicyRule {
  /** Where under `spec` the rule applies: field names, `*` for every item of a list; empty for `spec` itself. */
  readonly at: readonly string[];
  readonly check: RuleCheck;
  readonly message: string;
}

const GRANTS = ['tokenExchange', 'clientCredentials'] as const;
/**
 * The one list of headers an upstream credential may not be set in (docs/contract.md §1.3):
 * they route or frame the request (RFC 9110 §7.2, §7.6.1, §7.8, §8.6, §10.1.4; RFC 9112 §6.1),
 * so overwriting one would break it. The schema's name pattern already excludes pseudo-headers.
 */
const CONNECTION_HEADERS = ['host', 'content-length', 'transfer-encoding', 'connection', 'te', 'upgrade'] as const;

function uriField(at: readonly string[], kind: URIKind): PolicyRule[] {
  return uriRules(kind).map(({ pattern, matches, message }) => ({ at, check: { kind: 'pattern', pattern, matches }, message }));
}

export const POLICY_RULES: readonly PolicyRule[] = Object.freeze([
  ...uriField(['resource'], 'identifier'),
  ...uriField(['issuers', '*', 'issuer'], 'identifier'),
  ...uriField(['issuers', '*', 'jwksUri'], 'locator'),
  { at: ['issuers'], check: { kind: 'uniqueBy', key: 'issuer' }, message: 'duplicate issuer' },
  {
    at: ['issuers'], check: { kind: 'atMostOneWith', field: 'introspection' },
    message: 'at most one issuer may set introspection (an opaque token is never sent to more than one issuer)',
  },
  {
    at: ['issuers', '*', 'introspection'],
    check: { kind: 'exactlyOneOf', fields: ['clientSecretRef', 'clientSecretFile'] },
    message: 'must set exactly one of clientSecretRef and clientSecretFile',
  },
  ...uriField(['issuers', '*', 'introspection', 'endpoint'], 'locator'),
  {
    at: ['audiences', '*'],
    check: { kind: 'pattern', pattern: '^[hH][tT][tT][pP][sS]?://[^#]*#', matches: false },
    message: 'an http(s) audience must not contain a fragment (it could never match)',
  },
  {
    at: ['scopeImplications'],
    check: { kind: 'keyLength', min: 1, max: LIMITS.scopeLength },
    message: `every key (an implying scope) must be 1 to ${String(LIMITS.scopeLength)} characters`,
  },
  ...uriField(['resourceMetadata', 'resourceDocumentation'], 'locator'),
  {
    at: ['upstream'],
    check: { kind: 'exactlyOneOf', fields: ['tokenExchange', 'clientCredentials'] },
    message: 'must set exactly one of tokenExchange and clientCredentials',
  },
  {
    at: ['upstream', 'header'],
    check: { kind: 'pattern', pattern: `^(${CONNECTION_HEADERS.join('|')})$`, matches: false },
    message: `must not be a connection header (${CONNECTION_HEADERS.join(', ')})`,
  },
  ...GRANTS.flatMap((grant): PolicyRule[] => [
    {
      at: ['upstream', grant],
      check: { kind: 'exactlyOneOf', fields: ['tokenEndpoint', 'issuer'] },
      message: 'must set exactly one of tokenEndpoint and issuer',
    },
    {
      at: ['upstream', grant],
      check: { kind: 'exactlyOneOf', fields: ['clientSecretRef', 'clientSecretFile'] },
      message: 'must set exactly one of clientSecretRef and clientSecretFile',
    },
    ...uriField(['upstream', grant, 'tokenEndpoint'], 'locator'),
    ...uriField(['upstream', grant, 'issuer'], 'identifier'),
    ...uriField(['upstream', grant, 'resource'], 'identifier'),
  ]),
  ...(['methodScopes', 'toolScopes'] as const).map((map): PolicyRule => ({
    at: ['mcp', map],
    check: { kind: 'keyLength', min: 1, max: MCP_LIMITS.nameLength },
    message: `every key (a ${map === 'methodScopes' ? 'method' : 'tool'} name) must be 1 to ${String(MCP_LIMITS.nameLength)} characters`,
  })),
]);
