/**
 * CEL rules (`x-kubernetes-validations`) that the API server checks on every
 * AudiencePolicy write: the cross-field and URI rules of SPEC.md 1.2 that a
 * structural schema cannot say. validate-policy.ts enforces the same rules in
 * the process; test/unit/policy/crd-cel.test.ts evaluates these with a CEL
 * engine against the same valid and invalid documents.
 */

export interface CELRule {
  readonly rule: string;
  readonly message: string;
}

const LOOPBACK_HTTP = "^http://(localhost|127\\\\.[0-9]+\\\\.[0-9]+\\\\.[0-9]+|\\\\[::1\\\\])(:[0-9]+)?(/.*)?$";
const USERINFO = "^[a-zA-Z][a-zA-Z0-9+.-]*://[^/]*@";

/** Rules for a field holding an identifier URI (resource, issuer). */
function identifierRules(field: string, label: string, allowQuery: boolean): CELRule[] {
  const rules: CELRule[] = [
    { rule: `${field}.startsWith('https://') || ${field}.matches('${LOOPBACK_HTTP}')`, message: `${label} must be an absolute https URI (http only for loopback hosts)` },
    { rule: `!${field}.contains('#')`, message: `${label} must not contain a fragment` },
    { rule: `!${field}.matches('${USERINFO}')`, message: `${label} must not contain userinfo` },
  ];
  if (!allowQuery) rules.push({ rule: `!${field}.contains('?')`, message: `${label} must not contain a query` });
  return rules;
}

export const SPEC_RULES: readonly CELRule[] = [
  ...identifierRules('self.resource', 'resource', false),
  { rule: 'self.issuers.all(i, self.issuers.exists_one(j, j.issuer == i.issuer))', message: 'issuers must be unique' },
  { rule: "!has(self.audiences) || self.audiences.all(a, !(a.matches('^[hH][tT][tT][pP][sS]?://') && a.contains('#')))", message: 'an http(s) audience must not contain a fragment (it could never match)' },
];

export const ISSUER_RULES: readonly CELRule[] = [
  ...identifierRules('self.issuer', 'issuer', false),
  { rule: "!has(self.jwksUri) || self.jwksUri.startsWith('https://') || self.jwksUri.matches('" + LOOPBACK_HTTP + "')", message: 'jwksUri must be an absolute https URI (http only for loopback hosts)' },
];

export const UPSTREAM_RULES: readonly CELRule[] = [
  { rule: 'has(self.tokenExchange) != has(self.clientCredentials)', message: 'upstream must set exactly one of tokenExchange and clientCredentials' },
  { rule: "!has(self.header) || !(self.header in ['host', 'content-length', 'transfer-encoding', 'connection', 'te', 'upgrade'])", message: 'upstream header must not be a connection header' },
];

export const UPSTREAM_GRANT_RULES: readonly CELRule[] = [
  { rule: 'has(self.tokenEndpoint) != has(self.issuer)', message: 'must set exactly one of tokenEndpoint and issuer' },
  { rule: 'has(self.clientSecretRef) != has(self.clientSecretFile)', message: 'must set exactly one of clientSecretRef and clientSecretFile' },
  { rule: "!has(self.tokenEndpoint) || self.tokenEndpoint.startsWith('https://') || self.tokenEndpoint.matches('" + LOOPBACK_HTTP + "')", message: 'tokenEndpoint must be an absolute https URI (http only for loopback hosts)' },
  { rule: "!has(self.issuer) || self.issuer.startsWith('https://') || self.issuer.matches('" + LOOPBACK_HTTP + "')", message: 'issuer must be an absolute https URI (http only for loopback hosts)' },
];
