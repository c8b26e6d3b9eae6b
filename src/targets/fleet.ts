// Inventory groups → the hosts they select, each either reachable through SSM or skipped with the reason.
// Nothing the inventory matches is ever dropped silently: a host that is stopped, offline, without an agent
// or claimed by two groups is listed as skipped, and an ID nobody knows as not found.
import type { Inventory } from '../inventory/schema.js';
import { groupNames, targetsOf } from '../inventory/resolve.js';
import type { DiscoveredHost, Transport } from '../transport/types.js';

export interface FleetHost {
  id: string;
  group: string;
  kind: 'ec2' | 'managed';
  name?: string;
  pingStatus?: string;
  agentVersion?: string;
  platform?: string;
  /** Why this host gets no command; undefined when it is SSM-online. */
  skip?: string;
}

export interface Fleet {
  hosts: FleetHost[];
  notFound: { group: string; id: string }[];
}

export function skipReason(h: DiscoveredHost): string | undefined {
  if (h.ec2State !== undefined && h.ec2State !== 'running') return `instance is ${h.ec2State}`;
  if (!h.ssm) return 'not an SSM managed node (agent missing, not registered, or no instance profile)';
  if (h.ssm.pingStatus !== 'Online') {
    const last = h.ssm.lastPing ? `, last ping ${h.ssm.lastPing.toISOString()}` : '';
    return `SSM agent not online (PingStatus ${h.ssm.pingStatus}${last})`;
  }
  return undefined;
}

function toFleetHost(h: DiscoveredHost, group: string): FleetHost {
  const platform = [h.ssm?.platformName, h.ssm?.platformVersion].filter(Boolean).join(' ');
  const skip = skipReason(h);
  return {
    id: h.id,
    group,
    kind: h.kind,
    ...(h.name ? { name: h.name } : {}),
    ...(h.ssm ? { pingStatus: h.ssm.pingStatus } : {}),
    ...(h.ssm?.agentVersion ? { agentVersion: h.ssm.agentVersion } : {}),
    ...(platform ? { platform } : {}),
    ...(skip ? { skip } : {}),
  };
}

export async function resolveFleet(inv: Inventory, tr: Transport, only?: string[], opts: { tags?: boolean } = {}): Promise<Fleet> {
  const groups = only ?? groupNames(inv);
  const found = await Promise.all(groups.map(async (g) => ({ g, d: await tr.discover(targetsOf(inv, g), opts) })));
  const byId = new Map<string, FleetHost>();
  const claimed = new Map<string, string[]>();
  const notFound: Fleet['notFound'] = [];
  for (const { g, d } of found) {
    for (const id of d.notFound) notFound.push({ group: g, id });
    for (const h of d.hosts) {
      claimed.set(h.id, [...(claimed.get(h.id) ?? []), g]);
      if (!byId.has(h.id)) byId.set(h.id, toFleetHost(h, g));
    }
  }
  for (const [id, gs] of claimed) {
    if (gs.length > 1) byId.get(id)!.skip = `matched by several groups (${gs.join(', ')}): make the selectors disjoint`;
  }
  const hosts = [...byId.values()].sort((a, b) => a.group.localeCompare(b.group) || a.id.localeCompare(b.id));
  return { hosts, notFound };
}

export const online = (f: Fleet): FleetHost[] => f.hosts.filter((h) => !h.skip);
