// zod issues → findings at YAML nodes, in words a user of the inventory understands. Only zod's public API:
// the issue codes and their documented fields, the per-parse error map, and the JSON Schema zod generates
// (json-schema.ts), read for the keys a mapping accepts.
//
// The schema words what needs to know a field's meaning (fields.ts, schema.ts, rules.ts); this file words the
// rest (missing key, wrong type, unknown key) and so must tell the two apart: the per-parse error map gives
// every issue without a message of its own the DEFAULT_MESSAGE marker (PARSE_PARAMS).

import type { Node } from 'yaml';
import type * as z from 'zod';
import { inventoryJsonSchema } from './json-schema.js';
import type { Finding, YamlPositions } from './positions.js';
import { didYouMean, formatPath, type Path } from './problems.js';
import { LINE_PLACEHOLDER } from './rules.js';

/** Marks "no schema-specific message": this file words those issues itself. */
const DEFAULT_MESSAGE = '\u0000default';

/** The parse options schemaFindings expects: the input kept on each issue (to tell a missing key from a null
 * value, and to describe what was written) and the marker for issues the schema has no words for. */
export const PARSE_PARAMS = { reportInput: true, error: () => DEFAULT_MESSAGE } satisfies z.core.ParseContext<z.core.$ZodIssue>;

type Issue = z.core.$ZodIssue;

export function schemaFindings(issues: readonly Issue[], pos: YamlPositions): Finding[] {
  const out = new Collector(pos);
  for (const issue of issues) mapIssue(out, issue, []);
  // `reigon:` gives both "unknown key reigon (did you mean region?)" and "missing region": keep the first.
  return out.findings.filter((f, i) => !(out.missing.has(i) && out.suggested.has(formatPath(f.path))));
}

class Collector {
  readonly findings: Finding[] = [];
  /** Indexes of the "missing required key" findings. */
  readonly missing = new Set<number>();
  /** Paths of keys an unknown key was taken to be a typo of. */
  readonly suggested = new Set<string>();
  constructor(readonly pos: YamlPositions) {}

  add(node: Node | null, path: Path, message: string): void {
    if (message.includes(DEFAULT_MESSAGE)) message = 'invalid value'; // never let the marker leak
    this.findings.push({ node, path, message });
  }
}

function mapIssue(out: Collector, issue: Issue, base: Path): void {
  const { pos } = out;
  const path: Path = [...base, ...(issue.path as (string | number)[])];
  const custom = issue.message !== DEFAULT_MESSAGE ? issue.message : undefined;
  const last = path[path.length - 1];

  if (issue.code !== 'unrecognized_keys' && issue.code !== 'invalid_key' && issue.input === undefined && path.length > 0) {
    const l = pos.locate(path);
    if (!l.found) {
      out.missing.add(out.findings.length);
      out.add(l.parent, path, `missing required key "${String(last)}"${MISSING_HINT[String(last)] ?? ''}`);
      return;
    }
  }

  switch (issue.code) {
    case 'invalid_union': {
      // Keep the branch whose type matched (e.g. a tag selector object) and report its own issues.
      const live = issue.errors.filter((b) => !(b.length === 1 && b[0]!.code === 'invalid_type' && b[0]!.path.length === 0));
      if (live.length === 1) {
        for (const sub of live[0]!) mapIssue(out, sub, path);
        return;
      }
      out.add(pos.valueNode(path), path, custom ?? `expected ${describeUnion(issue.errors)}, got ${describe(issue.input)}`);
      return;
    }
    case 'unrecognized_keys': {
      const allowed = allowedKeysAt(path);
      for (const k of issue.keys) {
        let message = `unknown key "${k}"`;
        const guess = allowed ? didYouMean(k, allowed) : undefined;
        if (guess !== undefined) {
          message += ` (did you mean "${guess}"?)`;
          out.suggested.add(formatPath([...path, guess]));
        } else if (allowed && allowed.length <= 14) {
          message += `; expected one of: ${allowed.join(', ')}`;
        }
        out.add(pos.keyNode([...path, k]), [...path, k], message);
      }
      return;
    }
    case 'invalid_key': {
      const inner = issue.issues.find((i) => i.message !== DEFAULT_MESSAGE);
      out.add(pos.keyNode(path), path, inner?.message ?? `invalid key ${JSON.stringify(String(last))}`);
      return;
    }
    case 'invalid_type': {
      if (custom !== undefined) {
        out.add(pos.valueNode(path), path, custom);
        return;
      }
      out.add(pos.valueNode(path), path, path.length === 0 ? `the inventory must be a YAML mapping (key: value lines), got ${describe(issue.input)}` : wrongType(issue));
      return;
    }
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      const word = issue.code === 'too_small' ? 'at least' : 'at most';
      const what =
        issue.origin === 'array' ? ` item${Number(bound) === 1 ? '' : 's'}` : issue.origin === 'string' ? ' characters' : '';
      out.add(pos.valueNode(path), path, custom ?? `must be ${word} ${String(bound)}${what}`);
      return;
    }
    case 'invalid_value': {
      const values = issue.values.map((v) => JSON.stringify(v)).join(', ');
      out.add(pos.valueNode(path), path, custom ?? `expected one of: ${values}`);
      return;
    }
    case 'custom': {
      // A rule naming another node's line (rules.ts): only the YAML knows it.
      const lineOf = issue.params?.lineOf as Path | undefined;
      const message = custom ?? 'invalid value';
      out.add(pos.valueNode(path), path, lineOf ? message.replace(LINE_PLACEHOLDER, String(pos.line(pos.valueNode(lineOf)))) : message);
      return;
    }
    default:
      out.add(pos.valueNode(path), path, custom ?? 'invalid value');
  }
}

function wrongType(issue: z.core.$ZodIssueInvalidType): string {
  const input: unknown = issue.input;
  let message = `expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${describe(input)}`;
  if (issue.expected === 'boolean' && typeof input === 'string' && /^(yes|no|on|off|y|n)$/i.test(input)) {
    message += ' (write true or false)';
  }
  if ((issue.expected === 'number' || issue.expected === 'int') && typeof input === 'string' && /^-?\d+$/.test(input.trim())) {
    message += ' (remove the quotes)';
  }
  if (issue.expected === 'string' && (typeof input === 'number' || typeof input === 'boolean')) {
    message += '; quote it if you meant text';
  }
  return message;
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

// ------------------------------------------------------------------------------------------ accepted keys

type JsonSchema = z.core.JSONSchema.JSONSchema;

/** The keys the mapping at `path` accepts, read from the inventory's JSON Schema; undefined if not a mapping. */
function allowedKeysAt(path: Path): string[] | undefined {
  const root = inventoryJsonSchema();
  let s: JsonSchema | undefined = root;
  for (const seg of path) {
    if (s === undefined) return undefined;
    s = childOf(root, s, seg);
  }
  const obj = s === undefined ? undefined : alternatives(root, s).find((b) => b.properties !== undefined);
  return obj?.properties === undefined ? undefined : Object.keys(obj.properties);
}

/** The schema of the value at `seg` inside `s`: an object's property, a record's values, a list's items. */
function childOf(root: JsonSchema, s: JsonSchema, seg: string | number): JsonSchema | undefined {
  const alts = alternatives(root, s);
  if (typeof seg === 'number') return firstSchema(root, alts.map((b) => b.items));
  return firstSchema(root, alts.map((b) => b.properties?.[seg])) ?? firstSchema(root, alts.map((b) => b.additionalProperties));
}

/** `s` and, for a union, each of its branches. */
function alternatives(root: JsonSchema, s: JsonSchema): JsonSchema[] {
  const r = deref(root, s);
  return [r, ...[...(r.anyOf ?? []), ...(r.oneOf ?? [])].flatMap((b) => alternatives(root, b))];
}

function firstSchema(root: JsonSchema, candidates: readonly unknown[]): JsonSchema | undefined {
  const found = candidates.find((c): c is JsonSchema => typeof c === 'object' && c !== null && !Array.isArray(c));
  return found === undefined ? undefined : deref(root, found);
}

/** Follows a `#/$defs/…` reference (zod emits them for schemas with an id, or reused ones if asked). */
function deref(root: JsonSchema, s: JsonSchema): JsonSchema {
  const m = /^#\/\$defs\/(.+)$/.exec(s.$ref ?? '');
  return m ? (root.$defs?.[m[1]!] ?? s) : s;
}
