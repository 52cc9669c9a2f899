/**
 * Tenant rule: a Kubernetes policy may name `clientSecretFile` (upstream
 * grants, issuer introspection) only below
 * `DIR/<its namespace>/` of an operator's `--secret-file-dir DIR`
 * (src/policy/secret-file-scope.ts decides where a path really leads).
 * Otherwise the policy is refused with reason `SecretFileNotAllowed` before
 * anything reads the file, and the message names only the policy's own path,
 * never where it resolves to.
 */
import type { AudiencePolicyDocument } from './policy-schema.ts';
import { confinedPath, namespaceSecretFolders } from './secret-file-scope.ts';
import type { TenantRule, TenantRuleOptions } from './tenant-rules.ts';
import type { PolicyProblem } from './validate-policy.ts';

const SECRET_FILE_NOT_ALLOWED = 'SecretFileNotAllowed';

export const secretFileRule: TenantRule = (
  policy: AudiencePolicyDocument, namespace: string, options: TenantRuleOptions,
): PolicyProblem[] => {
  const { upstream, issuers } = policy.spec;
  const named: { readonly pointer: string; readonly path: string | undefined }[] = [
    { pointer: '/spec/upstream/tokenExchange/clientSecretFile', path: upstream?.tokenExchange?.clientSecretFile },
    { pointer: '/spec/upstream/clientCredentials/clientSecretFile', path: upstream?.clientCredentials?.clientSecretFile },
    ...issuers.map((issuer, index) => ({
      pointer: `/spec/issuers/${String(index)}/introspection/clientSecretFile`, path: issuer.introspection?.clientSecretFile,
    })),
  ];
  const problems: PolicyProblem[] = [];
  for (const { pointer, path } of named) {
    if (path === undefined) continue;
    const folders = namespaceSecretFolders(namespace, options.secretFileDirs);
    if (confinedPath(path, folders) !== undefined) continue;
    problems.push({ path: pointer, message: notAllowed(path, namespace, options.secretFileDirs), reason: SECRET_FILE_NOT_ALLOWED });
  }
  return problems;
};

function notAllowed(path: string, namespace: string, dirs: readonly string[]): string {
  if (dirs.length === 0) {
    return `${path} is not allowed: policies from the Kubernetes API may name a client secret file only where the operator allows it ` +
      '(--secret-file-dir), and none is allowed; use clientSecretRef';
  }
  const places = dirs.map((dir) => `${dir.replace(/\/+$/, '')}/${namespace}/`).join(' or ');
  return `${path} is not allowed: a policy in namespace ${namespace} may name a client secret file only below ${places} ` +
    '(symlinks and .. followed)';
}
