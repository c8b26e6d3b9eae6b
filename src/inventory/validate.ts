// Core of `stns-fleet validate -i FILE [--json]`: check an inventory offline (no secret resolved, no network).
// Pure apart from reading the file: returns what it found; its view (src/output/views/validate.ts) prints it.
// A file that cannot be read throws FleetError('INVENTORY_UNREADABLE') (in --json mode too).

import { parseInventory, readInventoryText } from './load.js';
import { errorsOf, type Problem } from './problems.js';
import type { Inventory } from './schema.js';

export interface ValidateReport {
  file: string;
  valid: boolean;
  /** Every problem, errors and warnings, in file order. */
  problems: Problem[];
  /** What a valid file describes, for its one-line summary. */
  counts?: { groups: number; ids: number; selectors: number };
}

function countsOf(inv: Inventory): NonNullable<ValidateReport['counts']> {
  const groups = Object.values(inv.groups);
  let ids = 0;
  let selectors = 0;
  for (const g of groups) {
    for (const t of g.targets) {
      if (typeof t === 'string') ids++;
      else selectors++;
    }
  }
  return { groups: groups.length, ids, selectors };
}

export async function validateInventory(file: string): Promise<ValidateReport> {
  const text = await readInventoryText(file);
  const { inventory, problems } = parseInventory(text, file);
  const valid = inventory !== undefined && errorsOf(problems).length === 0;
  return { file, valid, problems, ...(valid ? { counts: countsOf(inventory) } : {}) };
}
