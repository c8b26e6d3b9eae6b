// The reactivation plan: what detection found, turned into what will be done with each suspect ID (move its
// boards, retire it offline, or report that it cannot be moved) and what each group's activation needs. A
// plain value: --dry-run and the confirmation show it (plannedReport), run.ts carries it out.
import type { MissingBoard, Suspect } from '../clones.js';
import type { PiSettings } from '../settings.js';
import type { Detected } from './detect.js';
import { idReport, offlineBoard, seenRow, type ReactivateReport } from './report.js';

/** Online, and its group has pi.iam_role: move every board behind it, one at a time. */
export interface MovePlan {
  kind: 'move';
  suspect: Suspect;
  /** Boards moved at most: the inventory's count, else every board that answers up to maxBoards. */
  cap: number;
  /** The old ID's own tags, as discovered. */
  tags: Record<string, string>;
}

export type IdPlan =
  | MovePlan
  /** Online, but its group has no pi.iam_role: no activation can be created for it. */
  | { kind: 'no-role'; suspect: Suspect }
  /** Offline: deregister it once every board its group lists answers under its own ID. */
  | { kind: 'retire'; suspect: Suspect; pi: PiSettings };

export interface GroupPlan {
  group: string;
  pi: PiSettings;
  /** Tags of the group's cloned IDs (not Name, stns-fleet:*, aws:*): the activation copies them to every node
   * that registers, so the new IDs match the group's tag selectors from their first ping. */
  inherit: Record<string, string>;
  /** Registrations the group's first activation is sized for (one per expected board of its online IDs). */
  registrations: number;
}

export interface ReactivationPlan {
  /** In detection's order. */
  ids: IdPlan[];
  /** The groups with an ID to move. */
  groups: Map<string, GroupPlan>;
  /** Per group: listed boards no online node reported. */
  missing: Map<string, MissingBoard[]>;
  suspects: Suspect[];
}

export function inheritable(tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).filter(([k]) => k !== 'Name' && !k.startsWith('stns-fleet:') && !k.startsWith('aws:')));
}

export function planOf(d: Detected, maxBoards: number): ReactivationPlan {
  const suspects = d.detection.suspects;
  const tagsOf = (id: string): Record<string, string> => d.nodes.get(id)!.host.tags;
  const ids: IdPlan[] = suspects.map((s) => {
    if (!s.online) return { kind: 'retire', suspect: s, pi: d.pi.get(s.group)! };
    if (!d.pi.get(s.group)!.iamRole) return { kind: 'no-role', suspect: s };
    const cap = s.expectedFrom === 'inventory' ? s.expected : Math.max(s.expected, maxBoards);
    return { kind: 'move', suspect: s, cap, tags: tagsOf(s.id) };
  });
  const groups = new Map<string, GroupPlan>();
  for (const p of ids) {
    if (p.kind !== 'move' || groups.has(p.suspect.group)) continue;
    const group = p.suspect.group;
    const mine = suspects.filter((x) => x.group === group);
    const inherit: Record<string, string> = {};
    for (const x of [...mine].reverse()) Object.assign(inherit, inheritable(tagsOf(x.id))); // the first suspect's value wins
    const registrations = mine.filter((x) => x.online).reduce((n, x) => n + Math.max(1, x.expected), 0);
    groups.set(group, { group, pi: d.pi.get(group)!, inherit, registrations });
  }
  return { ids, groups, missing: d.detection.missing, suspects };
}

/** Online IDs first: retiring an offline one depends on which listed boards the others moved. */
export function executionOrder(plan: ReactivationPlan): IdPlan[] {
  return [...plan.ids.filter((p) => p.kind !== 'retire'), ...plan.ids.filter((p) => p.kind === 'retire')];
}

/** The report of what would be done: every suspect 'planned' and its seen boards to move, except an ID no
 * activation can be made for (no pi.iam_role), which stays 'kept' with its boards, as the run would leave it;
 * listed boards not seen, offline. */
export function plannedReport(plan: ReactivationPlan, base: ReactivateReport): ReactivateReport {
  const r: ReactivateReport = { ...base, warnings: [...base.warnings], ids: [], boards: [], activations: [] };
  for (const p of plan.ids) {
    const s = p.suspect;
    if (p.kind === 'no-role') {
      r.ids.push(idReport(s, 'kept', `its boards cannot be moved: group ${s.group} has no pi.iam_role (the IAM role a hybrid activation needs); set it to move them`));
      for (const b of s.boards) r.boards.push(seenRow(s, b, 'kept', 'not movable: set pi.iam_role for this group'));
      continue;
    }
    r.ids.push(idReport(s, 'planned', plannedText(p)));
    for (const b of s.boards) r.boards.push(seenRow(s, b, 'planned', 'to move to a new ID'));
  }
  for (const [group, miss] of plan.missing) for (const m of miss) r.boards.push(offlineBoard(group, m, plan.suspects));
  return r;
}

/** What would be done, as the view prints it: after "would". */
function plannedText(p: MovePlan | Extract<IdPlan, { kind: 'retire' }>): string {
  const s = p.suspect;
  switch (p.kind) {
    case 'retire':
      return 'deregister it (it is offline) once every board listed for its group answers under its own ID';
    case 'move':
      return `move ${s.expectedFrom === 'inventory' ? `its ${s.expected} board(s)` : `every board behind it (${s.boards.length} seen so far)`} to new IDs, then deregister it`;
    default:
      return p satisfies never;
  }
}
