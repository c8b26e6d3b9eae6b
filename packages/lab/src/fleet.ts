// What EC2 and SSM know about the lab's hosts. EC2 instances are known by their instance ID and answer while
// running and not `offline`. A Raspberry Pi is known to SSM as a managed node (a record made by registration);
// which board answers for it is read from the boards' own files at the moment of asking: a board answers for
// the ID its agent vault names (Vault/Store/RegistrationKey) while its agent runs (var/lib/stns-fleet-lab/agent),
// its machine-id is still the one its agent's fingerprint was made with (Vault/Store/InstanceFingerprint; else
// the agent gets MachineFingerprintDoesNotMatch and hibernates, docs/reference/ssm.md §6), and it is not `offline`.
//
// Clones (docs/reference/ssm.md §6): boards copied from one registered SD card keep its vault and machine-id, pass the agent's
// fingerprint check, and all authenticate as the same mi- ID. SSM keeps one record for the ID; every board's
// agent keeps re-authenticating, pinging and asking for messages, so which board picks up a command, and whose
// address the last ping came from, changes over time. The lab models that deterministically (so a test is
// reproducible), as turns per shared ID (`cloneAnswers: 'in-turn'`, the default):
//   - the first command to the ID reaches the most recently started board (the last agent to connect);
//   - each later command reaches the next live board in lab order after the one that answered last
//     (wrapping around): boards take turns, one command each;
//   - a board whose agent (re)started after the ID's last delivery answers next (a freshly connected agent
//     asks for its messages at once); the amazon-ssm-agent stand-in counts every registration attempt as
//     such a restart, and so does `systemctl/service start|restart amazon-ssm-agent`;
//   - DescribeInstanceInformation reports the board that answered last (its IPAddress is "the last ping's"),
//     or, before any command, the board that will answer next; PingStatus is Online while any board answers.
// `cloneAnswers: 'last-started'` keeps one board on the ID, the most recently started live one ("last booted
// wins"): polls then cannot tell the clones apart, the case stns-fleet covers with pi.names or --id.
import type { HostFault } from './faults.js';
import { agentState, boardIdentity, fingerprintMatches } from './host-tree.js';
import type { LabHost } from './hosts.js';
import type { CloneAnswers } from './options.js';

export type PingStatus = 'Online' | 'ConnectionLost';

export interface ManagedNode {
  id: string;
  activationId: string;
  iamRole: string;
  registrationDate: Date;
  /** The activation's DefaultInstanceName. */
  name?: string;
  /** SSM tags (AddTagsToResource, ResourceType ManagedInstance). */
  tags: Map<string, string>;
}

export interface NodeView {
  id: string;
  resourceType: 'EC2Instance' | 'ManagedInstance';
  pingStatus: PingStatus;
  tags: Map<string, string>;
  /** The EC2 host, or the board that answers (or last answered) for a managed node. */
  host?: LabHost;
  node?: ManagedNode;
}

export interface BoardState {
  host: LabHost;
  /** Position in the lab's host list: the order boards take turns in. */
  index: number;
  /** Its agent runs and authenticates (its fingerprint matches), and the board is not `offline`. */
  live: boolean;
  /** When its agent last (re)started (epoch ms). */
  since: number;
}

/** The last delivery to a managed-node ID: which board took it, when. */
interface Turn {
  key: string;
  at: number;
}

const answers = (fault: HostFault | undefined): boolean => fault !== 'offline';

export class Fleet {
  readonly nodes = new Map<string, ManagedNode>();
  private readonly byInstanceId = new Map<string, LabHost>();
  private readonly turns = new Map<string, Turn>();

  constructor(
    readonly hosts: LabHost[],
    private readonly cloneAnswers: CloneAnswers = 'in-turn',
  ) {
    for (const h of hosts) if (h.ec2) this.byInstanceId.set(h.ec2.instanceId, h);
  }

  ec2(id: string): LabHost | undefined {
    return this.byInstanceId.get(id);
  }

  host(key: string): LabHost | undefined {
    return this.hosts.find((h) => h.key === key);
  }

  /** Boards by the managed-node ID their vault names, in lab order (files read now); only `id`'s when given. */
  boards(only?: string): Map<string, BoardState[]> {
    const out = new Map<string, BoardState[]>();
    this.hosts.forEach((h, index) => {
      if (!h.board) return;
      const id = boardIdentity(h);
      if (!id || (only !== undefined && id !== only)) return;
      const a = agentState(h);
      const list = out.get(id) ?? [];
      list.push({ host: h, index, live: a.running && answers(h.fault) && fingerprintMatches(h), since: a.since });
      out.set(id, list);
    });
    return out;
  }

  /** The board the next command to managed node `id` reaches, if any answers (nothing changes). */
  private next(id: string, boards: Map<string, BoardState[]>): BoardState | undefined {
    const live = (boards.get(id) ?? []).filter((b) => b.live);
    if (live.length <= 1) return live[0];
    const latest = (bs: BoardState[]): BoardState => bs.reduce((a, b) => (b.since > a.since || (b.since === a.since && b.index > a.index) ? b : a));
    const turn = this.turns.get(id);
    if (this.cloneAnswers === 'last-started' || !turn) return latest(live);
    const reconnected = live.filter((b) => b.since > turn.at);
    if (reconnected.length > 0) return latest(reconnected);
    const last = this.hosts.findIndex((h) => h.key === turn.key);
    return live.find((b) => b.index > last) ?? live[0];
  }

  /** The host a command sent to `id` would reach now, if any answers (nothing changes). */
  route(id: string, boards?: Map<string, BoardState[]>): LabHost | undefined {
    const h = this.byInstanceId.get(id);
    if (h) return h.ec2!.state === 'running' && answers(h.fault) ? h : undefined;
    if (!this.nodes.has(id)) return undefined;
    return this.next(id, boards ?? this.boards(id))?.host;
  }

  /** Delivers a command to `id`: the host it reaches, if any; a shared ID's turn moves on. */
  deliver(id: string): LabHost | undefined {
    const h = this.route(id);
    if (h && !h.ec2) this.turns.set(id, { key: h.key, at: Date.now() });
    return h;
  }

  /** Whether SSM would accept `id` in SendCommand: a running EC2 instance or a registered managed node. */
  knownToSsm(id: string): boolean {
    const h = this.byInstanceId.get(id);
    if (h) return h.ec2!.state === 'running';
    return this.nodes.has(id);
  }

  /** The board SSM last heard from for managed node `id`: the one that answered last while it still answers
   * for `id`, else the one that answers next, else any board still holding the ID. */
  private lastHeard(id: string, boards: Map<string, BoardState[]>): BoardState | undefined {
    const holders = boards.get(id) ?? [];
    const turn = this.turns.get(id);
    return holders.find((b) => b.live && b.host.key === turn?.key) ?? this.next(id, boards) ?? holders[0];
  }

  /** Every node SSM lists (stopped instances are absent), EC2 first, in lab order. */
  views(): NodeView[] {
    const boards = this.boards();
    const out: NodeView[] = [];
    for (const h of this.hosts) {
      if (!h.ec2 || h.ec2.state !== 'running') continue;
      out.push({ id: h.ec2.instanceId, resourceType: 'EC2Instance', pingStatus: answers(h.fault) ? 'Online' : 'ConnectionLost', tags: h.ec2.tags, host: h });
    }
    for (const node of this.nodes.values()) {
      const b = this.lastHeard(node.id, boards);
      const v: NodeView = { id: node.id, resourceType: 'ManagedInstance', pingStatus: b?.live ? 'Online' : 'ConnectionLost', tags: node.tags, node };
      if (b) v.host = b.host;
      out.push(v);
    }
    return out;
  }

  /** Tags SSM targets match: EC2 tags for instances, SSM tags for managed nodes. */
  tagsOf(id: string): Map<string, string> | undefined {
    return this.byInstanceId.get(id)?.ec2?.tags ?? this.nodes.get(id)?.tags;
  }
}
