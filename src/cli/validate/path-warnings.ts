/**
 * Warnings about the paths themselves, by serve's own folder rule
 * (src/sources/file-policy-source.ts `policyPathEntries`): sub-folders that
 * serve does not read, and a set of paths that holds no policy at all (serve
 * would start and deny every request `no_policy`).
 */
import { policyPathEntries } from '../../sources/policy-files.ts';
import type { PolicyWarning } from './policy-warnings.ts';

export async function subfolderWarnings(paths: readonly string[]): Promise<PolicyWarning[]> {
  const warnings: PolicyWarning[] = [];
  for (const path of paths) {
    for (const folder of (await policyPathEntries(path)).subfolders) {
      warnings.push({
        origin: folder,
        path: '',
        message: `sub-folder not read: serve reads only the .yaml, .yml and .json files directly inside ${path}`,
      });
    }
  }
  return warnings;
}

export function emptySetWarning(paths: readonly string[], policies: number, problems: number): PolicyWarning[] {
  if (policies > 0 || problems > 0) return [];
  return [{
    origin: paths.join(' '),
    path: '',
    message: 'no policies found: serve would start with none and deny every request (no_policy)',
  }];
}
