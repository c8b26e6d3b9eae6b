// `tag`: set the Name tag of every host the inventory names. Idempotent: a host whose Name already matches gets
// no call. Where a name comes from, first match wins:
//   names:      (per group) instance / managed-node ID → Name, for EC2 instances and managed nodes alike
//   pi.names:   (per group) board serial → Name; the serial is read with the identity script (one command for
//               all online managed nodes of such groups)
//   pi:         a managed node of a group with a `pi:` section and no Name tag at all gets
//               `<pi.name_prefix>-<serial tail>`; a Name someone set by hand is never overwritten this way
// A serial reported by two IDs (a cloned card) names neither: run `stns-fleet reactivate` first.
import { targetsOf, groupNames } from '../inventory/resolve.js';
import type { Inventory } from '../inventory/schema.js';
import type { Templates } from '../render/templates.js';
import type { DiscoveredHost, ManagedNodeAdmin, Transport } from '../transport/types.js';
import { identityOf, identityScript, type BoardIdentity } from './identity-script.js';
import { boardName } from './naming.js';
import { nodeNamesFor, normalizeSerial, piSettingsFor } from './settings.js';

interface TagOptions {
  inventory: Inventory;
  groups?: string[];
  transport: Transport & ManagedNodeAdmin;
  /** Must hold host/pi-identity.sh. */
  templates: Templates;
  dryRun?: boolean;
  signal?: AbortSignal;
  onEvent?: (text: string) => void;
}

interface TagChange {
  id: string;
  group: string;
  kind: 'ec2' | 'managed';
  serial?: string;
  current?: string;
  desired?: string;
  source?: 'names' | 'pi.names' | 'pi.name_prefix';
  action: 'set' | 'would-set' | 'in-sync' | 'skipped' | 'failed';
  detail?: string;
}

export interface TagReport {
  changes: TagChange[];
  warnings: string[];
}

export async function tagFleet(o: TagOptions): Promise<TagReport> {
  const tr = o.transport;
  const warnings: string[] = [];
  const groups = o.groups ?? groupNames(o.inventory);
  const hosts = new Map<string, { host: DiscoveredHost; group: string }>();
  for (const g of groups) {
    o.onEvent?.(`Discovering the hosts of group ${g}`);
    const d = await tr.discover(targetsOf(o.inventory, g));
    for (const h of d.hosts) {
      const first = hosts.get(h.id);
      if (first) warnings.push(`${h.id} is selected by groups ${first.group} and ${g}: named as ${first.group}`);
      else hosts.set(h.id, { host: h, group: g });
    }
    for (const id of nodeNamesFor(o.inventory, g).keys()) {
      if (!d.hosts.some((h) => h.id === id)) warnings.push(`group ${g}: names lists ${id}, which the group's targets do not select (or AWS does not know)`);
    }
  }

  // Serials of the online managed nodes of groups with a `pi:` section that the ID map does not name.
  const needSerial = [...hosts.values()]
    .filter(({ host, group }) => host.kind === 'managed' && host.ssm?.pingStatus === 'Online' && piSettingsFor(o.inventory, group).configured && !nodeNamesFor(o.inventory, group).has(host.id))
    .map(({ host }) => host.id);
  const identities = new Map<string, BoardIdentity>();
  if (needSerial.length > 0) {
    o.onEvent?.(`Reading the serial of ${needSerial.length} board(s)`);
    const rs = await tr.run(
      { script: identityScript(o.templates), instanceIds: needSerial, comment: 'stns-fleet pi identity (read-only)', deliveryTimeoutSeconds: 60, executionTimeoutSeconds: 60 },
      o.signal ? { signal: o.signal } : {},
    );
    for (const r of rs) {
      const i = await identityOf(tr, r); // a board that did not run the script cleanly is skipped below
      if (!('error' in i)) identities.set(r.instanceId, i);
    }
  }
  const bySerial = new Map<string, string[]>();
  for (const [id, i] of identities) {
    if (!i.serial) continue;
    const k = normalizeSerial(i.serial);
    bySerial.set(k, [...(bySerial.get(k) ?? []), id]);
  }

  const changes: TagChange[] = [];
  for (const { host, group } of hosts.values()) {
    const current = host.tags['Name'] || undefined;
    const base = { id: host.id, group, kind: host.kind, ...(current ? { current } : {}) };
    const listed = nodeNamesFor(o.inventory, group).get(host.id);
    const pi = piSettingsFor(o.inventory, group);
    let desired: string | undefined;
    let source: TagChange['source'];
    let serial: string | undefined;
    if (listed) {
      desired = listed;
      source = 'names';
    } else if (host.kind === 'managed' && pi.configured) {
      const ident = identities.get(host.id);
      serial = ident?.serial;
      if (!ident) {
        changes.push({ ...base, action: 'skipped', detail: host.ssm?.pingStatus === 'Online' ? 'its identity could not be read' : 'offline: its serial cannot be read' });
        continue;
      }
      const twins = serial ? (bySerial.get(normalizeSerial(serial)) ?? []).filter((x) => x !== host.id) : [];
      if (twins.length > 0) {
        changes.push({ ...base, ...(serial ? { serial } : {}), action: 'skipped', detail: `serial also reported by ${twins.join(', ')} (a cloned card): run stns-fleet reactivate first` });
        continue;
      }
      const n = boardName(ident, pi);
      if (n?.from === 'inventory') {
        desired = n.name;
        source = 'pi.names';
      } else if (n && current === undefined) {
        desired = n.name;
        source = 'pi.name_prefix';
      }
    }
    if (desired === undefined) continue; // the inventory says nothing about this host's name
    const c: TagChange = { ...base, ...(serial ? { serial } : {}), desired, ...(source ? { source } : {}), action: current === desired ? 'in-sync' : o.dryRun ? 'would-set' : 'set' };
    changes.push(c);
  }

  const wanted = new Map<string, string[]>();
  for (const c of changes) if (c.desired) wanted.set(c.desired, [...(wanted.get(c.desired) ?? []), c.id]);
  for (const [name, ids] of wanted) if (ids.length > 1) warnings.push(`${ids.join(', ')} would all be named ${name}`);

  for (const c of changes) {
    if (c.action !== 'set') continue;
    try {
      await tr.setTags(c.id, { Name: c.desired! });
    } catch (e) {
      c.action = 'failed';
      c.detail = (e as Error).message;
    }
  }
  changes.sort((a, b) => a.group.localeCompare(b.group) || a.id.localeCompare(b.id));
  return { changes, warnings };
}
