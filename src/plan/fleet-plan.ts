// Facts → the fleet plan: per (group, distinct host state) one desired state, one file plan, its changes as
// data (changes.ts) and one host-script draft, shared by every host in that unit. Pure: no AWS, no I/O, no
// text for people (the views in src/output/ draw it). The result is JSON-ready so that `plan --out` can save
// it and `apply plan.json` can apply exactly it; it never holds a secret (secret-bearing files are drafts
// with placeholders; hashes are of the rendered files; diffs are of the redacted forms).
import { identityOf, isRaspberryPi } from '../model/host-identity.js';
import { draftHostScript } from './host-script.js';
import { groupOs, hostSettingsFor } from '../inventory/resolve.js';
import type { Inventory } from '../inventory/schema.js';
import { hostChanges, type HostChanges } from './changes.js';
import { hasChanges, planHost, sha256 } from './host-plan.js';
import { chooseProfile } from '../profiles/index.js';
import { desiredState } from '../render/desired.js';
import type { SecretValues } from '../render/secrets.js';
import type { Templates } from '../render/templates.js';
import type { HostState } from '../facts/facts.js';
import type { Gathered } from '../facts/gather.js';
import type { Fleet } from '../targets/fleet.js';

type HostPlanStatus = 'change' | 'unchanged' | 'skipped' | 'unreachable' | 'error';

export interface PlannedHost {
  id: string;
  group: string;
  name?: string;
  status: HostPlanStatus;
  /** The unit (shared change) this host belongs to. */
  unit?: string;
  reason?: string;
  /** Seal public key from the facts (base64 DER): what apply encrypts the token to. Never saved. */
  sealKey?: string;
  /** Set by binding a saved plan (src/plan/bind.ts): the files that changed since that plan. Never saved. */
  drifted?: string[];
}

export interface PlanUnit {
  id: string;
  group: string;
  digest: string;
  /** sha256 of every file the facts showed (stns.conf redacted): the state `digest` stands for, file by file. */
  files: Record<string, string>;
  profile?: string;
  arch: string;
  hostIds: string[];
  changed: boolean;
  /** Per managed file what happens (with the redacted diff), the effective sshd keys command and NSS order
   * before → after, the packages. Absent when no OS profile could be chosen for the unit (see problems). */
  changes?: HostChanges;
  problems: string[];
  warnings: string[];
  /** What needs no action but is worth knowing (package repository chosen and why, end of vendor support, what
   * harden_sudo changes): shown for every unit, converged or not. */
  notes: string[];
  /** The host script without its secrets (files that carry the token are markers, sealed at apply). */
  draft?: { text: string; sealed: string[] };
  /** What verify checks after apply: sshd -T with these options must show this keys command. */
  expect: { testOptions: string[]; keysCommand?: string; keysCommandUser?: string };
}

export interface InventoryRef {
  /** Absolute path, so a saved plan applies from any directory. */
  path: string;
  /** sha256 of the inventory's bytes when the plan was made: apply refuses an inventory changed since. */
  sha256: string;
}

export interface FleetPlan {
  format: 'stns-fleet-plan';
  version: 3;
  createdAt: string;
  inventory: InventoryRef;
  /** The groups planned (-g), so apply of a saved plan looks at the same hosts. */
  groups: string[];
  units: PlanUnit[];
  hosts: PlannedHost[];
}

interface PlanInput {
  inventory: Inventory;
  inventoryRef: InventoryRef;
  groups: string[];
  fleet: Fleet;
  gathered: Gathered;
  templates: Templates;
  /** Resolved secrets per group (their hashes are in the plan; the values are not). */
  secrets: Map<string, SecretValues>;
  now?: Date;
}

function isPi(s: HostState): boolean {
  return s.probes.has('/etc/rpi-issue') || isRaspberryPi(s.snapshot);
}

function planUnit(i: PlanInput, group: string, state: HostState, id: string, fullSha: ReadonlyMap<string, string>): PlanUnit {
  const settings = hostSettingsFor(i.inventory, group);
  const identity = identityOf(state.snapshot, state.arch, { raspberryPi: isPi(state) });
  const files = Object.fromEntries([...state.snapshot.files].map(([p, b]) => [p, sha256(b)]).sort(([a], [b]) => (a! < b! ? -1 : 1)));
  const base: PlanUnit = { id, group, digest: state.digest, files, arch: state.machine, hostIds: [], changed: false, problems: [], warnings: [], notes: [], expect: { testOptions: [] } };
  // The unit header names the group; the message names what the inventory says and what the host is.
  const chosen = chooseProfile(identity, groupOs(i.inventory, group));
  if ('error' in chosen) return { ...base, problems: [chosen.error] };
  const wanted = ['libnss-stns-v2', ...(settings.stns.cached.enable ? ['cache-stnsd'] : [])];
  const desired = desiredState({
    profile: chosen,
    identity,
    snapshot: state.snapshot,
    settings,
    templates: i.templates,
    packagesInstalled: wanted.every((p) => state.packages[p] === true),
  });
  const hp = planHost(desired, { files: state.snapshot.files, fullSha }, i.secrets.get(group) ?? {});
  const changed = hasChanges(hp) || desired.packages !== null;
  const after = desired.sshd.after ?? desired.sshd.before;
  return {
    ...base,
    profile: chosen.id,
    changed,
    changes: hostChanges(hp),
    problems: desired.problems,
    warnings: desired.warnings,
    notes: desired.notes,
    ...(changed && desired.problems.length === 0 ? { draft: serializeDraft(draftHostScript(hp, i.templates)) } : {}),
    expect: {
      testOptions: desired.sshd.testOptions,
      ...(after ? { keysCommand: after.command, keysCommandUser: after.user } : {}),
    },
  };
}

function serializeDraft(d: { text: string; sealed: Buffer[] }): { text: string; sealed: string[] } {
  return { text: d.text, sealed: d.sealed.map((b) => b.toString('base64')) };
}

export function buildFleetPlan(i: PlanInput): FleetPlan {
  const units = new Map<string, PlanUnit>();
  const hosts: PlannedHost[] = [];
  let n = 0;
  for (const h of i.fleet.hosts) {
    const base = { id: h.id, group: h.group, ...(h.name ? { name: h.name } : {}) };
    if (h.skip) {
      hosts.push({ ...base, status: 'skipped', reason: h.skip });
      continue;
    }
    const f = i.gathered.hosts.get(h.id);
    const state = f?.header ? i.gathered.states.get(f.header.digest) : undefined;
    if (!f?.header || !state) {
      hosts.push({ ...base, status: 'unreachable', reason: f?.error ?? 'no facts' });
      continue;
    }
    // Hosts share a unit when they share a group, a state and the real digest of their secret-bearing files
    // (held in memory only: a digest of a file that carries a token never goes into the plan).
    const fullSha = f.fullSha ?? new Map<string, string>();
    const key = `${h.group}\0${state.digest}\0${[...fullSha].sort().join(' ')}`;
    let u = units.get(key);
    if (!u) {
      u = planUnit(i, h.group, state, `${h.group}#${++n}`, fullSha);
      units.set(key, u);
    }
    u.hostIds.push(h.id);
    const sealKey = f.header.sealKey ?? undefined;
    const withKey = { ...base, unit: u.id, ...(sealKey ? { sealKey } : {}) };
    if (u.problems.length > 0) hosts.push({ ...withKey, status: 'error', reason: u.problems.join('; ') });
    else if (!u.changed) hosts.push({ ...withKey, status: 'unchanged' });
    else if (u.draft && u.draft.sealed.length > 0 && !sealKey) {
      hosts.push({ ...withKey, status: 'error', reason: 'no openssl on the host: the auth token cannot be sent to it sealed' });
    } else hosts.push({ ...withKey, status: 'change' });
  }
  return {
    format: 'stns-fleet-plan',
    version: 3,
    createdAt: (i.now ?? new Date()).toISOString(),
    inventory: i.inventoryRef,
    groups: i.groups,
    units: [...units.values()],
    hosts,
  };
}

export function countByStatus(p: FleetPlan): Record<HostPlanStatus, number> {
  const c: Record<HostPlanStatus, number> = { change: 0, unchanged: 0, skipped: 0, unreachable: 0, error: 0 };
  for (const h of p.hosts) c[h.status]++;
  return c;
}

/** terraform plan -detailed-exitcode: 0 nothing to do, 2 changes, 1 some host could not be planned. */
export function planExitCode(p: FleetPlan): number {
  const c = countByStatus(p);
  if (c.error > 0 || c.unreachable > 0) return 1;
  return c.change > 0 ? 2 : 0;
}
