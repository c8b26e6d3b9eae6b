// The plan for people: per unit of hosts that share one change, the hosts, what sshd and NSS will do, the
// packages, and the redacted diff of every file; then the hosts that get nothing and why; then a summary.
import { countByStatus, type FleetPlan, type PlanUnit } from '../plan/fleet-plan.js';
import type { Fleet } from '../targets/fleet.js';
import { unitDiffs } from './diff.js';
import { hostLabel } from './host-label.js';
import { describeChanges } from './plan-summary.js';

function hostList(ids: string[], names: Map<string, string | undefined>, max = 8): string {
  const shown = ids.slice(0, max).map((id) => (names.get(id) ? `${id} (${names.get(id)})` : id));
  return ids.length > max ? `${shown.join(', ')} … and ${ids.length - max} more` : shown.join(', ');
}

function unitHeader(u: PlanUnit, names: Map<string, string | undefined>): string {
  return `## ${u.id}: ${u.hostIds.length} host(s), group ${u.group}, ${u.profile ?? 'unknown OS'} (${u.arch})\n   ${hostList(u.hostIds, names)}`;
}

export function planText(p: FleetPlan, fleet?: Fleet): string {
  const names = new Map(p.hosts.map((h) => [h.id, h.name]));
  const out: string[] = [];
  const changing = p.units.filter((u) => u.changed && u.problems.length === 0);
  const broken = p.units.filter((u) => u.problems.length > 0);
  for (const u of changing) {
    out.push(unitHeader(u, names), ...(u.changes ? describeChanges(u.changes) : []).map((l) => `   ${l}`));
    for (const w of u.warnings) out.push(`   warning: ${w}`);
    for (const n of u.notes) out.push(`   note: ${n}`);
    out.push('', ...unitDiffs(u).map((d) => d.trimEnd()), '');
  }
  for (const u of broken) {
    out.push(unitHeader(u, names), ...u.problems.map((x) => `   error: ${x}`), ...u.notes.map((n) => `   note: ${n}`), '');
  }
  const same = p.units.filter((u) => !u.changed && u.problems.length === 0);
  if (same.length > 0) out.push(`Already converged: ${same.map((u) => `${u.id} (${u.hostIds.length} host(s))`).join(', ')}`);
  for (const u of same) for (const n of u.notes) out.push(`   note (${u.id}): ${n}`);
  const other = p.hosts.filter((h) => h.status === 'skipped' || h.status === 'unreachable' || (h.status === 'error' && !broken.some((u) => u.id === h.unit)));
  if (other.length > 0) {
    out.push('', 'Not planned:');
    for (const h of other) out.push(`   ${h.status.padEnd(11)} ${hostLabel(h)}: ${h.reason ?? ''}`);
  }
  for (const n of fleet?.notFound ?? []) out.push(`   not found   ${n.id} [${n.group}]: neither EC2 nor SSM knows this ID`);
  const c = countByStatus(p);
  out.push(
    '',
    `Plan: ${c.change} to change, ${c.unchanged} unchanged, ${c.skipped} skipped, ${c.unreachable} unreachable, ${c.error} with errors.`,
  );
  return `${out.join('\n').replace(/^\n+/, '')}\n`;
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
