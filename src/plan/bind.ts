// Binding a saved plan to the fleet as it is now. apply never sends what it did not derive itself: it plans
// afresh from the inventory (groups, hosts, tokens, templates) and the hosts (state, seal keys), then applies
// to a host only what the saved plan shows for it, byte for byte. So editing a plan file can take a host out
// of a run but never add a host, a line of script, another group's token or a foreign seal key:
//   - a host the saved plan lists that the inventory does not select, or puts in another group: refused;
//   - a host whose state is what the plan saw but whose script, sealed files or checks differ from what
//     stns-fleet renders for that state: refused (the file was edited, or templates or secrets changed);
//   - a host whose state changed since the plan: not touched (drifted), the others go on;
//   - a host to change now that the saved plan did not change: not touched.
// Any refusal refuses the whole apply, before a single command is sent.
// A --limit narrows a saved plan, never widens it: the fresh plan then holds only the hosts within the limit
// (the others were not even discovered as candidates: no command reaches them), a host of the saved plan
// outside the limit is left out of this run rather than refused, and a host within it is bound as above.
import { UserError } from '../errors.js';
import { limitTest, type HostLimit } from '../targets/limit.js';
import type { FleetPlan, PlannedHost, PlanUnit } from './fleet-plan.js';
import type { SavedPlan } from './plan-file.js';

const REPLAN = 'run `stns-fleet plan --out FILE` again, review it, and apply the new file';

type SavedUnit = SavedPlan['units'][number];

function sameScript(a: SavedUnit, b: PlanUnit): boolean {
  return (
    a.group === b.group &&
    a.digest === b.digest &&
    JSON.stringify(a.draft ?? null) === JSON.stringify(b.draft ?? null) &&
    JSON.stringify(a.expect) === JSON.stringify(b.expect) &&
    JSON.stringify(a.changes?.packages ?? null) === JSON.stringify(b.changes?.packages ?? null)
  );
}

export function bindSavedPlan(saved: SavedPlan, fresh: FleetPlan, file: string, limit?: HostLimit): FleetPlan {
  const savedUnits = new Map(saved.units.map((u) => [u.id, u]));
  const freshUnits = new Map(fresh.units.map((u) => [u.id, u]));
  const freshHosts = new Map(fresh.hosts.map((h) => [h.id, h]));
  const savedHosts = new Map(saved.hosts.map((h) => [h.id, h]));
  const inLimit = limitTest(limit);
  const refuse = (why: string): never => {
    throw new UserError(`${file}: ${why}; nothing was applied`, { hint: REPLAN });
  };

  for (const h of saved.hosts) {
    const f = freshHosts.get(h.id);
    if (!f && !inLimit(h)) continue; // outside --limit: not part of this run
    if (!f) refuse(`host ${h.id} is in the plan but the inventory does not select it${limit ? ' (within --limit)' : ''}`);
    if (f!.group !== h.group) refuse(`host ${h.id} is in group "${h.group}" in the plan but in "${f!.group}" in the inventory`);
    if (h.status !== 'change') continue;
    const su = h.unit ? savedUnits.get(h.unit) : undefined;
    if (!su?.draft) refuse(`host ${h.id} is to change but its unit ${h.unit ?? '(none)'} has no script`);
    if (su!.group !== h.group) refuse(`unit ${su!.id} is for group "${su!.group}" but host ${h.id} is in "${h.group}"`);
  }

  const hosts = fresh.hosts.map((f): PlannedHost => {
    if (f.status !== 'change') return f;
    const s = savedHosts.get(f.id);
    if (!s || s.status !== 'change') return { ...f, status: 'skipped', reason: 'not in the reviewed plan as a host to change: nothing sent' };
    const su = savedUnits.get(s.unit!)!;
    const fu = freshUnits.get(f.unit!)!;
    if (su.digest !== fu.digest) {
      const paths = [...new Set([...Object.keys(su.files), ...Object.keys(fu.files)])].filter((p) => su.files[p] !== fu.files[p]).sort();
      return { ...f, status: 'skipped', drifted: paths, reason: `changed since the plan: ${paths.join(', ') || 'its state'}; nothing was sent` };
    }
    if (!sameScript(su, fu)) {
      refuse(`the plan's script for ${f.id} (unit ${su.id}) is not what stns-fleet renders for the state it recorded: the file was edited, or the templates or secrets differ`);
    }
    return f;
  });
  return { ...fresh, hosts };
}
