// The rules that span fields: https-only endpoints, the plaintext-token opt-in (a group inherits both from the
// top level) and each host in one place only. schema.ts runs them as one refinement of the whole inventory, so
// their issues carry a path and are located like any other.
//
// They run even when other fields are invalid (one pass shows everything wrong with a file), so they see a
// partly parsed value: where a field has an issue it holds what the user wrote. A rule therefore reads only
// fields that parsed (`Fields.get`).

import type * as z from 'zod';
import type { SecretRef } from '../model/settings.js';
import { isHostId } from './patterns.js';
import type { Path } from './problems.js';

const HTTPS_MESSAGE = 'api_endpoint must use https (set allow_insecure_http: true to allow http)';
const PLAINTEXT_ERROR =
  'auth_token is written in clear text; use { ssm_parameter: NAME } or { env: NAME } ' +
  '(or set allow_plaintext_token: true to accept a token stored in this file)';
const PLAINTEXT_WARNING =
  'auth_token is stored in this file in clear text (allow_plaintext_token: true); ' +
  'prefer { ssm_parameter: NAME } or { env: NAME }';

/** Where a message names the line of another node, it says `{line}` and the issue's `params.lineOf` holds that
 * node's path: the schema knows paths, only the YAML knows lines (issues.ts fills it in). */
export const LINE_PLACEHOLDER = '{line}';

/** The refinement schema.ts attaches to the whole inventory. */
export function inventoryRules(value: unknown, ctx: z.core.$RefinementCtx<unknown>): void {
  const f = new Fields(value, [...ctx.issues]); // the issues before the rules: their own must not hide fields
  const add = (path: Path, message: string, lineOf?: Path): void => {
    ctx.addIssue({ code: 'custom', path: [...path], message, ...(lineOf ? { params: { lineOf } } : {}) });
  };
  httpsAndPlaintext(f, add);
  eachHostOnce(f, add);
}

/** Run even when other fields have issues; not when the document is not a mapping (there are no fields). */
export const runRulesWhen = (payload: z.core.ParsePayload): boolean => isRecord(payload.value);

type Add = (path: Path, message: string, lineOf?: Path) => void;

function httpsAndPlaintext(f: Fields, add: Add): void {
  const topHttp = f.get(['stns', 'allow_insecure_http']) === true;
  const topPlain = f.get(['stns', 'allow_plaintext_token']) === true;
  const topEndpointHttp = isHttpUrl(f.get(['stns', 'api_endpoint']));
  const topTokenPlain = isPlaintext(f.get(['stns', 'auth_token']));

  if (topEndpointHttp && !topHttp) add(['stns', 'api_endpoint'], HTTPS_MESSAGE);
  if (topTokenPlain && !topPlain) add(['stns', 'auth_token'], PLAINTEXT_ERROR);

  for (const name of f.keys(['groups'])) {
    const base = ['groups', name, 'stns'];
    if (!isRecord(f.partial(base))) continue;
    const ownHttp = f.get([...base, 'allow_insecure_http']);
    const ownPlain = f.get([...base, 'allow_plaintext_token']);
    const allowHttp = typeof ownHttp === 'boolean' ? ownHttp : topHttp;
    const allowPlain = typeof ownPlain === 'boolean' ? ownPlain : topPlain;

    if (f.has([...base, 'api_endpoint'])) {
      if (isHttpUrl(f.get([...base, 'api_endpoint'])) && !allowHttp) add([...base, 'api_endpoint'], HTTPS_MESSAGE);
    } else if (!allowHttp && topHttp && topEndpointHttp) {
      add([...base, 'allow_insecure_http'], 'this group sets allow_insecure_http: false but inherits the http api_endpoint of the top level');
    }

    if (f.has([...base, 'auth_token'])) {
      if (isPlaintext(f.get([...base, 'auth_token'])) && !allowPlain) add([...base, 'auth_token'], PLAINTEXT_ERROR);
    } else if (!allowPlain && topPlain && topTokenPlain) {
      add([...base, 'allow_plaintext_token'], 'this group sets allow_plaintext_token: false but inherits the clear-text auth_token of the top level');
    }
  }
}

/** Each host ID may appear once in the whole fleet; later occurrences are reported, each naming the first.
 * "First" is in the order of the parsed groups, which is the file's order unless a group name is a number
 * (JavaScript puts integer keys first). */
function eachHostOnce(f: Fields, add: Add): void {
  const first = new Map<string, { group: string; path: Path }>();
  for (const name of f.keys(['groups'])) {
    const targets = f.partial(['groups', name, 'targets']);
    if (!Array.isArray(targets)) continue;
    targets.forEach((_, i) => {
      const path = ['groups', name, 'targets', i];
      const id = f.get(path);
      if (typeof id !== 'string' || !isHostId(id)) return;
      const seen = first.get(id);
      if (seen === undefined) first.set(id, { group: name, path });
      else if (seen.group === name) add(path, `host ${id} is listed twice in group "${name}" (first at line ${LINE_PLACEHOLDER})`, seen.path);
      else add(path, `host ${id} is already in group "${seen.group}" (line ${LINE_PLACEHOLDER})`, seen.path);
    });
  }
}

/** Every plain-string auth_token of a valid inventory: allowed (the rules refused the others), but each is
 * worth a warning. */
export function plaintextTokenWarnings(inv: {
  stns: { auth_token?: SecretRef | undefined };
  groups: Record<string, { stns?: { auth_token?: SecretRef | undefined } | undefined }>;
}): { path: Path; message: string }[] {
  const paths: Path[] = [];
  if (inv.stns.auth_token?.kind === 'plaintext') paths.push(['stns', 'auth_token']);
  for (const [name, g] of Object.entries(inv.groups)) {
    if (g.stns?.auth_token?.kind === 'plaintext') paths.push(['groups', name, 'stns', 'auth_token']);
  }
  return paths.map((path) => ({ path, message: PLAINTEXT_WARNING }));
}

// ------------------------------------------------------------------------------------------ reading fields

/** The partly parsed inventory, read through the issues found so far. */
class Fields {
  constructor(
    private readonly root: unknown,
    private readonly issues: readonly z.core.$ZodRawIssue[],
  ) {}

  /** The parsed value at `path`; undefined when absent or when the value or anything inside it has an issue. */
  get(path: Path): unknown {
    return this.failed(path) ? undefined : this.partial(path);
  }

  /** The value at `path` whatever its issues (for walking into a list whose items are checked one by one). */
  partial(path: Path): unknown {
    let v = this.root;
    for (const seg of path) {
      if (Array.isArray(v) && typeof seg === 'number') v = v[seg];
      else if (isRecord(v) && typeof seg === 'string' && Object.hasOwn(v, seg)) v = v[seg];
      else return undefined;
    }
    return v;
  }

  /** Was the key written (valid or not)? */
  has(path: Path): boolean {
    return this.partial(path) !== undefined;
  }

  /** The keys of the mapping at `path` (whatever their values' issues), or none. */
  keys(path: Path): string[] {
    const v = this.partial(path);
    return isRecord(v) ? Object.keys(v) : [];
  }

  private failed(path: Path): boolean {
    return this.issues.some((iss) => {
      const p = iss.path ?? [];
      return p.length >= path.length && path.every((seg, i) => p[i] === seg);
    });
  }
}

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

function isPlaintext(v: unknown): boolean {
  return isRecord(v) && v.kind === 'plaintext';
}
