/**
 * `audience-guard validate [--strict] [--http-authz] [--namespace-hosts RULE]... PATH...`:
 * the server's own validator over policy files, then what serve would warn
 * about (src/cli/validate/). Problems print as `FILE#INDEX /pointer: message`,
 * warnings as `FILE#INDEX /pointer: warning: message`. Exit 0 when every
 * document is valid (warnings or not), 1 for any problem — or any warning
 * with --strict —, 2 for usage errors or unreadable paths.
 */
import { parseNamespaceHosts } from '../policy/namespace-hosts.ts';
import { readPolicyFiles, PolicyFileError } from '../sources/policy-files.ts';
import { parseCommandArgs } from './args.ts';
import { helpPage } from './help-text.ts';
import { mcpFrontEndWarnings } from './validate/mcp-warnings.ts';
import { emptySetWarning, subfolderWarnings } from './validate/path-warnings.ts';
import { policyWarnings, type PolicyWarning } from './validate/policy-warnings.ts';

export const VALIDATE_HELP = helpPage(
  'audience-guard validate [--strict] [--http-authz] [--namespace-hosts NS=PATTERN[,PATTERN]]... PATH...',
  'Checks AudiencePolicy files and folders with the validator serve uses, and reports what serve '
    + 'would warn about: policies that claim the same host and path prefix (conflicts), policies '
    + 'that accept the same audience (overlaps), sub-folders serve does not read, and a set with no '
    + 'policy at all. Exit 0 when every document is valid, 1 when any is not, 2 for a usage error '
    + 'or an unreadable path.',
  [{
    title: 'flags',
    entries: [
      { name: '--strict', text: 'Treat warnings as errors: exit 1 when there is any.' },
      {
        name: '--http-authz',
        text: 'The policies will be served on the HTTP front end too (serve --http-authz-address): also warn about '
          + 'per-tool scopes that proxies without a request body can only serve to clients sending the MCP mirrored headers.',
      },
      {
        name: '--namespace-hosts RULE',
        text: 'NAMESPACE=PATTERN[,PATTERN], as given to serve (repeatable): also judge host ownership as Kubernetes mode does.',
      },
    ],
  }],
);

interface ValidateValues {
  readonly strict?: boolean;
  readonly 'http-authz'?: boolean;
  readonly 'namespace-hosts'?: string[];
}

function line(entry: PolicyWarning, label: string): string {
  return `${entry.origin}${entry.path === '' ? '' : ` ${entry.path}`}: ${label}: ${entry.message}`;
}

export async function runValidate(argv: readonly string[], out: (line: string) => void, err: (line: string) => void): Promise<number> {
  const parsed = parseCommandArgs<ValidateValues>(
    'validate',
    argv,
    { strict: { type: 'boolean' }, 'http-authz': { type: 'boolean' }, 'namespace-hosts': { type: 'string', multiple: true } },
    true,
  );
  if (!parsed.ok) {
    err(`audience-guard: ${parsed.error}`);
    return 2;
  }
  const paths = parsed.positionals;
  if (paths.length === 0) {
    err('audience-guard: validate: no PATH given (usage: audience-guard validate [flags] PATH...)');
    return 2;
  }
  const rules = parseNamespaceHosts(parsed.values['namespace-hosts'] ?? []);
  if (!rules.ok) {
    err(`audience-guard: validate: ${rules.error}`);
    return 2;
  }
  let set;
  let warnings: PolicyWarning[];
  try {
    set = await readPolicyFiles(paths);
    warnings = [
      ...await subfolderWarnings(paths),
      ...emptySetWarning(paths, set.policies.length, set.problems.length),
      ...policyWarnings(set.policies, rules.rules),
      ...(parsed.values['http-authz'] === true ? mcpFrontEndWarnings(set.policies) : []),
    ];
  } catch (error) {
    err(`audience-guard: ${error instanceof PolicyFileError ? error.message : String(error)}`);
    return 2;
  }
  const strict = parsed.values.strict === true;
  for (const problem of set.problems) err(`${problem.origin} ${problem.path}: ${problem.message}`);
  for (const warning of warnings) err(line(warning, strict ? 'error' : 'warning'));
  const valid = `${String(set.policies.length)} valid policies`;
  if (set.problems.length > 0) {
    err(`${String(set.problems.length)} problem(s); ${valid}`);
    return 1;
  }
  const summary = warnings.length === 0 ? valid : `${valid}, ${String(warnings.length)} warning(s)`;
  if (strict && warnings.length > 0) {
    err(`${summary}, treated as errors (--strict)`);
    return 1;
  }
  out(summary);
  return 0;
}
