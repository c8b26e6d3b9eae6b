// Reads an inventory file and reports every problem in it at the line:col of the YAML node it is about.
//
// Pipeline: YAML syntax (stop there if broken) → duplicate keys → zod schema → cross-field rules
// (https-only endpoints, plaintext-token opt-in, hosts listed twice). The last three all run, so one pass
// over a file shows the user everything that is wrong with it.

import { readFile } from 'node:fs/promises';
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type * as z from 'zod';
import { FleetError } from '../errors.js';
import {
  didYouMean,
  errorsOf,
  formatPath,
  formatProblem,
  sortProblems,
  warningsOf,
  type Problem,
  type Severity,
} from './problems.js';
import { InventorySchema, isHostId, type Inventory } from './schema.js';

export interface ParseResult {
  /** Present when the file has no error-severity problem (warnings allowed). */
  inventory?: Inventory;
  problems: Problem[];
}

type Path = readonly (string | number)[];

/** Pure: parse and validate inventory text. `file` is only used in problem locations. */
export function parseInventory(text: string, file: string): ParseResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: true });
  const ctx = new Ctx(file, doc, lineCounter);

  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const pos = e.linePos?.[0] ?? { line: 1, col: 1 };
      const message =
        e.code === 'MULTIPLE_DOCS'
          ? 'an inventory is a single YAML document; remove the --- separator and what follows'
          : yamlMessage(e.message);
      ctx.problems.push({ file, line: pos.line, col: pos.col, path: '', message, severity: 'error' });
    }
    return { problems: sortProblems(ctx.problems) };
  }
  for (const w of doc.warnings) {
    const pos = w.linePos?.[0] ?? { line: 1, col: 1 };
    ctx.problems.push({ file, line: pos.line, col: pos.col, path: '', message: yamlMessage(w.message), severity: 'warning' });
  }

  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    ctx.problems.push({
      file,
      line: 1,
      col: 1,
      path: '',
      message: 'the inventory is empty; it needs at least version: 1, aws, stns and groups',
      severity: 'error',
    });
    return { problems: sortProblems(ctx.problems) };
  }

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    ctx.problems.push({ file, line: 1, col: 1, path: '', message: `cannot read the YAML: ${(e as Error).message}`, severity: 'error' });
    return { problems: sortProblems(ctx.problems) };
  }

  checkDuplicateKeys(ctx, doc.contents, []);
  const result = InventorySchema.safeParse(data, { reportInput: true, error: () => DEFAULT_MESSAGE });
  if (!result.success) schemaProblems(ctx, result.error.issues);
  checkCrossField(ctx, data);

  const problems = sortProblems(ctx.problems);
  if (!result.success || errorsOf(problems).length > 0) return { problems };
  return { inventory: { ...result.data, source: file }, problems };
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
    throw new FleetError('INVENTORY_INVALID', `${file} has ${n} problem${n === 1 ? '' : 's'}`, {
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
    throw new FleetError('INVENTORY_UNREADABLE', `cannot read inventory ${file}: ${reason}`, { cause: e });
  }
}

// ------------------------------------------------------------------------------------------ positions

class Ctx {
  readonly problems: Problem[] = [];
  constructor(
    readonly file: string,
    readonly doc: Document,
    readonly lc: LineCounter,
  ) {}

  add(node: Node | null | undefined, path: Path, message: string, severity: Severity = 'error'): void {
    const { line, col } = this.pos(node);
    if (message.includes(DEFAULT_MESSAGE)) message = 'invalid value'; // never let the marker leak
    this.problems.push({ file: this.file, line, col, path: formatPath(path), message, severity });
  }

  pos(node: Node | null | undefined): { line: number; col: number } {
    const off = node?.range?.[0];
    return off === undefined ? { line: 1, col: 1 } : this.lc.linePos(off);
  }

  line(node: Node | null | undefined): number {
    return this.pos(node).line;
  }

  /** The YAML nodes along `path`. */
  locate(path: Path): Located {
    let cur: Node | null = this.doc.contents as Node | null;
    let key: Node | null = null;
    for (const seg of path) {
      if (cur !== null && isAlias(cur)) cur = (cur.resolve(this.doc) as Node | undefined) ?? null;
      if (cur !== null && isMap(cur)) {
        const pair = lastPair(cur.items, String(seg));
        if (pair === undefined) return { found: false, parent: cur, key: null, node: null };
        key = (pair.key as Node | null) ?? null;
        cur = (pair.value as Node | null) ?? null;
      } else if (cur !== null && isSeq(cur) && typeof seg === 'number') {
        const item = cur.items[seg] as Node | undefined;
        if (item === undefined) return { found: false, parent: cur, key: null, node: null };
        key = null;
        cur = item;
      } else {
        return { found: false, parent: cur, key: null, node: null };
      }
    }
    return { found: true, parent: null, key, node: cur };
  }

  /** Where to point for a value: the value node, or its key when the value is empty (`key:`). */
  valueNode(path: Path): Node | null {
    const l = this.locate(path);
    if (!l.found) return l.parent;
    const v = l.node;
    if (v === null || (isScalar(v) && v.value === null && (v.range == null || v.range[0] === v.range[1]))) {
      return l.key ?? v;
    }
    return v;
  }

  keyNode(path: Path): Node | null {
    const l = this.locate(path);
    return l.found ? (l.key ?? l.node) : l.parent;
  }
}

interface Located {
  found: boolean;
  /** When not found: the deepest node that exists on the way (the mapping that lacks the key). */
  parent: Node | null;
  key: Node | null;
  node: Node | null;
}

function keyString(k: unknown): string | undefined {
  if (isScalar(k)) return String(k.value);
  return undefined;
}

/** Last pair with this key: with duplicate keys, the last one is what the parsed data holds. */
function lastPair(items: readonly unknown[], key: string) {
  let found: { key: unknown; value: unknown } | undefined;
  for (const p of items) if (isPair(p) && keyString(p.key) === key) found = p;
  return found;
}

function yamlMessage(m: string): string {
  const first = m.split('\n')[0] ?? m;
  return first.replace(/ at line \d+, column \d+:?$/, '');
}

// ------------------------------------------------------------------------------------------ duplicate keys

function checkDuplicateKeys(ctx: Ctx, node: unknown, path: Path): void {
  if (isMap(node)) {
    const seen = new Map<string, Node>();
    for (const pair of node.items) {
      const k = keyString(pair.key);
      if (k !== undefined) {
        const first = seen.get(k);
        if (first !== undefined) {
          ctx.add(pair.key as Node, [...path, k], `duplicate key "${k}" (first at line ${ctx.line(first)})`);
        } else {
          seen.set(k, pair.key as Node);
        }
      }
      checkDuplicateKeys(ctx, pair.value, [...path, k ?? '?']);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => checkDuplicateKeys(ctx, item, [...path, i]));
  }
}

// ------------------------------------------------------------------------------------------ schema issues

/** Marks "no schema-specific message": load.ts words those issues itself. */
const DEFAULT_MESSAGE = '\u0000default';

type Issue = z.core.$ZodIssue;

function schemaProblems(ctx: Ctx, issues: readonly Issue[]): void {
  const missing: { path: Path; problemIndex: number }[] = [];
  const suggested = new Set<string>();
  for (const issue of issues) mapIssue(ctx, issue, [], missing, suggested);
  // `reigon:` gives both "unknown key reigon (did you mean region?)" and "missing region": keep the first.
  const drop = new Set(missing.filter((m) => suggested.has(formatPath(m.path))).map((m) => m.problemIndex));
  if (drop.size > 0) {
    const kept = ctx.problems.filter((_, i) => !drop.has(i));
    ctx.problems.length = 0;
    ctx.problems.push(...kept);
  }
}

function mapIssue(ctx: Ctx, issue: Issue, base: Path, missing: { path: Path; problemIndex: number }[], suggested: Set<string>): void {
  const path: Path = [...base, ...(issue.path as (string | number)[])];
  const custom = issue.message !== DEFAULT_MESSAGE ? issue.message : undefined;
  const last = path[path.length - 1];

  if (issue.code !== 'unrecognized_keys' && issue.code !== 'invalid_key' && issue.input === undefined && path.length > 0) {
    const l = ctx.locate(path);
    if (!l.found) {
      missing.push({ path, problemIndex: ctx.problems.length });
      ctx.add(l.parent, path, `missing required key "${String(last)}"${MISSING_HINT[String(last)] ?? ''}`);
      return;
    }
  }

  switch (issue.code) {
    case 'invalid_union': {
      // Keep the branch whose type matched (e.g. a tag selector object) and report its own issues.
      const live = issue.errors.filter((b) => !(b.length === 1 && b[0]!.code === 'invalid_type' && b[0]!.path.length === 0));
      if (live.length === 1) {
        for (const sub of live[0]!) mapIssue(ctx, sub, path, missing, suggested);
        return;
      }
      ctx.add(ctx.valueNode(path), path, custom ?? `expected ${describeUnion(issue.errors)}, got ${describe(issue.input)}`);
      return;
    }
    case 'unrecognized_keys': {
      const allowed = allowedKeysAt(path);
      for (const k of issue.keys) {
        let message = `unknown key "${k}"`;
        const guess = allowed ? didYouMean(k, allowed) : undefined;
        if (guess !== undefined) {
          message += ` (did you mean "${guess}"?)`;
          suggested.add(formatPath([...path, guess]));
        } else if (allowed && allowed.length <= 14) {
          message += `; expected one of: ${allowed.join(', ')}`;
        }
        ctx.add(ctx.keyNode([...path, k]), [...path, k], message);
      }
      return;
    }
    case 'invalid_key': {
      const inner = issue.issues.find((i) => i.message !== DEFAULT_MESSAGE);
      ctx.add(ctx.keyNode(path), path, inner?.message ?? `invalid key ${JSON.stringify(String(last))}`);
      return;
    }
    case 'invalid_type': {
      if (custom !== undefined) {
        ctx.add(ctx.valueNode(path), path, custom);
        return;
      }
      const input: unknown = issue.input;
      let message: string;
      if (path.length === 0) {
        message = `the inventory must be a YAML mapping (key: value lines), got ${describe(input)}`;
      } else if (last === 'groups' && input === null) {
        message = 'the fleet is empty: define at least one group with targets';
      } else if (path.length === 2 && path[0] === 'groups' && input === null) {
        message = `group "${String(last)}" is empty; it needs at least targets`;
      } else if (last === 'targets' && input === null) {
        message = 'this group has no targets; list instance IDs or tag selectors';
      } else {
        message = `expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${describe(input)}`;
        if (issue.expected === 'boolean' && typeof input === 'string' && /^(yes|no|on|off|y|n)$/i.test(input)) {
          message += ' (write true or false)';
        }
        if ((issue.expected === 'number' || issue.expected === 'int') && typeof input === 'string' && /^-?\d+$/.test(input.trim())) {
          message += ' (remove the quotes)';
        }
        if (issue.expected === 'string' && (typeof input === 'number' || typeof input === 'boolean')) {
          message += '; quote it if you meant text';
        }
      }
      ctx.add(ctx.valueNode(path), path, message);
      return;
    }
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      const word = issue.code === 'too_small' ? 'at least' : 'at most';
      const what =
        issue.origin === 'array' ? ` item${Number(bound) === 1 ? '' : 's'}` : issue.origin === 'string' ? ' characters' : '';
      ctx.add(ctx.valueNode(path), path, custom ?? `must be ${word} ${String(bound)}${what}`);
      return;
    }
    case 'invalid_value': {
      const values = issue.values.map((v) => JSON.stringify(v)).join(', ');
      ctx.add(ctx.valueNode(path), path, custom ?? `expected one of: ${values}`);
      return;
    }
    default:
      ctx.add(ctx.valueNode(path), path, custom ?? 'invalid value');
  }
}

const MISSING_HINT: Record<string, string> = {
  version: ' (add version: 1)',
  groups: ' (the fleet needs at least one group)',
  targets: ' (list instance IDs or tag selectors)',
  api_endpoint: ' (the STNS server URL, e.g. https://stns.example.com/v1)',
  region: ' (e.g. region: ap-northeast-1)',
};

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping (key: value)',
  record: 'a mapping (key: value)',
  array: 'a list',
};

/** What the user wrote, by kind: values are never echoed (they may be secrets). */
function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'an empty value';
  if (Array.isArray(v)) return 'a list';
  switch (typeof v) {
    case 'string':
      return 'a string';
    case 'number':
      return Number.isInteger(v) ? 'a whole number' : 'a number';
    case 'boolean':
      return `${String(v)} (a boolean)`;
    case 'object':
      return 'a mapping';
    default:
      return typeof v;
  }
}

function describeUnion(branches: readonly (readonly Issue[])[]): string {
  const kinds = new Set<string>();
  for (const b of branches) {
    const first = b[0];
    if (first?.code === 'invalid_type') kinds.add(EXPECTED[first.expected] ?? first.expected);
  }
  return kinds.size > 0 ? [...kinds].join(' or ') : 'a different value';
}

// The keys an object schema accepts at `path`, for did-you-mean. Walks zod's schema definitions.
interface Def {
  type: string;
  innerType?: SchemaLike;
  in?: SchemaLike;
  shape?: Record<string, SchemaLike>;
  valueType?: SchemaLike;
  element?: SchemaLike;
  options?: SchemaLike[];
}
interface SchemaLike {
  _zod: { def: Def };
}

function unwrap(s: SchemaLike): SchemaLike {
  for (;;) {
    const d = s._zod.def;
    if (d.innerType !== undefined && ['optional', 'default', 'nullable', 'prefault', 'readonly', 'catch', 'nonoptional'].includes(d.type)) {
      s = d.innerType;
    } else if (d.type === 'pipe' && d.in !== undefined) {
      s = d.in;
    } else {
      return s;
    }
  }
}

function objectOf(s: SchemaLike): SchemaLike | undefined {
  const u = unwrap(s);
  if (u._zod.def.type === 'object') return u;
  if (u._zod.def.type === 'union') {
    for (const o of u._zod.def.options ?? []) {
      const obj = objectOf(o);
      if (obj !== undefined) return obj;
    }
  }
  return undefined;
}

function allowedKeysAt(path: Path): string[] | undefined {
  let s: SchemaLike | undefined = InventorySchema as unknown as SchemaLike;
  for (const seg of path) {
    if (s === undefined) return undefined;
    const u = unwrap(s);
    const d = u._zod.def;
    if (d.type === 'union') {
      const opts = (d.options ?? []).map(unwrap);
      const pick =
        typeof seg === 'number'
          ? opts.find((o) => o._zod.def.type === 'array')
          : (opts.find((o) => o._zod.def.type === 'object' && o._zod.def.shape?.[seg] !== undefined) ??
            opts.find((o) => o._zod.def.type === 'record'));
      if (pick === undefined) return undefined;
      s = step(pick, seg);
    } else {
      s = step(u, seg);
    }
  }
  const obj = s === undefined ? undefined : objectOf(s);
  return obj === undefined ? undefined : Object.keys(obj._zod.def.shape ?? {});
}

function step(s: SchemaLike, seg: string | number): SchemaLike | undefined {
  const d = s._zod.def;
  if (d.type === 'object') return d.shape?.[String(seg)];
  if (d.type === 'record') return d.valueType;
  if (d.type === 'array') return d.element;
  return undefined;
}

// ------------------------------------------------------------------------------------------ cross-field rules

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isHttpUrl(v: unknown): boolean {
  if (typeof v !== 'string') return false;
  try {
    return new URL(v).protocol === 'http:';
  } catch {
    return false;
  }
}

const HTTPS_MESSAGE = 'api_endpoint must use https (set allow_insecure_http: true to allow http)';
const PLAINTEXT_ERROR =
  'auth_token is written in clear text; use { ssm_parameter: NAME } or { env: NAME } ' +
  '(or set allow_plaintext_token: true to accept a token stored in this file)';
const PLAINTEXT_WARNING =
  'auth_token is stored in this file in clear text (allow_plaintext_token: true); ' +
  'prefer { ssm_parameter: NAME } or { env: NAME }';

function checkCrossField(ctx: Ctx, data: unknown): void {
  if (!isRecord(data)) return;
  const top = isRecord(data.stns) ? data.stns : {};
  const topHttp = top.allow_insecure_http === true;
  const topPlain = top.allow_plaintext_token === true;

  if (isHttpUrl(top.api_endpoint) && !topHttp) {
    ctx.add(ctx.valueNode(['stns', 'api_endpoint']), ['stns', 'api_endpoint'], HTTPS_MESSAGE);
  }
  if (typeof top.auth_token === 'string') {
    const p = ['stns', 'auth_token'];
    ctx.add(ctx.valueNode(p), p, topPlain ? PLAINTEXT_WARNING : PLAINTEXT_ERROR, topPlain ? 'warning' : 'error');
  }

  if (isRecord(data.groups)) {
    for (const [name, g] of Object.entries(data.groups)) {
      if (!isRecord(g) || !isRecord(g.stns)) continue;
      const gs = g.stns;
      const base = ['groups', name, 'stns'];
      const allowHttp = typeof gs.allow_insecure_http === 'boolean' ? gs.allow_insecure_http : topHttp;
      const allowPlain = typeof gs.allow_plaintext_token === 'boolean' ? gs.allow_plaintext_token : topPlain;

      if (gs.api_endpoint !== undefined) {
        if (isHttpUrl(gs.api_endpoint) && !allowHttp) {
          ctx.add(ctx.valueNode([...base, 'api_endpoint']), [...base, 'api_endpoint'], HTTPS_MESSAGE);
        }
      } else if (!allowHttp && topHttp && isHttpUrl(top.api_endpoint)) {
        const p = [...base, 'allow_insecure_http'];
        ctx.add(ctx.valueNode(p), p, 'this group sets allow_insecure_http: false but inherits the http api_endpoint of the top level');
      }

      if (gs.auth_token !== undefined) {
        if (typeof gs.auth_token === 'string') {
          const p = [...base, 'auth_token'];
          ctx.add(ctx.valueNode(p), p, allowPlain ? PLAINTEXT_WARNING : PLAINTEXT_ERROR, allowPlain ? 'warning' : 'error');
        }
      } else if (!allowPlain && topPlain && typeof top.auth_token === 'string') {
        const p = [...base, 'allow_plaintext_token'];
        ctx.add(ctx.valueNode(p), p, 'this group sets allow_plaintext_token: false but inherits the clear-text auth_token of the top level');
      }
    }
  }

  checkDuplicateHosts(ctx);
}

/** Each host ID may appear once in the whole fleet. Walks the YAML so "first" means first in the file. */
function checkDuplicateHosts(ctx: Ctx): void {
  const root = ctx.doc.contents;
  if (!isMap(root)) return;
  const groups = lastPair(root.items, 'groups')?.value;
  if (!isMap(groups)) return;
  const firstSeen = new Map<string, { group: string; node: Node }>();
  for (const pair of groups.items) {
    const name = keyString(pair.key);
    if (name === undefined || lastPair(groups.items, name) !== pair) continue; // a duplicated group key: the last one counts
    if (!isMap(pair.value)) continue;
    const targets = lastPair(pair.value.items, 'targets')?.value;
    if (!isSeq(targets)) continue;
    targets.items.forEach((item, i) => {
      if (!isScalar(item) || typeof item.value !== 'string' || !isHostId(item.value)) return;
      const id = item.value;
      const first = firstSeen.get(id);
      const path = ['groups', name, 'targets', i];
      if (first === undefined) {
        firstSeen.set(id, { group: name, node: item });
      } else if (first.group === name) {
        ctx.add(item, path, `host ${id} is listed twice in group "${name}" (first at line ${ctx.line(first.node)})`);
      } else {
        ctx.add(item, path, `host ${id} is already in group "${first.group}" (line ${ctx.line(first.node)})`);
      }
    });
  }
}
