// Detection: discover the groups' managed nodes, run the identity script K times on every online one, and
// hand the observations to detectClones (src/pi/clones.ts). Read-only: nothing here changes the fleet.
import { targetsOf } from '../../inventory/resolve.js';
import type { Inventory } from '../../inventory/schema.js';
import type { DiscoveredHost } from '../../transport/types.js';
import { detectClones, type Detection, type GroupExpectation, type NodeObservation, type PollResult } from '../clones.js';
import { piSettingsFor, type PiSettings } from '../settings.js';
import { checkAbort, type RunEnv } from './env.js';
import { identityScriptRequest, pollResultOf, runSafe } from './probe.js';

export interface ManagedNode {
  host: DiscoveredHost;
  /** The first group that selects it. */
  group: string;
}

export interface Detected {
  /** Every managed node the groups select, by ID. */
  nodes: Map<string, ManagedNode>;
  nodesPolled: number;
  pi: Map<string, PiSettings>;
  detection: Detection;
}

export const isOnline = (h: DiscoveredHost): boolean => h.ssm?.pingStatus === 'Online';

export async function detect(env: RunEnv, o: { inventory: Inventory; groups: string[]; forced: string[] }): Promise<Detected> {
  env.say(`Discovering the managed nodes of ${o.groups.length} group(s)`);
  const nodes = new Map<string, ManagedNode>();
  for (const g of o.groups) {
    const d = await env.tr.discover(targetsOf(o.inventory, g));
    for (const h of d.hosts) {
      if (h.kind !== 'managed') continue;
      const first = nodes.get(h.id);
      if (first) env.warn(`${h.id} is selected by groups ${first.group} and ${g}: treated as ${first.group}`);
      else nodes.set(h.id, { host: h, group: g });
    }
  }
  const online = [...nodes.values()].filter((n) => isOnline(n.host)).map((n) => n.host.id);

  const polls = new Map<string, PollResult[]>(online.map((id) => [id, []]));
  const k = env.limits.polls;
  for (let i = 0; i < k && online.length > 0; i++) {
    checkAbort(env.signal);
    if (i > 0) await env.sleep(env.limits.pollIntervalMs);
    env.say(`Identity poll ${i + 1}/${k} of ${online.length} node(s)`);
    const rs = await runSafe(env, identityScriptRequest(env, online, 60));
    for (const id of online) polls.get(id)!.push(await pollResultOf(env, rs.get(id)));
  }

  const pi = new Map<string, PiSettings>();
  const expectations = new Map<string, GroupExpectation>();
  for (const g of o.groups) {
    const p = piSettingsFor(o.inventory, g);
    pi.set(g, p);
    expectations.set(g, { names: p.names, namePrefix: p.namePrefix, newMachineId: p.newMachineId });
  }
  const observations: NodeObservation[] = [...nodes.values()].map(({ host, group }) => ({
    id: host.id,
    group,
    online: isOnline(host),
    ...(host.ssm?.ipAddress ? { ssmIp: host.ssm.ipAddress } : {}),
    tags: host.tags,
    polls: polls.get(host.id) ?? [],
  }));
  const detection = detectClones(observations, expectations, { forced: o.forced });
  for (const w of detection.warnings) env.warn(w);
  if (detection.suspects.length === 0) {
    for (const [group, miss] of detection.missing) {
      for (const m of miss) env.warn(`group ${group}: ${m.name} (serial ${m.serial}) is listed in pi.names but no online node reported it`);
    }
  }
  return { nodes, nodesPolled: online.length, pi, detection };
}
