/**
 * Command-line parsing shared by the commands: node:util's strict parseArgs,
 * with its errors turned into one line that names the command and the flag
 * (its own text runs over two sentences and suggests `--` separators).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export type ArgsResult<Values> =
  | { readonly ok: true; readonly values: Values; readonly positionals: readonly string[] }
  | { readonly ok: false; readonly error: string };

type Options = NonNullable<ParseArgsConfig['options']>;

/** `--help` or `-h` anywhere before a `--` separator. */
export function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
}

/** The flag a parseArgs error is about, from its message (`'--name'` or `'-x'`). */
function flagIn(message: string): string | undefined {
  return /'(--?[^'\s]+)/.exec(message)?.[1];
}

/** One line for a parseArgs error: `unknown flag --x`, `--x needs a value`, …; `see` names the help to read. */
export function argumentError(error: unknown, command: string): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  const flag = flagIn(message);
  const see = `(see audience-guard ${command} --help)`;
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `${command}: unknown flag ${flag ?? '(unnamed)'} ${see}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return message.includes('argument missing') || message.includes('<value>')
        ? `${command}: ${flag ?? 'a flag'} needs a value ${see}`
        : `${command}: ${flag ?? 'a flag'} takes no value ${see}`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `${command}: unexpected argument "${/'([^']*)'/.exec(message)?.[1] ?? ''}" ${see}`;
    default:
      return `${command}: ${message.split('\n')[0] ?? 'invalid arguments'} ${see}`;
  }
}

/** Parses `argv` strictly: unknown flags, missing values and (unless allowed) positionals are one-line errors. */
export function parseCommandArgs<Values>(
  command: string,
  argv: readonly string[],
  options: Options,
  allowPositionals: boolean,
): ArgsResult<Values> {
  try {
    const parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals });
    return { ok: true, values: parsed.values as Values, positionals: parsed.positionals };
  } catch (error) {
    return { ok: false, error: argumentError(error, command) };
  }
}
