/**
 * Reading the policy files and folders named by `--policy-file`: a folder
 * yields its *.yaml/*.yml/*.json files in name order (hidden entries skipped),
 * every document is parsed and validated, and a policy id defined twice is a
 * problem. Used by the file source and by `validate`.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readPolicyStream, type ParsedPolicyDocument, type PolicyDocumentProblem } from '../policy/policy-documents.ts';
import { DEFAULT_NAMESPACE } from '../policy/compile-policy.ts';

/** The files cannot be used: a path is unreadable (no problems), or documents have problems. */
export class PolicyFileError extends Error {
  override readonly name = 'PolicyFileError';
  readonly problems: readonly PolicyDocumentProblem[];
  constructor(message: string, problems: readonly PolicyDocumentProblem[]) {
    super(message);
    this.problems = problems;
  }
}

export interface PolicyFileSet {
  readonly policies: readonly ParsedPolicyDocument[];
  readonly problems: readonly PolicyDocumentProblem[];
  /** The raw contents, to skip reloads that change nothing. */
  readonly fingerprint: string;
}

const POLICY_FILE = /\.(ya?ml|json)$/i;

/** What the file source takes from one `--policy-file` path: the files it reads, and the sub-folders it does not enter. */
export interface PolicyPathEntries {
  readonly files: readonly string[];
  readonly subfolders: readonly string[];
}

/**
 * The folder rule: a file is read as it is; a folder's own `.yaml`, `.yml`
 * and `.json` files are read in sorted order, and neither its sub-folders nor
 * its hidden entries (a mounted ConfigMap keeps its real files in `..data/`).
 */
export async function policyPathEntries(path: string): Promise<PolicyPathEntries> {
  const info = await stat(path);
  if (!info.isDirectory()) return { files: [path], subfolders: [] };
  const visible = (await readdir(path, { withFileTypes: true })).filter((entry) => !entry.name.startsWith('.'));
  return {
    files: visible.filter((entry) => POLICY_FILE.test(entry.name) && (entry.isFile() || entry.isSymbolicLink()))
      .map((entry) => join(path, entry.name)).sort(),
    subfolders: visible.filter((entry) => entry.isDirectory()).map((entry) => join(path, entry.name)).sort(),
  };
}

/** Reads and validates every policy under `paths`; throws only when a path cannot be read. */
export async function readPolicyFiles(paths: readonly string[]): Promise<PolicyFileSet> {
  const policies: ParsedPolicyDocument[] = [];
  const problems: PolicyDocumentProblem[] = [];
  const contents: string[] = [];
  const seen = new Map<string, string>();
  for (const path of paths) {
    let files: string[];
    try {
      files = [...(await policyPathEntries(path)).files];
    } catch (error) {
      throw new PolicyFileError(
        `cannot read policy path ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, [],
      );
    }
    for (const file of files) {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        throw new PolicyFileError(
          `cannot read policy file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, [],
        );
      }
      contents.push(file, text);
      const result = readPolicyStream(file, text);
      problems.push(...result.problems);
      for (const policy of result.policies) {
        const id = policyId(policy);
        const first = seen.get(id);
        if (first !== undefined) {
          problems.push({ origin: policy.origin, path: '/metadata/name', message: `duplicate policy ${id} (first defined at ${first})` });
          continue;
        }
        seen.set(id, policy.origin);
        policies.push(policy);
      }
    }
  }
  return { policies, problems, fingerprint: contents.join('\u0000') };
}

/** `NAMESPACE/NAME`, the namespace defaulted as the compiler defaults it. */
export function policyId(policy: ParsedPolicyDocument): string {
  return `${policy.document.metadata.namespace ?? DEFAULT_NAMESPACE}/${policy.document.metadata.name}`;
}
