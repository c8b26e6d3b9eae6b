// Core of `stns-fleet validate -i FILE [--json]`: check an inventory offline (no secret resolved, no network).
// Pure apart from reading the file: returns what to print and the exit code; cli/main.ts does the printing.
// A file that cannot be read throws FleetError('INVENTORY_UNREADABLE') (in --json mode too).

import { parseInventory, readInventoryText } from './load.js';
import { errorsOf, formatProblem, warningsOf, type Problem } from './problems.js';
import type { Inventory } from './schema.js';

export interface ValidateOutput {
  exitCode: 0 | 1;
  stdout: string;
  stderr: string;
}

export interface ValidateJson {
  file: string;
  valid: boolean;
  problems: Problem[];
}

function lines(ls: readonly string[]): string {
  return ls.map((l) => `${l}\n`).join('');
}

function summary(inv: Inventory): string {
  const groups = Object.values(inv.groups);
  let ids = 0;
  let selectors = 0;
  for (const g of groups) {
    for (const t of g.targets) {
      if (typeof t === 'string') ids++;
      else selectors++;
    }
  }
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `${plural(groups.length, 'group')}, ${plural(ids, 'host')} by ID, ${plural(selectors, 'tag selector')}`;
}

export async function validateCommand(file: string, opts: { json: boolean }): Promise<ValidateOutput> {
  // An unreadable file throws FleetError('INVENTORY_UNREADABLE'), in --json mode too: the CLI maps it.
  const text = await readInventoryText(file);
  const { inventory, problems } = parseInventory(text, file);
  const valid = inventory !== undefined && errorsOf(problems).length === 0;

  if (opts.json) {
    const out: ValidateJson = { file, valid, problems };
    return { exitCode: valid ? 0 : 1, stdout: `${JSON.stringify(out, null, 2)}\n`, stderr: '' };
  }
  if (!valid) {
    return { exitCode: 1, stdout: '', stderr: lines(problems.map(formatProblem)) };
  }
  return {
    exitCode: 0,
    stdout: `${file}: valid (${summary(inventory)})\n`,
    stderr: lines(warningsOf(problems).map(formatProblem)),
  };
}
