// What apply did, and a summary; the same facts as JSON for machines (every host). The text says each thing
// once: changed and unchanged hosts per unit, with how many; the others (skipped, cancelled, drifted,
// failed, in that order, nearest the summary) one entry per reason with the hosts it applies to and the
// tail of their output, each different tail once. A group of one host is one line, as `outcome host: why`.
// Host lists name the first few and how many more; --verbose names every host and every tail.
import type { FleetPlan } from '../plan/fleet-plan.js';
import { planned, type ApplyReport } from '../apply/rollout.js';
import type { HostOutcome } from '../apply/outcome.js';
import { firstFew, groupBy, groupsLabel, HostLists } from './host-groups.js';
import { hostLabel } from './host-label.js';

export interface ApplyTextOptions {
  /** Every host and every different output tail (default: the first few of each group). */
  verbose?: boolean;
}

const ORDER: HostOutcome['outcome'][] = ['changed', 'unchanged', 'skipped', 'cancelled', 'drifted', 'failed'];
const PER_UNIT = new Set<HostOutcome['outcome']>(['changed', 'unchanged']);
/** Different output tails shown per group (all with --verbose). */
const TAILS = 3;
const HOSTS_AT = ' '.repeat(12);
const TAIL_AT = ' '.repeat(14);

export function applyText(plan: FleetPlan, r: ApplyReport, o: ApplyTextOptions = {}): string {
  const verbose = o.verbose === true;
  const lists = new HostLists(verbose);
  const hosts = new Map(plan.hosts.map((h) => [h.id, h]));
  const canary = new Set(r.canary);
  const label = (id: string, withGroup: boolean): string => {
    const h = hosts.get(id);
    return `${hostLabel({ id, name: h?.name, ...(withGroup ? { group: h?.group ?? '?' } : {}) })}${canary.has(id) ? ' (canary)' : ''}`;
  };
  const why = (x: HostOutcome): string => `${x.detail ? `: ${x.detail}` : ''}${x.status && x.outcome === 'failed' ? ` [${x.status}]` : ''}`;
  const lines: string[] = ['', 'Results:'];
  for (const kind of ORDER) {
    const of = r.outcomes.filter((x) => x.outcome === kind);
    const key = (x: HostOutcome): string => (PER_UNIT.has(kind) ? `${hosts.get(x.id)?.unit ?? ''}\0${x.detail ?? ''}` : `${x.detail ?? ''}\0${x.status ?? ''}`);
    for (const g of groupBy(of, key)) {
      const x = g[0]!;
      const head = `  ${kind.padEnd(9)} `;
      if (g.length === 1) lines.push(`${head}${label(x.id, true)}${why(x)}`);
      else {
        const unit = hosts.get(x.id)?.unit;
        const where = PER_UNIT.has(kind) && unit ? `in ${unit}` : groupsLabel(g.map((y) => hosts.get(y.id)?.group ?? '?'));
        lines.push(
          `${head}${g.length} host(s) ${where}${why(x)}`,
          ...lists.lines(
            g.map((y) => label(y.id, false)),
            HOSTS_AT,
          ),
        );
      }
      if (kind === 'failed' || kind === 'cancelled') lines.push(...tailLines(g, lists, (id) => label(id, false)));
    }
  }
  const count = (k: string): number => r.outcomes.filter((x) => x.outcome === k).length;
  lines.push(
    '',
    `Apply: ${count('changed')} changed, ${count('unchanged')} unchanged, ${count('drifted')} drifted, ${count('failed')} failed, ${count('cancelled')} cancelled, ${count('skipped')} skipped.`,
  );
  if (r.stopped) lines.push(`Stopped: ${r.stopped}.`);
  if (count('drifted') > 0) lines.push('Drifted hosts were not touched: run `stns-fleet plan` again to see their current state.');
  lines.push(...lists.hint());
  return `${lines.join('\n')}\n`;
}

/** The tails of a group's output, each different one once (the first few unless verbose): alone when every
 * host of the group printed it, else under the hosts that did. */
function tailLines(g: HostOutcome[], lists: HostLists, label: (id: string) => string): string[] {
  const tails = groupBy(
    g.filter((x) => (x.tail ?? []).length > 0),
    (x) => (x.tail ?? []).join('\n'),
  );
  const bar = (x: HostOutcome): string[] => (x.tail ?? []).map((t) => `${TAIL_AT}| ${t}`);
  if (tails.length === 1 && tails[0]!.length === g.length) return bar(tails[0]![0]!);
  const { shown, more } = firstFew(tails, lists.verbose, TAILS, TAILS);
  const out: string[] = [];
  for (const t of shown) out.push(`${HOSTS_AT}output of ${lists.inline(t.map((x) => label(x.id)))}:`, ...bar(t[0]!));
  if (more > 0) out.push(`${HOSTS_AT}… and ${more} more different outputs (--verbose shows every one)`);
  return out;
}

export function applyJson(plan: FleetPlan, r: ApplyReport | undefined): unknown {
  // Nothing applied: each host as the plan has it (the same outcomes, so the same counts, as a rollout's).
  const outcomes = r?.outcomes ?? plan.hosts.map((h) => planned(h) ?? { id: h.id, outcome: 'skipped', detail: h.reason });
  const summary: Record<string, number> = {};
  for (const o of outcomes) summary[o.outcome] = (summary[o.outcome] ?? 0) + 1;
  const groups = new Map(plan.hosts.map((h) => [h.id, h.group]));
  return { summary, stopped: r?.stopped ?? null, canary: r?.canary ?? [], hosts: outcomes.map((o) => ({ ...o, group: groups.get(o.id) })) };
}
