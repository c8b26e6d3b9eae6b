// The shared front half of plan, apply and verify: discover the hosts, gather their facts, build the plan.
// An interrupt (the signal) stops new work between and within the steps: no facts command is sent after it,
// the one in flight is cancelled, and the plan is still built from what was gathered, every host in it
// (those whose facts were not read are unreachable, "interrupted"), so the command can report every host.
import { gatherFacts, type Gathered } from '../facts/gather.js';
import { prepareReportKey } from '../facts/report-key.js';
import { online, resolveFleet, type Fleet } from '../targets/fleet.js';
import { buildFleetPlan, countByStatus, type FleetPlan } from '../plan/fleet-plan.js';
import { runSteps, stepFailed, type Progress, type Step } from '../output/progress.js';
import type { SecretValues } from '../render/secrets.js';
import { interruptedLabel, interruption } from '../exit-codes.js';
import type { InvocationResult } from '../transport/types.js';
import { checkLabEndpoint } from './lab-endpoint-check.js';
import type { Session } from './session.js';

interface Planned {
  fleet: Fleet;
  secrets: Map<string, SecretValues>;
  gathered: Gathered;
  plan: FleetPlan;
}

/** An onUpdate that counts hosts with a final result ("3/10 hosts answered"). */
export function progressCounter(total: number, say: (l: string) => void, verb: string): (r: Pick<InvocationResult, 'instanceId'>) => void {
  const done = new Set<string>();
  return (r) => {
    done.add(r.instanceId);
    say(`${done.size}/${total} hosts ${verb}`);
  };
}

/** `pendingSecrets`: the groups' tokens being read (resolveSecrets), awaited with the discovery (both wait on the API,
 * neither needs the other); a token that cannot be read fails the discovery step, before any facts are sent. */
export async function discoverAndPlan(
  s: Session,
  pendingSecrets: Promise<Map<string, SecretValues>>,
  progress: Progress,
  o: { signal?: AbortSignal; deadline?: number } = {},
): Promise<Planned> {
  prepareReportKey(); // made while the hosts are discovered, not after
  pendingSecrets.catch(() => undefined); // heard by the discovery step; not unhandled if discovery fails first
  let secrets = new Map<string, SecretValues>();
  let fleet: Fleet = { hosts: [], notFound: [] };
  let gathered: Gathered = { hosts: new Map(), states: new Map(), fetches: 0 };
  let plan: FleetPlan | undefined;
  const stopped = (): string | undefined => {
    const sig = interruption(o.signal);
    return sig ? interruptedLabel(sig) : undefined;
  };
  const build = (): FleetPlan => buildFleetPlan({ inventory: s.inventory, inventoryRef: s.inventoryRef, groups: s.groups, fleet, gathered, templates: s.templates, secrets });
  const steps: Step[] = [
    {
      title: `Discovering the hosts of ${s.groups.length} group(s)`,
      run: async () => {
        // The lab check (loopback only) goes with the discovery: both only read, and facts wait for both. Its
        // mismatch is the error shown even if discovery failed too: it says what is wrong with the run.
        const check = checkLabEndpoint(s.inventory, s.groups);
        const discovered = Promise.all([resolveFleet(s.inventory, s.transport, s.groups, { limit: s.limit }), pendingSecrets]);
        discovered.catch(() => undefined); // heard below, after the check
        await check;
        [fleet, secrets] = await discovered;
        const skipped = fleet.hosts.length - online(fleet).length;
        const found = `Found ${fleet.hosts.length} host(s): ${online(fleet).length} online, ${skipped} skipped${fleet.notFound.length ? `, ${fleet.notFound.length} not found` : ''}`;
        const why = stopped();
        return why ? stepFailed(`${found}; ${why}`) : found;
      },
    },
    {
      title: 'Gathering facts',
      run: async (say) => {
        const ids = online(fleet).map((h) => h.id);
        const before = stopped();
        if (before) return stepFailed(`Gathering facts: ${before}, none sent`);
        gathered = await gatherFacts(s.transport, ids, s.templates, { ...o, onUpdate: progressCounter(ids.length, say, 'answered') });
        const ok = [...gathered.hosts.values()].filter((h) => h.header).length;
        const text = `Facts from ${ok}/${ids.length} host(s): ${gathered.states.size} distinct state(s), ${gathered.fetches} full read(s)`;
        const why = stopped();
        return why ? stepFailed(`${text}; ${why}`) : text;
      },
    },
    {
      title: 'Rendering the plan',
      run: async () => {
        const why = stopped();
        if (why) return stepFailed(`Rendering the plan: ${why}`);
        plan = build();
        const c = countByStatus(plan);
        return `Planned: ${c.change} to change, ${c.unchanged} unchanged`;
      },
    },
  ];
  await runSteps(steps, progress);
  const why = stopped();
  if (why) {
    // Every online host is in the plan: those without facts as unreachable, with the reason.
    for (const h of online(fleet)) {
      const f = gathered.hosts.get(h.id);
      if (!f) gathered.hosts.set(h.id, { error: `${why} before its facts were read` });
      else if (!f.header) gathered.hosts.set(h.id, { ...f, error: `${why}: ${f.error ?? 'no facts'}` });
    }
  }
  return { fleet, secrets, gathered, plan: plan && !why ? plan : build() };
}
