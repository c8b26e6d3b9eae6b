// `stns-fleet hosts`: every host the inventory selects, reachable or not, with what SSM knows of it. Exit 0:
// skipped hosts are part of the listing, not a failure (src/exit-codes.ts); 130/143 when interrupted.
import { EXIT, exitCode, interruption } from '../exit-codes.js';
import { resolveFleet, type Fleet } from '../targets/fleet.js';
import { runSteps } from '../output/progress.js';
import type { HostsView } from '../output/views/hosts.js';
import { openSession, type FleetOptions, type TransportFactory } from './session.js';

export async function runHosts(o: FleetOptions, makeTransport: TransportFactory, view: HostsView, signal?: AbortSignal): Promise<number> {
  const s = await openSession(o, makeTransport);
  for (const w of s.warnings) view.event({ kind: 'warning', text: w });
  let fleet: Fleet = { hosts: [], notFound: [] };
  await runSteps([{ title: 'Discovering hosts', run: async () => void (fleet = await resolveFleet(s.inventory, s.transport, s.groups, { limit: s.limit })) }], view.progress);
  view.result({ fleet });
  return signal ? exitCode({ interrupted: interruption(signal) }) : EXIT.OK;
}
