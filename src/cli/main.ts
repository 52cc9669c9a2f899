/**
 * Command-line entry point (README "Running for real", docs/contract.md §1.1):
 * `serve`, `validate`, `explain`, `crd`, plus `--help` and `--version`.
 * Exit codes: 0 ok, 1 invalid input, a deny (explain) or a runtime failure,
 * 2 usage or start-up errors — with one line naming the command, flag or file.
 * Each command is loaded only when it runs: `serve` in file mode never loads
 * the Kubernetes client, nor `explain`'s key fetching.
 */
import { wantsHelp } from './args.ts';
import { helpPage, type HelpEntry } from './help-text.ts';
import { packageVersion } from './version.ts';

interface Command {
  readonly summary: string;
  /** The command's `--help` page. */
  help(): Promise<string>;
  run(argv: readonly string[]): Promise<number>;
}

const out = (line: string): void => { process.stdout.write(`${line}\n`); };
const err = (line: string): void => { process.stderr.write(`${line}\n`); };

const COMMANDS: Readonly<Record<string, Command>> = {
  serve: {
    summary: 'run the Envoy ext_authz gRPC server and the admin HTTP server',
    help: async () => (await import('./serve-command.ts')).SERVE_HELP,
    run: async (argv) => (await import('./serve-command.ts')).runServe(argv),
  },
  validate: {
    summary: 'check AudiencePolicy files as serve would; warnings for conflicts and overlaps',
    help: async () => (await import('./validate-command.ts')).VALIDATE_HELP,
    run: async (argv) => (await import('./validate-command.ts')).runValidate(argv, out, err),
  },
  explain: {
    summary: 'show how serve decides one request: the policy, each step, the response',
    help: async () => (await import('./explain/explain-command.ts')).EXPLAIN_HELP,
    run: async (argv) => (await import('./explain/explain-command.ts')).runExplain(argv, out, err),
  },
  crd: {
    summary: 'print the AudiencePolicy CustomResourceDefinition',
    help: async () => (await import('./crd-command.ts')).CRD_HELP,
    run: async (argv) => (await import('./crd-command.ts')).runCrd(argv, (text) => process.stdout.write(text), err),
  },
};

const COMMAND_ENTRIES: readonly HelpEntry[] = Object.entries(COMMANDS).map(([name, command]) => ({
  name: name === 'serve' ? 'serve [flags]' : name,
  text: command.summary,
}));

export const USAGE = helpPage(
  'audience-guard <command> [flags]',
  'audience-guard lets a request reach an MCP server only with an access token issued for it '
    + '(RFC 8707 audience, RFC 9068 JWT access tokens).',
  [
    { title: 'commands', entries: COMMAND_ENTRIES },
    {
      title: 'more',
      entries: [
        { name: '<command> --help', text: 'the flags of one command' },
        { name: '--version', text: 'print the version' },
      ],
    },
  ],
);

function commandOf(name: string): Command | undefined {
  return Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
}

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    process.stderr.write(USAGE);
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const topic = rest[0] === undefined ? undefined : commandOf(rest[0]);
    process.stdout.write(topic === undefined ? USAGE : await topic.help());
    return 0;
  }
  if (name === '--version' || name === '-V') {
    out(packageVersion());
    return 0;
  }
  const command = commandOf(name);
  if (command === undefined) {
    err(`audience-guard: unknown ${name.startsWith('-') ? 'flag' : 'command'} ${JSON.stringify(name)} ` +
      `(commands: ${Object.keys(COMMANDS).join(', ')}; see audience-guard --help)`);
    return 2;
  }
  if (wantsHelp(rest)) {
    process.stdout.write(await command.help());
    return 0;
  }
  if (rest.slice(0, rest.includes('--') ? rest.indexOf('--') : rest.length).includes('--version')) {
    out(packageVersion());
    return 0;
  }
  return command.run(rest);
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}
