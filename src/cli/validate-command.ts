/**
 * `audience-guard validate FILE...`: the server's own validator over policy
 * files. Prints every problem as `FILE#INDEX FIELD: MESSAGE`; exit 0 when all
 * are valid, 1 when any is not, 2 for usage errors or unreadable files.
 */
import { readPolicyFiles, PolicyFileError } from '../sources/policy-files.ts';

export async function runValidate(files: readonly string[], out: (line: string) => void, err: (line: string) => void): Promise<number> {
  if (files.length === 0) {
    err('usage: audience-guard validate FILE...');
    return 2;
  }
  let set;
  try {
    set = await readPolicyFiles(files);
  } catch (error) {
    err(`audience-guard: ${error instanceof PolicyFileError ? error.message : String(error)}`);
    return 2;
  }
  for (const problem of set.problems) err(`${problem.origin} ${problem.path}: ${problem.message}`);
  if (set.problems.length > 0) {
    err(`${set.problems.length} problem(s); ${set.policies.length} valid policies`);
    return 1;
  }
  out(`${set.policies.length} valid policies`);
  return 0;
}
