/**
 * The operator's host-ownership rule (`--namespace-hosts NS=PATTERN[,PATTERN]`):
 * which namespace may claim which hosts. Tenants cannot change it; it comes
 * from the command line or the chart. Parsing is pure and refuses patterns
 * that two namespaces could both claim, since a host belongs to one namespace.
 */

export interface NamespaceHostRule {
  readonly namespace: string;
  /** Lower-case host patterns: `api.example.com` or `*.example.com`. */
  readonly patterns: readonly string[];
}

export type NamespaceHostsResult =
  | { readonly ok: true; readonly rules: readonly NamespaceHostRule[] }
  | { readonly ok: false; readonly error: string };

const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const HOST_PATTERN = /^(\*\.)?([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;

/** True when some host matches both patterns. */
export function hostPatternsOverlap(a: string, b: string): boolean {
  if (a === b) return true;
  const wildA = a.startsWith('*.');
  const wildB = b.startsWith('*.');
  if (!wildA && !wildB) return false;
  if (wildA && wildB) return a.slice(1).endsWith(b.slice(1)) || b.slice(1).endsWith(a.slice(1));
  const [wildcard, exact] = wildA ? [a, b] : [b, a];
  return exact.endsWith(wildcard.slice(1));
}

/** True when the host (lower case, no port) or host pattern is covered by the rule's pattern. */
export function hostPatternCovers(pattern: string, host: string): boolean {
  if (pattern === host) return true;
  if (!pattern.startsWith('*.')) return false;
  const suffix = pattern.slice(1);
  // `*.example.com` covers `a.example.com` and the narrower `*.a.example.com`, not `*.example.com`'s parent.
  return host.endsWith(suffix) && host.length > suffix.length;
}

/** Parses `NS=PATTERN[,PATTERN]` entries; a namespace may appear in several entries. */
export function parseNamespaceHosts(entries: readonly string[]): NamespaceHostsResult {
  const byNamespace = new Map<string, string[]>();
  for (const entry of entries) {
    const equals = entry.indexOf('=');
    const namespace = equals < 0 ? '' : entry.slice(0, equals).trim();
    if (!NAMESPACE.test(namespace)) return { ok: false, error: `--namespace-hosts: expected NAMESPACE=PATTERN[,PATTERN], got "${entry}"` };
    const patterns = entry.slice(equals + 1).split(',').map((pattern) => pattern.trim().toLowerCase()).filter((pattern) => pattern !== '');
    if (patterns.length === 0) return { ok: false, error: `--namespace-hosts: no host pattern for namespace "${namespace}"` };
    for (const pattern of patterns) {
      if (!HOST_PATTERN.test(pattern)) {
        return { ok: false, error: `--namespace-hosts: "${pattern}" is not a host name or *.wildcard pattern` };
      }
    }
    byNamespace.set(namespace, [...(byNamespace.get(namespace) ?? []), ...patterns]);
  }
  const rules = [...byNamespace].map(([namespace, patterns]) => ({ namespace, patterns: [...new Set(patterns)] }));
  for (const [index, rule] of rules.entries()) {
    for (const other of rules.slice(index + 1)) {
      for (const pattern of rule.patterns) {
        const clash = other.patterns.find((candidate) => hostPatternsOverlap(pattern, candidate));
        if (clash !== undefined) {
          const error = `--namespace-hosts: "${pattern}" (${rule.namespace}) and "${clash}" (${other.namespace}) overlap; ` +
            'a host belongs to one namespace';
          return { ok: false, error };
        }
      }
    }
  }
  return { ok: true, rules };
}
