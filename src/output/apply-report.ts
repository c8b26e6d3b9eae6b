// What apply did, host by host, and a summary; the same facts as JSON for machines.
import type { FleetPlan } from '../plan/fleet-plan.js';
import { planned, type ApplyReport } from '../apply/rollout.js';
import { hostLabel } from './host-label.js';

export function applyText(plan: FleetPlan, r: ApplyReport): string {
  const names = new Map(plan.hosts.map((h) => [h.id, h]));
  const lines: string[] = ['', 'Results:'];
  for (const o of r.outcomes) {
    const h = names.get(o.id);
    const who = hostLabel({ ...h, id: o.id, group: h?.group ?? '?' });
    const canary = r.canary.includes(o.id) ? ' (canary)' : '';
    lines.push(`  ${o.outcome.padEnd(9)} ${who}${canary}${o.detail ? `: ${o.detail}` : ''}${o.status && o.outcome === 'failed' ? ` [${o.status}]` : ''}`);
    if (o.outcome === 'failed' || o.outcome === 'cancelled') for (const t of o.tail ?? []) lines.push(`              | ${t}`);
  }
  const count = (k: string): number => r.outcomes.filter((o) => o.outcome === k).length;
  lines.push(
    '',
    `Apply: ${count('changed')} changed, ${count('unchanged')} unchanged, ${count('drifted')} drifted, ${count('failed')} failed, ${count('cancelled')} cancelled, ${count('skipped')} skipped.`,
  );
  if (r.stopped) lines.push(`Stopped: ${r.stopped}.`);
  if (count('drifted') > 0) lines.push('Drifted hosts were not touched: run `stns-fleet plan` again to see their current state.');
  return `${lines.join('\n')}\n`;
}

export function applyJson(plan: FleetPlan, r: ApplyReport | undefined): unknown {
  // Nothing applied: each host as the plan has it (the same outcomes, so the same counts, as a rollout's).
  const outcomes = r?.outcomes ?? plan.hosts.map((h) => planned(h) ?? { id: h.id, outcome: 'skipped', detail: h.reason });
  const summary: Record<string, number> = {};
  for (const o of outcomes) summary[o.outcome] = (summary[o.outcome] ?? 0) + 1;
  const groups = new Map(plan.hosts.map((h) => [h.id, h.group]));
  return { summary, stopped: r?.stopped ?? null, canary: r?.canary ?? [], hosts: outcomes.map((o) => ({ ...o, group: groups.get(o.id) })) };
}
