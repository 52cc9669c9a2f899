/**
 * Scope rules (docs/contract.md §2.6; RFC 9068 §2.2.3, RFC 8693 §4.2 `scope`,
 * MCP 2026-07-28 scope hierarchies).
 *
 * Granted scopes come from `scope` (space-delimited string) and `scp` (string or
 * array of strings). Comparison is exact and case-sensitive. Implications are
 * expanded before comparing; the implication map is already closed
 * transitively when the policy is compiled.
 */

/** The scope claim with the wrong type (`missing_claim`), or undefined when both are absent or well-typed. */
export function malformedScopeClaim(payload: Readonly<Record<string, unknown>>): 'scope' | 'scp' | undefined {
  const { scope, scp } = payload;
  if (scope !== undefined && typeof scope !== 'string') return 'scope';
  if (
    scp !== undefined &&
    typeof scp !== 'string' &&
    !(Array.isArray(scp) && scp.every((value) => typeof value === 'string'))
  ) return 'scp';
  return undefined;
}

/** The granted scopes, or `undefined` when `scope`/`scp` has the wrong type. */
export function grantedScopes(payload: Readonly<Record<string, unknown>>): Set<string> | undefined {
  if (malformedScopeClaim(payload) !== undefined) return undefined;
  const granted = new Set<string>();
  const { scope, scp } = payload as { scope?: string; scp?: string | string[] };
  if (scope !== undefined) for (const value of scope.split(' ')) if (value !== '') granted.add(value);
  if (typeof scp === 'string') {
    for (const value of scp.split(' ')) if (value !== '') granted.add(value);
  } else if (scp !== undefined) {
    for (const value of scp) granted.add(value);
  }
  return granted;
}

/** Granted scopes a deny log lists at most, and the longest scope it writes out whole. */
const LISTED_SCOPES = 64;
const LISTED_SCOPE_LENGTH = 256;

/**
 * The granted scopes of a verified token as an `insufficient_scope` deny
 * reports them (log field `granted_scopes`): sorted, and bounded in number
 * and length so that a token cannot make a log line grow without limit.
 */
export function grantedScopeList(granted: ReadonlySet<string>): string[] {
  return [...granted]
    .sort()
    .slice(0, LISTED_SCOPES)
    .map((scope) => (scope.length > LISTED_SCOPE_LENGTH ? `${scope.slice(0, LISTED_SCOPE_LENGTH)}…` : scope));
}

/** Required scopes not covered by the granted ones after implications; empty when satisfied. */
export function missingScopes(
  required: readonly string[],
  granted: ReadonlySet<string>,
  implications: ReadonlyMap<string, readonly string[]>,
): string[] {
  if (required.length === 0) return [];
  const effective = new Set(granted);
  for (const scope of granted) {
    for (const implied of implications.get(scope) ?? []) effective.add(implied);
  }
  return required.filter((scope) => !effective.has(scope));
}

/** Never advertised to a client (MCP authorization; docs/contract.md §2.5, §2.9). */
const OFFLINE_ACCESS = 'offline_access';

/**
 * The scopes a client may be told about, in a challenge's `scope` or the
 * metadata's `scopes_supported`: all but `offline_access`, in their order.
 */
export function advertisedScopes(scopes: readonly string[]): string[] {
  return scopes.filter((scope) => scope !== OFFLINE_ACCESS);
}
