/**
 * The validator shared by the server, `audience-guard validate` and the
 * Kubernetes source: the JSON Schema of src/policy/policy-schema.ts (the same
 * structural rules the CRD carries) plus the semantic rules of SPEC.md 1.2.
 */
import { Ajv, type ErrorObject } from 'ajv';
import { AudiencePolicySchema, type AudiencePolicyDocument, type UpstreamSpec } from './policy-schema.ts';
import { identifierURIProblem } from './uri-rules.ts';

export interface PolicyProblem {
  /** JSON pointer inside the document, e.g. `/spec/issuers/0/issuer`. */
  readonly path: string;
  readonly message: string;
  /**
   * The `Accepted=False` condition reason (CamelCase) when the problem is not a
   * plain validation failure, e.g. `SecretFileNotAllowed` or `HostNotAllowed`.
   * Absent: `Invalid`.
   */
  readonly reason?: string;
}

export type PolicyValidation =
  | { readonly valid: true; readonly policy: AudiencePolicyDocument }
  | { readonly valid: false; readonly problems: readonly PolicyProblem[] };

const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
const validateSchema = ajv.compile<AudiencePolicyDocument>(AudiencePolicySchema);

/** The literal values of a union of `const` branches (TypeBox `Union([Literal…])`), if it is one. */
function unionLiterals(error: ErrorObject): string[] | undefined {
  const branches = error.schema;
  if (!Array.isArray(branches)) return undefined;
  const values = branches.map((branch: unknown) => (branch as { const?: unknown }).const);
  return values.every((value) => typeof value === 'string') ? (values) : undefined;
}

function schemaProblem(error: ErrorObject): PolicyProblem {
  const path = error.instancePath === '' ? '/' : error.instancePath;
  switch (error.keyword) {
    case 'anyOf': {
      const literals = unionLiterals(error);
      return { path, message: literals === undefined ? (error.message ?? 'invalid') : `must be one of: ${literals.join(', ')}` };
    }
    case 'additionalProperties':
      return { path, message: `unknown field "${(error.params as { additionalProperty: string }).additionalProperty}"` };
    case 'enum':
    case 'const':
      return { path, message: `${error.message ?? 'invalid'}: ${JSON.stringify(error.params)}` };
    default:
      return { path, message: error.message ?? 'invalid' };
  }
}

/**
 * A union reports one error per branch and then `anyOf`; keep only the `anyOf`
 * summary for it, and every other distinct problem.
 */
function schemaProblems(errors: readonly ErrorObject[]): PolicyProblem[] {
  const unionPaths = new Set(errors.filter((error) => error.keyword === 'anyOf').map((error) => error.instancePath));
  const seen = new Set<string>();
  const problems: PolicyProblem[] = [];
  for (const error of errors) {
    if (error.keyword !== 'anyOf' && unionPaths.has(error.instancePath)) continue;
    const problem = schemaProblem(error);
    const key = `${problem.path}\u0000${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(problem);
  }
  return problems;
}

function semanticProblems(policy: AudiencePolicyDocument): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const { spec } = policy;
  const check = (path: string, problem: string | undefined): void => {
    if (problem !== undefined) problems.push({ path, message: problem });
  };
  check('/spec/resource', identifierURIProblem(spec.resource));
  const issuers = new Set<string>();
  spec.issuers.forEach((issuer, index) => {
    check(`/spec/issuers/${index}/issuer`, identifierURIProblem(issuer.issuer));
    if (issuer.jwksUri !== undefined) check(`/spec/issuers/${index}/jwksUri`, identifierURIProblem(issuer.jwksUri, { allowQuery: true }));
    if (issuers.has(issuer.issuer)) problems.push({ path: `/spec/issuers/${index}/issuer`, message: 'duplicate issuer' });
    issuers.add(issuer.issuer);
  });
  (spec.audiences ?? []).forEach((audience, index) => {
    if (/^https?:\/\//i.test(audience) && audience.includes('#')) {
      problems.push({ path: `/spec/audiences/${index}`, message: 'must not contain a fragment (it could never match)' });
    }
  });
  if (spec.upstream !== undefined) problems.push(...upstreamProblems(spec.upstream));
  const documentation = spec.resourceMetadata?.resourceDocumentation;
  if (documentation !== undefined) check('/spec/resourceMetadata/resourceDocumentation', identifierURIProblem(documentation, { allowQuery: true }));
  return problems;
}

const RESERVED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'te', 'upgrade']);

function upstreamProblems(upstream: UpstreamSpec): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const grants = [['tokenExchange', upstream.tokenExchange], ['clientCredentials', upstream.clientCredentials]] as const;
  const given = grants.filter(([, grant]) => grant !== undefined);
  if (given.length !== 1) problems.push({ path: '/spec/upstream', message: 'must set exactly one of tokenExchange and clientCredentials' });
  for (const [name, grant] of given) {
    if (grant === undefined) continue;
    const base = `/spec/upstream/${name}`;
    if ((grant.tokenEndpoint === undefined) === (grant.issuer === undefined)) problems.push({ path: base, message: 'must set exactly one of tokenEndpoint and issuer' });
    if ((grant.clientSecretRef === undefined) === (grant.clientSecretFile === undefined)) problems.push({ path: base, message: 'must set exactly one of clientSecretRef and clientSecretFile' });
    for (const field of ['tokenEndpoint', 'issuer', 'resource'] as const) {
      const value = grant[field];
      const problem = value === undefined ? undefined : identifierURIProblem(value, { allowQuery: field === 'tokenEndpoint' });
      if (problem !== undefined) problems.push({ path: `${base}/${field}`, message: problem });
    }
  }
  if (upstream.header !== undefined && RESERVED_HEADERS.has(upstream.header)) {
    problems.push({ path: '/spec/upstream/header', message: `must not be the connection header "${upstream.header}"` });
  }
  return problems;
}

/** Validates one parsed document; never throws. */
export function validatePolicy(document: unknown): PolicyValidation {
  if (!validateSchema(document)) {
    return { valid: false, problems: schemaProblems(validateSchema.errors ?? []) };
  }
  const problems = semanticProblems(document);
  return problems.length === 0 ? { valid: true, policy: document } : { valid: false, problems };
}
