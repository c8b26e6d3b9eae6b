// `plan --out FILE` and `apply FILE`: the saved plan as a file format. A plan file is a record of what was
// reviewed, never an instruction: apply parses it strictly (unknown keys, other versions and wrong types are
// refused, naming the field), then binds it to a fresh plan of its own (bind.ts) and applies only what both
// agree on. It holds no secret and no seal key: keys are taken fresh from the hosts at apply.
import { readFile } from 'node:fs/promises';
import * as z from 'zod';
import { UserError } from '../errors.js';
import type { FleetPlan } from './fleet-plan.js';

const PLAN_FORMAT = 'stns-fleet-plan';
/** 3: the changes as data (changes.ts) instead of text. A saved plan is short-lived (bound to the hosts'
 * state when it was made), so older versions are refused, not read: plan again. */
export const PLAN_VERSION = 3;

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, { error: 'must be a sha256 (64 hex digits)' });
const strings = z.array(z.string());
const count = z.number().int().nonnegative();
const keysCommand = z.strictObject({ command: z.string(), user: z.string(), source: z.string() });
const sources = z.array(z.string()).nullable();

const FileSchema = z.strictObject({
  path: z.string(),
  action: z.enum(['create', 'update', 'delete', 'noop']),
  role: z.enum(['stns-conf', 'nss', 'pam', 'sshd', 'sshd-unit', 'keys', 'sudoers', 'repo']),
  ownership: z.enum(['enforce', 'keep']),
  mode: count,
  absent: z.literal(true).optional(),
  diff: z
    .discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('text'), hunks: z.array(z.strictObject({ oldStart: count, oldLines: count, newStart: count, newLines: count, lines: strings })) }),
      z.strictObject({ kind: z.literal('binary'), before: z.string(), after: z.string() }),
      z.strictObject({ kind: z.literal('secret-only') }),
    ])
    .optional(),
});

const ChangesSchema = z.strictObject({
  files: z.array(FileSchema),
  sshd: z.strictObject({ before: keysCommand.optional(), after: keysCommand.optional(), alreadyRight: z.boolean(), chainsEic: z.boolean() }),
  nss: z.array(z.strictObject({ database: z.enum(['passwd', 'group', 'shadow']), before: sources, after: sources })),
  packages: z.discriminatedUnion('state', [
    z.strictObject({ state: z.literal('install'), packages: strings, manager: z.string() }),
    z.strictObject({ state: z.literal('unsupported'), reason: z.string() }),
    z.strictObject({ state: z.literal('installed') }),
  ]),
});

const UnitSchema = z.strictObject({
  id: z.string(),
  group: z.string(),
  digest: sha256,
  files: z.record(z.string(), sha256),
  profile: z.string().optional(),
  arch: z.string(),
  hostIds: strings,
  changed: z.boolean(),
  changes: ChangesSchema.optional(),
  problems: strings,
  warnings: strings,
  notes: strings,
  draft: z.strictObject({ text: z.string(), sealed: strings }).optional(),
  expect: z.strictObject({ testOptions: strings, keysCommand: z.string().optional(), keysCommandUser: z.string().optional() }),
});

const HostSchema = z.strictObject({
  id: z.string(),
  group: z.string(),
  name: z.string().optional(),
  status: z.enum(['change', 'unchanged', 'skipped', 'unreachable', 'error']),
  unit: z.string().optional(),
  reason: z.string().optional(),
});

const versionProblem = (v: unknown): string => `version ${JSON.stringify(v)} is not one this stns-fleet applies (it writes and reads version ${PLAN_VERSION} only)`;

const PlanFileSchema = z.strictObject({
  format: z.literal(PLAN_FORMAT),
  version: z.literal(PLAN_VERSION, { error: (iss) => versionProblem(iss.input) }),
  createdAt: z.string(),
  inventory: z.strictObject({ path: z.string().refine((p) => p.startsWith('/'), { error: 'must be an absolute path' }), sha256 }),
  groups: strings,
  units: z.array(UnitSchema),
  hosts: z.array(HostSchema),
});

export type SavedPlan = z.infer<typeof PlanFileSchema>;

/** The plan as saved: every field but the hosts' seal keys (apply takes them fresh from the hosts). */
export function planFileText(p: FleetPlan): string {
  const saved: SavedPlan = { ...p, hosts: p.hosts.map(({ sealKey: _k, drifted: _d, ...h }) => h) };
  return `${JSON.stringify(saved, null, 2)}\n`;
}

const REMAKE = 'make a new one with `stns-fleet plan -i INVENTORY --out plan.json`, review it, then apply it';

function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i === 0 ? '' : '.'}${String(k)}`)).join('') || '(top level)';
}

/** Parses and validates a plan file; any problem is a refusal that names the file and the field. */
export async function readPlanFile(file: string): Promise<SavedPlan> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new UserError(`${file}: not a readable plan file (${(e as Error).message})`, { hint: REMAKE });
  }
  // Another version is one clear refusal, not a list of every field that version spells differently.
  const version = typeof raw === 'object' && raw !== null ? (raw as { version?: unknown }).version : undefined;
  if (version !== undefined && version !== PLAN_VERSION) {
    throw new UserError(`${file} is a version ${JSON.stringify(version)} plan; this stns-fleet applies version ${PLAN_VERSION} plans only: nothing was applied`, {
      details: [`${file}: version: ${versionProblem(version)}`],
      hint: REMAKE,
    });
  }
  const r = PlanFileSchema.safeParse(raw);
  if (!r.success) {
    const problems = r.error.issues.slice(0, 10).map((i) => `${file}: ${fieldPath(i.path)}: ${i.code === 'unrecognized_keys' ? `unknown key(s) ${i.keys.join(', ')}` : i.message}`);
    throw new UserError(`${file} is not a valid stns-fleet plan (version ${PLAN_VERSION}): nothing was applied`, { details: problems, hint: REMAKE });
  }
  return r.data;
}
