// Reads an inventory file and reports every problem in it at the line:col of the YAML node it is about.
//
// Pipeline: YAML syntax (stop there if broken) → duplicate keys (duplicate-keys.ts) → the zod schema, whose
// refinements include the rules that span fields (schema.ts, rules.ts), its issues worded and located by
// issues.ts. Duplicate keys and the schema both run, so one pass over a file shows the user everything that is
// wrong with it.

import { readFile } from 'node:fs/promises';
import { isScalar, LineCounter, parseDocument, type Node } from 'yaml';
import { UserError } from '../errors.js';
import { duplicateKeys } from './duplicate-keys.js';
import { PARSE_PARAMS, schemaFindings } from './issues.js';
import { YamlPositions } from './positions.js';
import { errorsOf, formatPath, formatProblem, sortProblems, warningsOf, type Path, type Problem, type Severity } from './problems.js';
import { plaintextTokenWarnings } from './rules.js';
import { InventorySchema, type Inventory } from './schema.js';

interface ParseResult {
  /** Present when the file has no error-severity problem (warnings allowed). */
  inventory?: Inventory;
  problems: Problem[];
}

/** Pure: parse and validate inventory text. `file` is only used in problem locations. */
export function parseInventory(text: string, file: string): ParseResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: true });
  const pos = new YamlPositions(doc, lineCounter);
  const problems: Problem[] = [];
  const at = (line: number, col: number, message: string, severity: Severity = 'error'): void => {
    problems.push({ file, line, col, path: '', message, severity });
  };
  const add = (node: Node | null, path: Path, message: string, severity: Severity = 'error'): void => {
    problems.push({ file, ...pos.pos(node), path: formatPath(path), message, severity });
  };

  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const p = e.linePos?.[0] ?? { line: 1, col: 1 };
      at(p.line, p.col, e.code === 'MULTIPLE_DOCS' ? 'an inventory is a single YAML document; remove the --- separator and what follows' : yamlMessage(e.message));
    }
    return { problems: sortProblems(problems) };
  }
  for (const w of doc.warnings) {
    const p = w.linePos?.[0] ?? { line: 1, col: 1 };
    at(p.line, p.col, yamlMessage(w.message), 'warning');
  }

  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    at(1, 1, 'the inventory is empty; it needs at least version: 1, aws, stns and groups');
    return { problems: sortProblems(problems) };
  }

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    at(1, 1, `cannot read the YAML: ${(e as Error).message}`);
    return { problems: sortProblems(problems) };
  }

  for (const d of duplicateKeys(pos, doc.contents)) add(d.node, d.path, d.message);
  const result = InventorySchema.safeParse(data, PARSE_PARAMS);
  if (!result.success) {
    for (const f of schemaFindings(result.error.issues, pos)) add(f.node, f.path, f.message);
    return { problems: sortProblems(problems) };
  }
  for (const w of plaintextTokenWarnings(result.data)) add(pos.valueNode(w.path), w.path, w.message, 'warning');

  const sorted = sortProblems(problems);
  if (errorsOf(sorted).length > 0) return { problems: sorted };
  return { inventory: { ...result.data, source: file }, problems: sorted };
}

/** yaml's first line, without its "at line N, column M" (the problem carries the position). */
function yamlMessage(m: string): string {
  const first = m.split('\n')[0] ?? m;
  return first.replace(/ at line \d+, column \d+:?$/, '');
}

/** Reads and validates; throws INVENTORY_UNREADABLE / INVENTORY_INVALID. Warnings are dropped: see below. */
export async function loadInventory(file: string): Promise<Inventory> {
  return (await loadInventoryWithWarnings(file)).inventory;
}

/** Like loadInventory, and also returns the warnings (e.g. a plaintext token) for the caller to print. */
export async function loadInventoryWithWarnings(file: string): Promise<{ inventory: Inventory; warnings: Problem[]; text: string }> {
  const text = await readInventoryText(file);
  const { inventory, problems } = parseInventory(text, file);
  const errors = errorsOf(problems);
  if (inventory === undefined || errors.length > 0) {
    const n = errors.length;
    throw new UserError(`${file} has ${n} problem${n === 1 ? '' : 's'}`, {
      details: problems.map(formatProblem),
      hint: `run: stns-fleet validate -i ${file}`,
    });
  }
  return { inventory, warnings: warningsOf(problems), text };
}

export async function readInventoryText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const reason =
      err.code === 'ENOENT'
        ? 'no such file'
        : err.code === 'EACCES'
          ? 'permission denied'
          : err.code === 'EISDIR'
            ? 'it is a directory'
            : err.message;
    throw new UserError(`cannot read inventory ${file}: ${reason}`, { cause: e });
  }
}
