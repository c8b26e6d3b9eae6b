// What EC2 and SSM know about the lab's hosts. EC2 instances are known by their instance ID and answer while
// running and not `offline`. A Raspberry Pi is known to SSM as a managed node (a record made by registration);
// which board answers for it is read from the boards' own files at the moment of asking: the board whose
// agent vault names the ID and whose agent runs, the most recently started one when clones share an ID.
import type { HostFault } from './faults.js';
import { agentState, boardIdentity } from './host-tree.js';
import type { LabHost } from './hosts.js';

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

interface BoardState {
  host: LabHost;
  live: boolean;
  since: number;
}

const answers = (fault: HostFault | undefined): boolean => fault !== 'offline';

export class Fleet {
  readonly nodes = new Map<string, ManagedNode>();
  private readonly byInstanceId = new Map<string, LabHost>();

  constructor(readonly hosts: LabHost[]) {
    for (const h of hosts) if (h.ec2) this.byInstanceId.set(h.ec2.instanceId, h);
  }

  ec2(id: string): LabHost | undefined {
    return this.byInstanceId.get(id);
  }

  host(key: string): LabHost | undefined {
    return this.hosts.find((h) => h.key === key);
  }

  /** Boards by the managed-node ID their vault names, most recently started first (files read now). */
  boards(): Map<string, BoardState[]> {
    const out = new Map<string, BoardState[]>();
    for (const h of this.hosts) {
      if (!h.board) continue;
      const id = boardIdentity(h);
      if (!id) continue;
      const a = agentState(h);
      const list = out.get(id) ?? [];
      list.push({ host: h, live: a.running && answers(h.fault), since: a.since });
      out.set(id, list);
    }
    for (const list of out.values()) list.sort((x, y) => Number(y.live) - Number(x.live) || y.since - x.since);
    return out;
  }

  /** The host a command sent to `id` reaches now, if any answers. */
  route(id: string, boards?: Map<string, BoardState[]>): LabHost | undefined {
    const h = this.byInstanceId.get(id);
    if (h) return h.ec2!.state === 'running' && answers(h.fault) ? h : undefined;
    if (!this.nodes.has(id)) return undefined;
    const b = (boards ?? this.boards()).get(id)?.[0];
    return b?.live ? b.host : undefined;
  }

  /** Whether SSM would accept `id` in SendCommand: a running EC2 instance or a registered managed node. */
  knownToSsm(id: string): boolean {
    const h = this.byInstanceId.get(id);
    if (h) return h.ec2!.state === 'running';
    return this.nodes.has(id);
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
      const b = boards.get(node.id)?.[0];
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
