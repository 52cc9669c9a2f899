/**
 * Help text layout: every line at most HELP_WIDTH columns (a test runs every
 * command's `--help` and checks), flag descriptions wrapped in a column.
 */

export const HELP_WIDTH = 100;

/** Column where flag descriptions start. */
const DESCRIPTION_COLUMN = 30;

/** `text` wrapped at spaces into lines of at most `width` columns, each starting with `indent` spaces. */
export function wrap(text: string, indent: number, width = HELP_WIDTH): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((part) => part !== '')) {
    if (line !== '' && indent + line.length + 1 + word.length > width) {
      lines.push(' '.repeat(indent) + line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(' '.repeat(indent) + line);
  return lines;
}

export interface HelpEntry {
  /** `--flag VALUE`, or a command name. */
  readonly name: string;
  readonly text: string;
}

/** `  --name VALUE        text…`, the text wrapped in its column (on the next line when the name is long). */
export function entryLines(entries: readonly HelpEntry[]): string[] {
  return entries.flatMap(({ name, text }) => {
    const head = `  ${name}`;
    const body = wrap(text, DESCRIPTION_COLUMN);
    if (head.length < DESCRIPTION_COLUMN - 1 && body.length > 0) {
      return [head.padEnd(DESCRIPTION_COLUMN) + (body[0] ?? '').trimStart(), ...body.slice(1)];
    }
    return [head, ...body];
  });
}

/** A help page: usage line, a wrapped description, then sections of entries. */
export function helpPage(
  usage: string,
  description: string,
  sections: readonly { readonly title: string; readonly entries: readonly HelpEntry[] }[],
): string {
  // Continuation lines of the usage are indented, so it reads as one command line.
  const usageLines = wrap(`usage: ${usage}`, 0, HELP_WIDTH - 4).map((line, index) => (index === 0 ? line : `    ${line}`));
  const lines = [...usageLines, '', ...wrap(description, 0)];
  for (const section of sections) lines.push('', `${section.title}:`, ...entryLines(section.entries));
  return `${lines.join('\n')}\n`;
}
