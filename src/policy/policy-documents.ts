/**
 * Reading AudiencePolicy documents from YAML streams (SPEC.md 1.2: the same
 * documents `kubectl apply` takes). Every problem names its origin
 * (`FILE#INDEX`, the document's 0-based index in the stream) and a JSON
 * pointer, so `audience-guard validate` and the server's logs say exactly
 * what to fix.
 */
import { parseAllDocuments } from 'yaml';
import type { AudiencePolicyDocument } from './policy-schema.ts';
import { validatePolicy, type PolicyProblem } from './validate-policy.ts';

export interface PolicyDocumentProblem extends PolicyProblem {
  /** `FILE#INDEX`. */
  readonly origin: string;
}

export interface ParsedPolicyDocument {
  readonly origin: string;
  readonly document: AudiencePolicyDocument;
}

export interface PolicyStreamResult {
  readonly policies: readonly ParsedPolicyDocument[];
  readonly problems: readonly PolicyDocumentProblem[];
}

/** Parses and validates every document of a YAML stream; never throws. */
export function readPolicyStream(source: string, text: string): PolicyStreamResult {
  const policies: ParsedPolicyDocument[] = [];
  const problems: PolicyDocumentProblem[] = [];
  let documents;
  try {
    documents = parseAllDocuments(text, { uniqueKeys: true });
  } catch (error) {
    return { policies, problems: [{ origin: `${source}#0`, path: '/', message: `unreadable YAML: ${String(error)}` }] };
  }
  const list = Array.isArray(documents) ? documents : [documents];
  list.forEach((yamlDocument, index) => {
    const origin = `${source}#${index}`;
    const errors = yamlDocument.errors;
    if (errors.length > 0) {
      for (const error of errors) problems.push({ origin, path: '/', message: `YAML: ${error.message.split('\n')[0] ?? 'syntax error'}` });
      return;
    }
    let value: unknown;
    try {
      value = yamlDocument.toJS({ maxAliasCount: 50 });
    } catch (error) {
      problems.push({ origin, path: '/', message: `YAML: ${(error as Error).message}` });
      return;
    }
    if (value === null || value === undefined) return; // an empty document (e.g. a trailing `---`)
    const validation = validatePolicy(value);
    if (validation.valid) policies.push({ origin, document: validation.policy });
    else for (const problem of validation.problems) problems.push({ origin, ...problem });
  });
  return { policies, problems };
}
