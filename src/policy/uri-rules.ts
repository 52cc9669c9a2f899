/**
 * URI rules for the URLs a policy names (RFC 8707 §2, RFC 9728 §1.2, RFC 8414
 * §2): absolute, https (http only for a loopback host, for local development),
 * no fragment, no userinfo, no query for identifiers, and nothing outside the
 * RFC 3986 grammar.
 *
 * Each rule is a regular expression, so the same text serves the process
 * (ECMAScript RegExp) and the API server (RE2, through CEL `matches()`); the
 * expressions stay in the syntax both read alike: no `.`, `\s`, `\d`, `\w`,
 * `\b`, look-around or back-references. The grammar is narrower than what a
 * WHATWG URL parser takes (no host it would read as a number, no port over
 * 65535, no invalid IPv6 literal, no stray `%`, ASCII only), so every URI that
 * meets all the rules also parses with `new URL()`, to the same host.
 */

/** One rule: `value` must (or must not) match `pattern`. */
export interface PatternRule {
  readonly pattern: string;
  readonly matches: boolean;
  readonly message: string;
}

/** `identifier`: no query (resource, issuer). `locator`: a query is allowed (jwksUri, token endpoint, documentation). */
export type URIKind = 'identifier' | 'locator';

const HEX = '[0-9A-Fa-f]';
const H16 = `${HEX}{1,4}`;
const SCHEME_PREFIX = '^[a-zA-Z][a-zA-Z0-9+.-]*://';
const LOOPBACK_HOST = String.raw`(localhost|127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}|\[::1\])`;

// A DNS name whose last label starts with a letter: a numeric last label would be read as IPv4.
const LABEL = '[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const DNS_NAME = String.raw`(${LABEL}\.)*[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?`;
// Dotted-quad IPv4 without leading zeros (a leading zero would be read as octal).
const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const IPV4 = String.raw`${OCTET}(\.${OCTET}){3}`;
// RFC 3986 IPv6address without the embedded-IPv4 forms, and no zone.
const IPV6 = [
  `(${H16}:){7}${H16}`,
  `(${H16}:){1,7}:`,
  `(${H16}:){1,6}:${H16}`,
  `(${H16}:){1,5}(:${H16}){1,2}`,
  `(${H16}:){1,4}(:${H16}){1,3}`,
  `(${H16}:){1,3}(:${H16}){1,4}`,
  `(${H16}:){1,2}(:${H16}){1,5}`,
  `${H16}:(:${H16}){1,6}`,
  `:((:${H16}){1,7}|:)`,
].join('|');
const HOST = String.raw`(${DNS_NAME}|${IPV4}|\[(${IPV6})\])`;
const PORT = '(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?';
const PCT = `%${HEX}{2}`;
const USERINFO = `(([A-Za-z0-9._~!$&'()*+,;=:-]|${PCT})*@)?`;
const PATH = `(/([A-Za-z0-9._~!$&'()*+,;=:@/-]|${PCT})*)?`;
const QUERY_OR_FRAGMENT = `([A-Za-z0-9._~!$&'()*+,;=:@/?-]|${PCT})*`;
// Userinfo, query and fragment are in the grammar so that each has one message of its own (the rules below).
const GRAMMAR = String.raw`${SCHEME_PREFIX}${USERINFO}${HOST}${PORT}${PATH}(\?${QUERY_OR_FRAGMENT})?(#${QUERY_OR_FRAGMENT})?$`;

function rulesFor(kind: URIKind): readonly PatternRule[] {
  return Object.freeze([
    { pattern: SCHEME_PREFIX, matches: true, message: 'must be an absolute URI' },
    { pattern: `^(https://|http://${LOOPBACK_HOST}([:/?#]|$))`, matches: true, message: 'must use https (http only for loopback hosts)' },
    { pattern: '#', matches: false, message: 'must not contain a fragment' },
    ...(kind === 'identifier' ? [{ pattern: String.raw`\?`, matches: false, message: 'must not contain a query' }] : []),
    { pattern: `${SCHEME_PREFIX}[^/?#]*@`, matches: false, message: 'must not contain userinfo' },
    { pattern: String.raw`[\x00-\x20\x7F]`, matches: false, message: 'must not contain white space or control characters' },
    {
      pattern: GRAMMAR, matches: true,
      message: 'must be a URI (RFC 3986) whose host is a DNS name, an IPv4 address or a bracketed IPv6 address, ' +
        'with a port of at most 65535',
    },
  ]);
}

const RULES: Readonly<Record<URIKind, readonly PatternRule[]>> = { identifier: rulesFor('identifier'), locator: rulesFor('locator') };

/** The rules for one URI field, in the order their messages are reported. */
export function uriRules(kind: URIKind): readonly PatternRule[] {
  return RULES[kind];
}

const compiled = new Map<string, RegExp>();

/** Whether `value` meets `rule`, read as an ECMAScript RegExp. */
export function patternRuleHolds(rule: Pick<PatternRule, 'pattern' | 'matches'>, value: string): boolean {
  let regExp = compiled.get(rule.pattern);
  if (regExp === undefined) {
    regExp = new RegExp(rule.pattern, 'u');
    compiled.set(rule.pattern, regExp);
  }
  return regExp.test(value) === rule.matches;
}

/** Every problem with `value` as a URI of `kind` (empty when it is fine). */
export function uriProblems(value: string, kind: URIKind): string[] {
  return uriRules(kind).filter((rule) => !patternRuleHolds(rule, value)).map((rule) => rule.message);
}

/** The first problem with `value` as an identifier URI, or `undefined` when it is fine. */
export function identifierURIProblem(value: string, options: { allowQuery?: boolean } = {}): string | undefined {
  return uriProblems(value, options.allowQuery === true ? 'locator' : 'identifier')[0];
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Whether a WHATWG URL `hostname` is a loopback host (for connections, after parsing). */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}
