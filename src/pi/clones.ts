// Which managed-node IDs are shared by several boards (a cloned SD card)? Pure: observations in, suspects out.
//
// A command sent to an ID reaches whichever board answers to it at that moment, so the identity script is
// run K times, a few seconds apart, on every online node. An ID is a suspect when:
//   identity-changed   its polls reported more than one board (serial, else MAC)                  → move
//   shared-machine-id  it shares /etc/machine-id with another ID whose board differs               → move
//                      (a warning only when the group keeps machine-ids: pi.new_machine_id: false)
//   ip-mismatch        SSM's last ping came from an address its answering board does not have, and
//                      the inventory lists boards of its group that no node reported              → move
//                      (a warning only without such missing boards: DHCP alone can explain it)
//   marked             an earlier run tagged it stns-fleet:cloned (boards were offline then)       → move
//   forced             named with --id                                                              → move
// Expected board count: the boards seen behind the ID plus, when the group has a serial → name map, the
// listed serials no online node reported (they may hide behind the clone, or be switched off).
import { boardKey, type BoardIdentity } from './identity-script.js';
import { boardName, type NameSource } from './naming.js';
import { normalizeSerial } from './settings.js';

export const CLONED_TAG = 'stns-fleet:cloned';

export type PollResult = BoardIdentity | { error: string };

export interface NodeObservation {
  id: string;
  group: string;
  online: boolean;
  /** IPAddress from DescribeInstanceInformation (the last ping's). */
  ssmIp?: string;
  tags: Record<string, string>;
  /** One entry per poll, in order. */
  polls: PollResult[];
}

export interface GroupExpectation extends NameSource {
  /** false: machine-ids are kept on purpose, so sharing one is only a warning. */
  newMachineId: boolean;
}

type SuspectReason =
  | { kind: 'identity-changed'; boards: number }
  | { kind: 'shared-machine-id'; machineId: string; with: string[] }
  | { kind: 'ip-mismatch'; ssmIp: string }
  | { kind: 'marked'; since: string }
  | { kind: 'forced' };

export interface SeenBoard {
  key: string;
  /** The latest identity this board reported under the ID. */
  identity: BoardIdentity;
  name?: string;
}

export interface MissingBoard {
  serial: string;
  name: string;
}

export interface Suspect {
  id: string;
  group: string;
  online: boolean;
  reasons: SuspectReason[];
  boards: SeenBoard[];
  expected: number;
  expectedFrom: 'inventory' | 'seen';
  /** The group's listed boards that no online node reported. */
  missing: MissingBoard[];
}

export interface Detection {
  suspects: Suspect[];
  warnings: string[];
  /** Per group: listed serials no online node reported. */
  missing: Map<string, MissingBoard[]>;
  /** Every board key seen, with the IDs it answered under. */
  seen: Map<string, Set<string>>;
}

const isIdentity = (p: PollResult): p is BoardIdentity => !('error' in p);

export function reasonText(r: SuspectReason): string {
  switch (r.kind) {
    case 'identity-changed':
      return `${r.boards} different boards answered its polls`;
    case 'shared-machine-id':
      return `shares /etc/machine-id ${r.machineId.slice(0, 12)}… with ${r.with.join(', ')}`;
    case 'ip-mismatch':
      return `SSM's last ping came from ${r.ssmIp}, which the answering board does not have, and listed boards are missing`;
    case 'marked':
      return `tagged ${CLONED_TAG}=${r.since} by an earlier run (boards were offline then)`;
    case 'forced':
      return 'named with --id';
  }
}

export function detectClones(nodes: NodeObservation[], groups: ReadonlyMap<string, GroupExpectation>, o: { forced?: string[] } = {}): Detection {
  const warnings: string[] = [];
  const forced = new Set(o.forced ?? []);
  const seen = new Map<string, Set<string>>();
  const boardsOf = new Map<string, SeenBoard[]>();

  for (const n of nodes) {
    const boards: SeenBoard[] = [];
    for (const p of n.polls) {
      if (!isIdentity(p)) continue;
      const key = boardKey(p);
      const g = groups.get(n.group);
      const name = g ? boardName(p, g)?.name : undefined;
      const at = boards.findIndex((b) => b.key === key);
      const b: SeenBoard = { key, identity: p, ...(name ? { name } : {}) };
      if (at >= 0) boards[at] = b;
      else boards.push(b);
      if (!seen.has(key)) seen.set(key, new Set());
      seen.get(key)!.add(n.id);
    }
    boardsOf.set(n.id, boards);
    if (n.online && n.polls.length > 0 && boards.length === 0) {
      const err = n.polls.find((p): p is { error: string } => !isIdentity(p))?.error ?? 'no answer';
      warnings.push(`${n.id}: no identity from any poll (${err})`);
    }
  }

  // Listed boards (serial → name) that no online node reported, per group.
  const seenSerials = new Set([...seen.keys()].filter((k) => k.startsWith('serial:')).map((k) => k.slice(7)));
  const missing = new Map<string, MissingBoard[]>();
  for (const [group, g] of groups) {
    const m = [...g.names].filter(([serial]) => !seenSerials.has(normalizeSerial(serial))).map(([serial, name]) => ({ serial, name }));
    if (m.length > 0) missing.set(group, m);
  }

  const reasons = new Map<string, SuspectReason[]>();
  const add = (id: string, r: SuspectReason): void => {
    if (!reasons.has(id)) reasons.set(id, []);
    reasons.get(id)!.push(r);
  };

  for (const n of nodes) {
    const boards = boardsOf.get(n.id)!;
    if (boards.length > 1) add(n.id, { kind: 'identity-changed', boards: boards.length });
    const since = n.tags[CLONED_TAG];
    if (since !== undefined) add(n.id, { kind: 'marked', since });
    if (forced.has(n.id)) add(n.id, { kind: 'forced' });
    if (n.online && n.ssmIp && boards.length > 0) {
      const ips = new Set(boards.flatMap((b) => b.identity.ips));
      if (ips.size > 0 && !ips.has(n.ssmIp.toLowerCase())) {
        if ((missing.get(n.group)?.length ?? 0) > 0) add(n.id, { kind: 'ip-mismatch', ssmIp: n.ssmIp });
        else warnings.push(`${n.id}: SSM's last ping came from ${n.ssmIp}, which its board does not have (a DHCP change, or a clone: list the group's serials under pi.names, or run with --id ${n.id})`);
      }
    }
  }
  for (const id of forced) if (!nodes.some((n) => n.id === id)) warnings.push(`${id} (--id) is not a managed node of the selected groups`);

  // machine-id → the (ID, board) pairs that reported it
  const byMachineId = new Map<string, { id: string; group: string; key: string }[]>();
  for (const n of nodes) {
    for (const b of boardsOf.get(n.id)!) {
      const m = b.identity.machineId;
      if (!m) continue;
      if (!byMachineId.has(m)) byMachineId.set(m, []);
      byMachineId.get(m)!.push({ id: n.id, group: n.group, key: b.key });
    }
  }
  for (const [machineId, list] of byMachineId) {
    const ids = [...new Set(list.map((x) => x.id))];
    const keys = new Set(list.map((x) => x.key));
    if (ids.length < 2 || keys.size < 2) continue;
    const kept = list.some((x) => groups.get(x.group)?.newMachineId === false);
    if (kept) {
      warnings.push(`${ids.join(', ')} share /etc/machine-id ${machineId.slice(0, 12)}… (kept: pi.new_machine_id is false)`);
      continue;
    }
    for (const id of ids) add(id, { kind: 'shared-machine-id', machineId, with: ids.filter((x) => x !== id) });
  }

  const suspects: Suspect[] = [];
  for (const n of nodes) {
    const rs = reasons.get(n.id);
    if (!rs) continue;
    const boards = boardsOf.get(n.id)!;
    const miss = missing.get(n.group) ?? [];
    const g = groups.get(n.group);
    const fromInventory = (g?.names.size ?? 0) > 0;
    suspects.push({
      id: n.id,
      group: n.group,
      online: n.online,
      reasons: rs,
      boards,
      expected: boards.length + (fromInventory ? miss.length : 0),
      expectedFrom: fromInventory ? 'inventory' : 'seen',
      missing: miss,
    });
  }
  return { suspects, warnings, missing, seen };
}
