// `plan --out FILE` and `apply FILE`: the saved plan as a file format. A plan file is a record of what was
// reviewed, never an instruction: apply parses it strictly (unknown keys, other versions and wrong types are
// refused, naming the field), then binds it to a fresh plan of its own (bind.ts) and applies only what both
// agree on. It holds no secret and no seal key: keys are taken fresh from the hosts at apply.
import { readFile } from 'node:fs/promises';
import * as z from 'zod';
import { FleetError } from '../errors.js';
import type { FleetPlan } from './fleet-plan.js';

export const PLAN_FORMAT = 'stns-fleet-plan';
export const PLAN_VERSION = 2;

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, { error: 'must be a sha256 (64 hex digits)' });
const strings = z.array(z.string());

const UnitSchema = z.strictObject({
  id: z.string(),
  group: z.string(),
  digest: sha256,
  files: z.record(z.string(), sha256),
  profile: z.string().optional(),
  arch: z.string(),
  hostIds: strings,
  changed: z.boolean(),
  summary: strings,
  diffs: strings,
  packages: strings,
  problems: strings,
  warnings: strings,
  notes: strings.optional(),
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

const PlanFileSchema = z.strictObject({
  format: z.literal(PLAN_FORMAT),
  version: z.literal(PLAN_VERSION, { error: (iss) => `version ${JSON.stringify(iss.input)} is not one this stns-fleet applies (it writes and reads version ${PLAN_VERSION})` }),
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
    throw new FleetError('USAGE', `${file}: not a readable plan file (${(e as Error).message})`, { hint: REMAKE });
  }
  const r = PlanFileSchema.safeParse(raw);
  if (!r.success) {
    const problems = r.error.issues.slice(0, 10).map((i) => `${file}: ${fieldPath(i.path)}: ${i.code === 'unrecognized_keys' ? `unknown key(s) ${i.keys.join(', ')}` : i.message}`);
    throw new FleetError('USAGE', `${file} is not a valid stns-fleet plan (version ${PLAN_VERSION}): nothing was applied`, { details: problems, hint: REMAKE });
  }
  return r.data;
}
