// The lab's own endpoints, beside the AWS APIs on the same port:
//   GET  /_lab/info      the lab's endpoints (stnsUrl: the STNS server), and whether inventories/lab.yaml names it
//   GET  /_lab/stats     API calls by operation, throttled calls, errors, host commands run, STNS requests
//   GET  /_lab/hosts     every host: ID, kind, role, OS, tags, state, fault, ping status, tree
//   POST /_lab/register  the amazon-ssm-agent stand-in registering a board with an activation
//   POST /_lab/sshd, /_lab/getent, /_lab/stns-key-wrapper   those stand-ins, answered here (served-standins.ts)
import { isTerminal } from './commands.js';
import { ApiError } from './errors.js';
import { agentState, boardIdentity, fingerprintMatches } from './host-tree.js';
import type { LabHost } from './hosts.js';
import { contentOf, pluginOutput, STDERR_MAX, STDOUT_MAX } from './output.js';
import { servedStandins } from './served-standins.js';
import type { LabRoute } from './server.js';
import type { LabState } from './state.js';

export interface LabHostInfo {
  key: string;
  /** The instance ID, or the managed-node ID the board's agent currently authenticates as. */
  id: string | undefined;
  kind: 'ec2' | 'managed';
  role: string;
  os: string;
  /** The profile's stock variant the host was seeded from (e.g. minimal, trixie), when not the default. */
  variant?: string;
  /** The image's first user, when not the OS's default one (trixie boards made by cloud-init). */
  firstUser?: string;
  arch: string;
  tags: Record<string, string>;
  /** EC2: running | stopped. Boards: agent-running | agent-stopped | agent-hibernating (its machine-id no longer
   * matches the agent's fingerprint: MachineFingerprintDoesNotMatch). */
  state: string;
  fault: string | undefined;
  /** SSM's PingStatus for `id`, or undefined when SSM does not list it. */
  pingStatus: string | undefined;
  /** This board answers the next command sent to `id` (clones take turns: see fleet.ts). */
  answers: boolean;
  cloneOf?: string;
  /** A chroot host (a real Debian 12 root filesystem). */
  chroot?: boolean;
  dir: string;
  ip: string;
  computerName: string;
}

export function hostInfo(s: LabState): LabHostInfo[] {
  const views = new Map(s.fleet.views().map((v) => [v.id, v]));
  const boards = s.fleet.boards();
  return s.fleet.hosts.map((h: LabHost) => {
    const id = h.ec2 ? h.ec2.instanceId : boardIdentity(h);
    const view = id ? views.get(id) : undefined;
    const tags = h.ec2 ? h.ec2.tags : id ? (s.fleet.nodes.get(id)?.tags ?? new Map<string, string>()) : new Map<string, string>();
    const info: LabHostInfo = {
      key: h.key,
      id,
      kind: h.ec2 ? 'ec2' : 'managed',
      role: h.role,
      os: h.os,
      arch: h.arch,
      tags: Object.fromEntries(tags),
      state: h.ec2 ? h.ec2.state : !agentState(h).running ? 'agent-stopped' : fingerprintMatches(h) ? 'agent-running' : 'agent-hibernating',
      fault: h.fault,
      pingStatus: view?.pingStatus,
      answers: id !== undefined && s.fleet.route(id, boards) === h,
      dir: h.dir,
      ip: h.ip,
      computerName: h.computerName,
    };
    if (h.board?.cloneOf) info.cloneOf = h.board.cloneOf;
    if (h.chroot) info.chroot = true;
    if (h.variant) info.variant = h.variant;
    if (h.firstUser) info.firstUser = h.firstUser.name;
    return info;
  });
}

/** GET /_lab/info: what a client needs to check that an inventory reaches this lab's STNS server. */
export interface LabInfo {
  /** The SSM and EC2 API (AWS_ENDPOINT_URL). */
  endpoint: string;
  region: string;
  /** The STNS server's API base URL (…/v1), as an inventory's stns.api_endpoint names it. */
  stnsUrl: string;
  inventory: {
    /** The repository's lab inventory, its api_endpoint(s), and whether every one is stnsUrl. */
    shipped: string;
    apiEndpoints: string[];
    matches: boolean;
    /** Files written with this lab's endpoint (--write-inventory). */
    written: string[];
  };
}

/** One command as SSM keeps it in its command history, whoever reads it back and however. */
export interface KeptCommand {
  commandId: string;
  documentName: string;
  comment: string;
  parameters: Record<string, string[]>;
  requestedAt: Date;
  invocations: KeptInvocation[];
}

export interface KeptInvocation {
  instanceId: string;
  status: string;
  /** GetCommandInvocation's StandardOutputContent / StandardErrorContent (24,000 / 8,000 characters). */
  stdout: string;
  stderr: string;
  /** ListCommandInvocations' CommandPlugins[0].Output (2,500 characters, the agent's format). */
  pluginOutput: string;
  /** When the node started and ended the script (unset: it never ran, or has not ended). */
  startedAt?: Date;
  endedAt?: Date;
}

/** Every command SendCommand accepted, oldest first, with what SSM keeps of each invocation's output (cut as
 * SSM cuts it; not yet ended invocations have none). For "no secret in SSM's command history" checks: it
 * covers the invocations no client happened to read back. */
export function keptCommands(s: LabState): KeptCommand[] {
  return [...s.engine.commands.values()].map((c) => ({
    commandId: c.id,
    documentName: c.documentName,
    comment: c.comment,
    parameters: structuredClone(c.parameters),
    requestedAt: c.requestedAt,
    invocations: c.invocations.map((i) => {
      const ended = isTerminal(i);
      return {
        instanceId: i.instanceId,
        status: i.status,
        stdout: ended ? contentOf(i.stdout, STDOUT_MAX) : '',
        stderr: ended ? contentOf(i.stderr, STDERR_MAX) : '',
        pluginOutput: ended ? pluginOutput(i.stdout, i.stderr) : '',
        ...(i.startedAt ? { startedAt: i.startedAt } : {}),
        ...(ended && i.endedAt ? { endedAt: i.endedAt } : {}),
      };
    }),
  }));
}

function register(s: LabState, body: string): unknown {
  let r: Record<string, unknown>;
  try {
    r = JSON.parse(body) as Record<string, unknown>;
  } catch {
    throw new ApiError('BadRequest', 'body must be JSON {host, code, id, region}');
  }
  const str = (k: string): string => (typeof r[k] === 'string' ? (r[k] as string) : '');
  const host = s.fleet.host(str('host'));
  if (!host?.board) throw new ApiError('BadRequest', `no Raspberry Pi board "${str('host')}" in this lab`);
  const node = s.activations.register(s.fleet, { activationId: str('id'), code: str('code'), region: str('region') });
  return { InstanceId: node.id, Region: str('region') };
}

export function labRoutes(s: () => LabState, stats: () => unknown, info: () => LabInfo): Record<string, LabRoute> {
  const get = (f: () => unknown): LabRoute => (method) => {
    if (method !== 'GET') throw new ApiError('MethodNotAllowed', 'use GET', 405);
    return f();
  };
  return {
    info: get(info),
    stats: get(stats),
    hosts: get(() => hostInfo(s())),
    register: (method, body) => {
      if (method !== 'POST') throw new ApiError('MethodNotAllowed', 'use POST', 405);
      return register(s(), body);
    },
    ...servedStandins(),
  };
}
