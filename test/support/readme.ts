/** Reading README.md's reference tables, for the tests that hold them to the code. */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const README_LINES = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8').split('\n');

/** The body rows of the Markdown table under `header`, as trimmed cells. */
export function tableRows(header: string): string[][] {
  const start = README_LINES.findIndex((line) => line.trim() === header);
  assert.notEqual(start, -1, `README.md must contain a table with the header line: ${header}`);
  assert.match(README_LINES[start + 1] ?? '', /^\|(\s*:?-+:?\s*\|)+\s*$/, `the line after "${header}" must be the table's separator`);
  const rows: string[][] = [];
  for (const line of README_LINES.slice(start + 2)) {
    const trimmed = line.trim();
    if (!trimmed.startsWith('|')) break;
    rows.push(trimmed.replace(/^\|/, '').replace(/\|$/, '').split('|').map((cell) => cell.trim()));
  }
  return rows;
}

/** `` `name` `` → `name`; anything else is returned unchanged. */
export function unquoted(cell: string | undefined): string | undefined {
  const match = /^`([^`]+)`$/.exec(cell ?? '');
  return match?.[1] ?? cell;
}
