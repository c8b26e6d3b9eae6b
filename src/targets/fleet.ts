// Inventory groups → the hosts they select, each either reachable through SSM or skipped with the reason.
// Nothing the inventory matches is ever dropped silently: a host that is stopped, offline, without an agent
// or claimed by two groups is listed as skipped, and an ID nobody knows as not found. A --limit (limit.ts)
// narrows that list right after discovery, before anything is sent to a host.
import type { Inventory } from '../inventory/schema.js';
import { groupNames, targetsOf } from '../inventory/resolve.js';
import type { DiscoveredHost, Transport } from '../transport/types.js';
import { applyLimit, type HostLimit } from './limit.js';

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

export interface ResolveOptions {
  /** Only the hosts (and not-found IDs) these patterns select; a pattern that selects none is an error. */
  limit?: HostLimit | undefined;
}

export async function resolveFleet(inv: Inventory, tr: Transport, only?: string[], opts: ResolveOptions = {}): Promise<Fleet> {
  const groups = only ?? groupNames(inv);
  const found = await Promise.all(groups.map(async (g) => ({ g, d: await tr.discover(targetsOf(inv, g)) })));
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
  const sorted = [...byId.values()].sort((a, b) => a.group.localeCompare(b.group) || a.id.localeCompare(b.id));
  if (!opts.limit) return { hosts: sorted, notFound };
  // An ID the inventory lists that nobody knows counts as a host here: limiting to it shows it as not found.
  const where = `group${groups.length === 1 ? '' : 's'} ${groups.join(', ')}`;
  const kept = applyLimit(opts.limit, [...sorted.map((h) => ({ id: h.id, name: h.name, host: h })), ...notFound.map((n) => ({ id: n.id, missing: n }))], where);
  return {
    hosts: kept.flatMap((k) => ('host' in k ? [k.host] : [])),
    notFound: kept.flatMap((k) => ('missing' in k ? [k.missing] : [])),
  };
}

export const online = (f: Fleet): FleetHost[] => f.hosts.filter((h) => !h.skip);
