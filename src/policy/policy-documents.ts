/**
 * Reading AudiencePolicy documents from YAML streams (docs/contract.md §1.2:
 * the same documents `kubectl apply` takes). Every problem names its origin
 * (`FILE#INDEX`, the document's 0-based index in the stream) and a JSON
 * pointer, so `audience-guard validate` and the server's logs say exactly what
 * to fix.
 */
import { Composer, LineCounter, Parser, type YAMLError } from 'yaml';
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

/** `MESSAGE at line L, column C` (the first line of yaml's message; positions 1-based). */
function yamlProblem(error: YAMLError, lines: LineCounter): string {
  const message = error.message.split('\n')[0] ?? 'syntax error';
  const { line, col } = lines.linePos(error.pos[0]);
  return `YAML: ${message} at line ${String(line)}, column ${String(col)}`;
}

/**
 * Parses and validates every document of a YAML stream; never throws.
 *
 * Documents are composed and turned into plain values one at a time (yaml's
 * Parser and Composer, which parseAllDocuments runs to completion first), so
 * a file of 10,000 policies never holds 10,000 YAML syntax trees at once:
 * that peak stayed in the process's memory after start-up (bench/README.md).
 */
export function readPolicyStream(source: string, text: string): PolicyStreamResult {
  const policies: ParsedPolicyDocument[] = [];
  const problems: PolicyDocumentProblem[] = [];
  const lines = new LineCounter();
  const documents = new Composer({ uniqueKeys: true }).compose(new Parser(lines.addNewLine).parse(text));
  let index = 0;
  let origin = `${source}#0`;
  try {
    for (const yamlDocument of documents) {
      origin = `${source}#${String(index)}`;
      index += 1;
      if (yamlDocument.errors.length > 0) {
        for (const error of yamlDocument.errors) problems.push({ origin, path: '/', message: yamlProblem(error, lines) });
        continue;
      }
      let value: unknown;
      try {
        value = yamlDocument.toJS({ maxAliasCount: 50 });
      } catch (error) {
        problems.push({ origin, path: '/', message: `YAML: ${(error as Error).message}` });
        continue;
      }
      if (value === null || value === undefined) continue; // an empty document (e.g. a trailing `---`)
      const validation = validatePolicy(value);
      if (validation.valid) policies.push({ origin, document: validation.policy });
      else for (const problem of validation.problems) problems.push({ origin, ...problem });
    }
  } catch (error) {
    problems.push({ origin, path: '/', message: `unreadable YAML: ${String(error)}` });
  }
  return { policies, problems };
}
