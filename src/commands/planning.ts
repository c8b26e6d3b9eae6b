// The shared front half of plan, apply and verify: discover the hosts, gather their facts, build the plan.
import { gatherFacts, type Gathered } from '../fleet/gather.js';
import { online, resolveFleet, type Fleet } from '../fleet/hosts.js';
import { buildFleetPlan, countByStatus, type FleetPlan } from '../fleet/plan.js';
import type { ProgressMode, Step } from '../output/progress.js';
import { runSteps } from '../output/progress.js';
import type { SecretValues } from '../render/secrets.js';
import type { Session } from './session.js';

export interface Planned {
  fleet: Fleet;
  gathered: Gathered;
  plan: FleetPlan;
}

export function progressCounter(total: number, say: (l: string) => void, verb: string): (r: { instanceId: string; status: string }) => void {
  const done = new Set<string>();
  return (r) => {
    if (['Pending', 'InProgress', 'Delayed', 'Cancelling'].includes(r.status)) return;
    done.add(r.instanceId);
    say(`${done.size}/${total} hosts ${verb}`);
  };
}

export async function discoverAndPlan(
  s: Session,
  secrets: Map<string, SecretValues>,
  mode: ProgressMode,
  o: { signal?: AbortSignal; deadline?: number } = {},
): Promise<Planned> {
  let fleet: Fleet = { hosts: [], notFound: [] };
  let gathered: Gathered = { hosts: new Map(), states: new Map(), fetches: 0 };
  let plan: FleetPlan | undefined;
  const steps: Step[] = [
    {
      title: `Discovering the hosts of ${s.groups.length} group(s)`,
      run: async () => {
        fleet = await resolveFleet(s.inventory, s.transport, s.groups);
        const skipped = fleet.hosts.length - online(fleet).length;
        return `Found ${fleet.hosts.length} host(s): ${online(fleet).length} online, ${skipped} skipped${fleet.notFound.length ? `, ${fleet.notFound.length} not found` : ''}`;
      },
    },
    {
      title: 'Gathering facts',
      run: async (say) => {
        const ids = online(fleet).map((h) => h.id);
        gathered = await gatherFacts(s.transport, ids, s.templates, { ...o, onUpdate: progressCounter(ids.length, say, 'answered') });
        const ok = [...gathered.hosts.values()].filter((h) => h.header).length;
        return `Facts from ${ok}/${ids.length} host(s): ${gathered.states.size} distinct state(s), ${gathered.fetches} full read(s)`;
      },
    },
    {
      title: 'Rendering the plan',
      run: async () => {
        plan = buildFleetPlan({ inventory: s.inventory, inventoryPath: s.inventoryPath, fleet, gathered, templates: s.templates, secrets });
        const c = countByStatus(plan);
        return `Planned: ${c.change} to change, ${c.unchanged} unchanged`;
      },
    },
  ];
  await runSteps(steps, mode);
  return { fleet, gathered, plan: plan! };
}
