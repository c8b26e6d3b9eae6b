// The plan for people, sized by its distinct changes rather than its hosts. First what will not happen: the
// units that cannot be planned (with their errors) and the hosts that get nothing, one line per reason with
// the hosts it applies to. Then per unit of hosts that share one change: the hosts (the first few, or every
// one with --verbose), what sshd and NSS will do, the packages, and the redacted diff of every file (a diff
// already shown for another unit is named, not repeated). Then the units already converged and the counts.
// The summary form (apply's, before a rollout it does not ask about) has one line per unit and no diffs.
import { countByStatus, type FleetPlan, type PlannedHost, type PlanUnit } from '../plan/fleet-plan.js';
import type { Fleet } from '../targets/fleet.js';
import { formatFileDiff } from './diff.js';
import { groupBy, groupsLabel, HostLists } from './host-groups.js';
import { hostLabel } from './host-label.js';
import { describeChanges } from './plan-summary.js';

export interface PlanTextOptions {
  /** Every host of every unit and reason (default: the first few of each, and how many more). */
  verbose?: boolean;
}

/** A host the plan does nothing on, and why: as planned, or an ID nobody knows. */
export interface NotPlanned {
  status: 'error' | 'drifted' | 'unreachable' | 'skipped' | 'not found';
  id: string;
  name?: string;
  group: string;
  reason: string;
}

const ORDER: NotPlanned['status'][] = ['error', 'drifted', 'unreachable', 'skipped', 'not found'];

/** The units of a plan by what they need: changes, nothing (converged), or cannot be planned (broken). */
export function unitsOf(p: FleetPlan): { changing: PlanUnit[]; broken: PlanUnit[]; converged: PlanUnit[] } {
  return {
    changing: p.units.filter((u) => u.changed && u.problems.length === 0),
    broken: p.units.filter((u) => u.problems.length > 0),
    converged: p.units.filter((u) => !u.changed && u.problems.length === 0),
  };
}

/** Every host the plan does nothing on but those of a unit that cannot be planned (shown with their unit),
 * problems first: errors, drifted, unreachable, skipped, not found. */
export function notPlanned(p: FleetPlan, fleet?: Fleet): NotPlanned[] {
  const broken = new Set(unitsOf(p).broken.map((u) => u.id));
  const of = (h: PlannedHost): NotPlanned | undefined => {
    const base = { id: h.id, group: h.group, ...(h.name ? { name: h.name } : {}), reason: h.reason ?? '' };
    if (h.drifted) return { ...base, status: 'drifted' };
    if (h.status === 'skipped' || h.status === 'unreachable') return { ...base, status: h.status };
    if (h.status === 'error' && !(h.unit && broken.has(h.unit))) return { ...base, status: 'error' };
    return undefined;
  };
  const all = [
    ...p.hosts.flatMap((h) => of(h) ?? []),
    ...(fleet?.notFound ?? []).map((n): NotPlanned => ({ status: 'not found', id: n.id, group: n.group, reason: 'neither EC2 nor SSM knows this ID' })),
  ];
  return ORDER.flatMap((s) => all.filter((h) => h.status === s));
}

const nameOf = (names: Map<string, string | undefined>, id: string): string => hostLabel({ id, name: names.get(id) });

/** How many of a changing unit's hosts will not be changed (no openssl, drifted: listed with the reasons). */
function notChanging(p: FleetPlan, u: PlanUnit): number {
  return p.hosts.filter((h) => h.unit === u.id && h.status !== 'change').length;
}

function unitHeader(u: PlanUnit, names: Map<string, string | undefined>, lists: HostLists, apart = 0): string[] {
  return [
    `## ${u.id}: ${u.hostIds.length} host(s), group ${u.group}, ${u.profile ?? 'unknown OS'} (${u.arch})${apart > 0 ? `; ${apart} of them not planned (above)` : ''}`,
    ...lists.lines(
      u.hostIds.map((id) => nameOf(names, id)),
      '   ',
    ),
  ];
}

/** What will not happen: the units that cannot be planned, then the hosts that get nothing, one line per
 * reason (and the hosts it applies to). Empty when the plan covers every host. */
function problemLines(p: FleetPlan, fleet: Fleet | undefined, lists: HostLists): string[] {
  const names = new Map(p.hosts.map((h) => [h.id, h.name]));
  const out: string[] = [];
  const { broken } = unitsOf(p);
  if (broken.length > 0) out.push('Cannot be planned:');
  for (const u of broken) {
    out.push(...unitHeader(u, names, lists), ...u.problems.map((x) => `   error: ${x}`), ...u.notes.map((n) => `   note: ${n}`), '');
  }
  const other = notPlanned(p, fleet);
  if (other.length > 0) {
    out.push('Not planned:');
    for (const g of groupBy(other, (h) => `${h.status}\0${h.reason}`)) {
      const h = g[0]!;
      if (g.length === 1) out.push(`   ${h.status.padEnd(11)} ${hostLabel(h)}: ${h.reason}`);
      else {
        out.push(
          `   ${h.status.padEnd(11)} ${g.length} host(s) ${groupsLabel(g.map((x) => x.group))}: ${h.reason}`,
          ...lists.lines(
            g.map((x) => hostLabel({ id: x.id, name: x.name })),
            ' '.repeat(15),
          ),
        );
      }
    }
    out.push('');
  }
  return out;
}

function countsLine(p: FleetPlan): string {
  const c = countByStatus(p);
  return `Plan: ${c.change} to change, ${c.unchanged} unchanged, ${c.skipped} skipped, ${c.unreachable} unreachable, ${c.error} with errors.`;
}

/** The units with nothing to do, on one line; verbose, each with its hosts. */
function convergedLines(converged: PlanUnit[], notes: boolean, lists: HostLists, names: Map<string, string | undefined>): string[] {
  if (converged.length === 0) return [];
  const out = [`Already converged: ${converged.map((u) => `${u.id} (${u.hostIds.length} host(s))`).join(', ')}`];
  if (lists.verbose) {
    for (const u of converged) {
      out.push(
        `   ${u.id}:`,
        ...lists.lines(
          u.hostIds.map((id) => nameOf(names, id)),
          '      ',
        ),
      );
    }
  }
  if (notes) for (const u of converged) for (const n of u.notes) out.push(`   note (${u.id}): ${n}`);
  return out;
}

const finish = (out: string[]): string => `${out.join('\n').replace(/^\n+/, '')}\n`;

export function planText(p: FleetPlan, fleet?: Fleet, o: PlanTextOptions = {}): string {
  const lists = new HostLists(o.verbose === true);
  const names = new Map(p.hosts.map((h) => [h.id, h.name]));
  const { changing, converged } = unitsOf(p);
  const out = problemLines(p, fleet, lists);
  /** Each distinct file diff is printed once: the unit it was first shown for. */
  const shown = new Map<string, string>();
  for (const u of changing) {
    out.push(...unitHeader(u, names, lists, notChanging(p, u)), ...(u.changes ? describeChanges(u.changes) : []).map((l) => `   ${l}`));
    for (const w of u.warnings) out.push(`   warning: ${w}`);
    for (const n of u.notes) out.push(`   note: ${n}`);
    out.push('');
    const same = new Map<string, string[]>();
    for (const f of (u.changes?.files ?? []).filter((x) => x.action !== 'noop')) {
      const d = formatFileDiff(f);
      const first = shown.get(d);
      if (first) same.set(first, [...(same.get(first) ?? []), f.path]);
      else {
        shown.set(d, u.id);
        out.push(d.trimEnd());
      }
    }
    for (const [first, paths] of same) out.push(`(the same diff as ${first}, above: ${paths.join(', ')})`);
    out.push('');
  }
  out.push(...convergedLines(converged, true, lists, names), '', countsLine(p), ...lists.hint());
  return finish(out);
}

function filesToChange(u: PlanUnit): number {
  return (u.changes?.files ?? []).filter((f) => !f.absent && f.action !== 'noop').length;
}

/** The plan in short, for apply when it will not ask (`--yes`): what will not happen, as in the plan, then one
 * line per unit to change (how many hosts and files, the packages), its warnings, the units already converged
 * and the counts. No host lists of units, no diffs. */
export function planSummaryText(p: FleetPlan, fleet?: Fleet, o: PlanTextOptions = {}): string {
  const lists = new HostLists(o.verbose === true);
  const names = new Map(p.hosts.map((h) => [h.id, h.name]));
  const { changing, converged } = unitsOf(p);
  const out = problemLines(p, fleet, lists);
  if (changing.length > 0) out.push('To change:');
  for (const u of changing) {
    const install = u.changes?.packages.state === 'install' ? `; installs ${u.changes.packages.packages.join(' ')}` : '';
    const apart = notChanging(p, u);
    const hosts = apart > 0 ? `${u.hostIds.length - apart} of ${u.hostIds.length} host(s)` : `${u.hostIds.length} host(s)`;
    out.push(`   ${u.id}: ${hosts}, group ${u.group}, ${u.profile ?? 'unknown OS'} (${u.arch}): ${filesToChange(u)} file(s) to change${install}`);
    for (const w of u.warnings) out.push(`      warning: ${w}`);
  }
  out.push(...convergedLines(converged, false, lists, names), '', countsLine(p), 'The plan in short: --verbose shows it in full (diffs, every host).');
  return finish(out);
}

/** The plan as JSON for machines: everything but the host-script drafts (and the hosts' seal keys). */
export function planJson(p: FleetPlan, fleet?: Fleet): unknown {
  return {
    summary: countByStatus(p),
    createdAt: p.createdAt,
    inventory: p.inventory,
    units: p.units.map(({ draft: _d, ...u }) => u),
    hosts: p.hosts.map(({ sealKey: _k, ...h }) => h),
    notFound: fleet?.notFound ?? [],
  };
}
