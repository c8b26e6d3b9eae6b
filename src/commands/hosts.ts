// `stns-fleet hosts`: every host the inventory selects, reachable or not, with what SSM knows of it. Exit 0:
// skipped hosts are part of the listing, not a failure (src/exit-codes.ts); 130/143 when interrupted.
import { EXIT, exitCode, interruption } from '../exit-codes.js';
import { resolveFleet } from '../targets/fleet.js';
import { progressFor, runSteps } from '../output/progress.js';
import type { Io } from '../output/io.js';
import { openSession, type CommonOptions, type TransportFactory } from './session.js';
import type { Fleet } from '../targets/fleet.js';

function table(rows: string[][]): string {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]!))).join('  ').trimEnd()).join('\n');
}

export async function hostsCommand(o: CommonOptions, makeTransport: TransportFactory, io: Io, signal?: AbortSignal): Promise<number> {
  const s = await openSession(o, makeTransport);
  for (const w of s.warnings) io.err(`${w}\n`);
  let fleet: Fleet = { hosts: [], notFound: [] };
  await runSteps([{ title: 'Discovering hosts', run: async () => void (fleet = await resolveFleet(s.inventory, s.transport, s.groups, { tags: true })) }], progressFor(o, io));
  if (o.json) {
    io.out(`${JSON.stringify({ hosts: fleet.hosts, notFound: fleet.notFound }, null, 2)}\n`);
  } else {
    const rows = [['ID', 'NAME', 'GROUP', 'OS (as SSM reports it)', 'PING', 'AGENT', 'STATUS']];
    for (const h of fleet.hosts) {
      rows.push([h.id, h.name ?? '-', h.group, h.platform ?? '-', h.pingStatus ?? '-', h.agentVersion ?? '-', h.skip ? `skipped: ${h.skip}` : 'ready']);
    }
    for (const n of fleet.notFound) rows.push([n.id, '-', n.group, '-', '-', '-', 'not found: neither EC2 nor SSM knows this ID']);
    io.out(`${table(rows)}\n\n${fleet.hosts.filter((h) => !h.skip).length} ready, ${fleet.hosts.filter((h) => h.skip).length} skipped, ${fleet.notFound.length} not found.\n`);
  }
  return signal ? exitCode({ interrupted: interruption(signal) }) : EXIT.OK;
}
