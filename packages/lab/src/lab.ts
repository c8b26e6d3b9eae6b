// startLab(): a fleet on loopback. One port speaks SSM and EC2 to the unmodified SDK clients; each host is a
// directory tree whose commands run as real /bin/sh processes with stand-ins on PATH; an STNS server answers
// the hosts' key and user lookups. stop() kills every host process and removes the lab's directory.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Activations } from './activations.js';
import { buildDebs, rootfsPath } from './chroot-hosts.js';
import { CommandEngine } from './commands.js';
import { Fleet } from './fleet.js';
import { platformOf, seedHostTree, setAgentState } from './host-tree.js';
import { planHosts, type LabHost } from './hosts.js';
import { inventoryEndpoints, LAB_INVENTORY, labInventoryFile, sameEndpoint } from './inventory.js';
import { hostInfo, keptCommands, labRoutes, type KeptCommand, type LabHostInfo, type LabInfo } from './lab-api.js';
import { Limiter } from './limiter.js';
import { ModelHosts, type ModelStats } from './model-hosts.js';
import { ModelHostRunner } from './model-runner.js';
import { resolveOptions, type LabOptions, type ResolvedOptions } from './options.js';
import { ParameterStore } from './parameters.js';
import { Rng } from './random.js';
import { HostRunner } from './runner.js';
import { ApiServer, type ApiStats, type RecordedRequest, type RecordedResponse } from './server.js';
import { LAB_BIN, writeStandins } from './standins.js';
import { ACCOUNT_ID, type LabState } from './state.js';
import { StnsServer, type StnsGroup, type StnsRequestRecord, type StnsStats, type StnsToken, type StnsUser } from './stns-server.js';

export const TOKEN_PARAMETERS = { web: '/stns-fleet/lab/web-token', pi: '/stns-fleet/lab/pi-token' } as const;
/** Environment names the CLI exports the STNS tokens under. */
export const TOKEN_ENV = { web: 'STNS_LAB_WEB_TOKEN', pi: 'STNS_LAB_PI_TOKEN' } as const;
const TOKEN_DESCRIPTIONS = { web: 'STNS auth token of the lab web/db hosts', pi: 'STNS auth token of the lab Raspberry Pis' } as const;
export type TokenName = keyof typeof TOKEN_PARAMETERS;

/** startLab's options: the lab's (options.ts) and how much the lab itself keeps for the caller to inspect. */
export interface StartLabOptions extends LabOptions {
  /** Keep every API response body (SSM JSON, EC2 XML) on its request's record, for lab.responses() and
   * requests()[i].response. Off by default: cheap for a test fleet, but a 1000-host run reads megabytes of
   * command output, and the benchmark does not need it. */
  recordResponses?: boolean;
  /** Write the shipped inventory with this lab's STNS endpoint to this file once the lab runs (lab.writeInventory). */
  writeInventory?: string;
}

/** A recorded request that has been answered, with its answer. */
export type AnsweredRequest = RecordedRequest & { response: RecordedResponse };

export interface LabStats extends ApiStats, ModelStats {
  /** Host processes started (one per invocation that ran). */
  hostCommands: number;
  /** Wall-clock seconds those processes ran, summed. */
  hostSeconds: number;
  commands: number;
  stns: StnsStats;
}

export interface Lab {
  /** http://127.0.0.1:PORT: SSM and EC2 on one port. */
  endpoint: string;
  region: string;
  /** AWS_ENDPOINT_URL, dummy AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_REGION: all the SDK needs. */
  env: Record<string, string>;
  /** The STNS API base URL (…/v1), as stns.conf's api_endpoint. */
  stnsEndpoint: string;
  /** The STNS auth tokens in force (rotateToken changes them; options.tokens keeps the ones the lab began with). */
  tokens: { web: string; pi: string };
  /** Everyone in the STNS directory (what a token may see of it: stnsVisible). */
  stnsUsers: StnsUser[];
  stnsGroups: StnsGroup[];
  /** What the STNS server answers the token `name` (web, pi, or another token of the directory): its users,
   * and its groups with only the members it may see. */
  stnsVisible(name: string): { users: StnsUser[]; groups: StnsGroup[] };
  /** Every token the STNS server accepts now, with what it may see (web and pi as in `tokens`). */
  stnsTokens(): StnsToken[];
  /** The last 2000 requests the STNS server answered (path, token name, status, user agent), oldest first. */
  stnsRequests(): StnsRequestRecord[];
  /** The lab's directory (hosts/, bin/); removed by stop() unless keepWorkDir. */
  workDir: string;
  options: ResolvedOptions;
  /** Every host, read live (IDs change when a board re-registers). */
  readonly hosts: LabHostInfo[];
  /** A host by lab key (lab-001), instance ID or managed-node ID (the board that answers it next). */
  host(keyOrId: string): LabHostInfo | undefined;
  /** Stops or (re)starts a board's SSM agent, as `service amazon-ssm-agent stop|start` on the board would: a
   * board switched off, or back on (a started agent answers its ID's next command; see fleet.ts). */
  setAgent(key: string, state: 'running' | 'stopped'): void;
  stats(): LabStats;
  /** Every AWS API request as received, oldest first (bodies verbatim: assert secrets never reach AWS). With
   * recordResponses, each answered one carries its `response`. */
  requests(): RecordedRequest[];
  /** Every answered AWS API request with its response body, oldest first (assert secrets never come back from
   * AWS). Throws unless the lab was started with recordResponses: an empty list must not pass for "clean". */
  responses(): AnsweredRequest[];
  /** What GET /_lab/info answers: the endpoints, and whether the shipped inventory (inventories/lab.yaml) names
   * this lab's STNS server. */
  info(): LabInfo;
  /** Writes the shipped inventory with this lab's STNS endpoint to `file` (labInventoryFile); info() lists it. */
  writeInventory(file: string): void;
  /** Every command SSM accepted, with what SSM keeps of each invocation's output (cut as SSM cuts it), read
   * or not: SSM's command history as AWS would keep it. */
  commandHistory(): KeptCommand[];
  /** Rotates an STNS auth token: the lab's SecureString parameter (TOKEN_PARAMETERS[name]) gets `value` (default
   * a new random one, never an earlier value), the STNS server accepts it and refuses the old one from now on,
   * and lab.tokens[name] shows it. Hosts still configured with the old token get 401 until they are applied
   * again. Returns the new value. */
  rotateToken(name: TokenName, value?: string): string;
  stop(): Promise<void>;
}

function seedNodes(state: LabState, hosts: LabHost[], activations: Activations, started: number): void {
  const originals = hosts.filter((h) => h.board && !h.board.cloneOf);
  if (originals.length === 0) return;
  const day = 24 * 3600_000;
  // The activation the Pis were registered with, long expired, as in a fleet that has been running a while.
  const boot = activations.create({
    iamRole: 'SSMServiceRole',
    region: state.o.region,
    registrationLimit: originals.length,
    registrationsCount: originals.length,
    createdDate: new Date(started - 40 * day),
    expirationDate: new Date(started - 39 * day),
    description: 'stns-fleet lab: the activation the Raspberry Pis were registered with',
    defaultInstanceName: 'lab-pi',
    tags: [
      { Key: 'Env', Value: 'lab' },
      { Key: 'Role', Value: 'pi' },
    ],
  });
  originals.forEach((h, i) => {
    state.fleet.nodes.set(h.board!.initialId, {
      id: h.board!.initialId,
      activationId: boot.id,
      iamRole: boot.iamRole,
      registrationDate: new Date(started - 39 * day - (originals.length - i) * 60_000),
      name: 'lab-pi',
      tags: new Map(h.initialTags),
    });
  });
}

export async function startLab(options: StartLabOptions = {}): Promise<Lab> {
  const o = resolveOptions(options);
  const workDir = await mkdtemp(path.join(o.workDir ?? tmpdir(), 'stns-fleet-lab-'));
  const cleanup: (() => Promise<void> | void)[] = [];
  let stopped = false;
  let killHosts = (): void => {};
  // A caller that exits without stop() still leaves no host processes and no lab directory behind.
  const atExit = (): void => {
    killHosts();
    if (!o.keepWorkDir) rmSync(workDir, { recursive: true, force: true });
  };
  process.once('exit', atExit);
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', atExit);
    for (const f of cleanup.reverse()) await f();
    if (!o.keepWorkDir) await rm(workDir, { recursive: true, force: true });
  };
  try {
    const started = Date.now();
    const hosts = planHosts(o, path.join(workDir, 'hosts'));
    const rng = new Rng(o.seed, 'runtime');
    const fleet = new Fleet(hosts, o.cloneAnswers);
    const activations = new Activations(rng);
    const params = new ParameterStore(o.region, ACCOUNT_ID);
    params.put({ name: TOKEN_PARAMETERS.web, type: 'SecureString', value: o.tokens.web, description: TOKEN_DESCRIPTIONS.web, overwrite: false });
    params.put({ name: TOKEN_PARAMETERS.pi, type: 'SecureString', value: o.tokens.pi, description: TOKEN_DESCRIPTIONS.pi, overwrite: false });
    const counters = { hostCommands: 0, hostMs: 0 };
    const binDir = path.join(workDir, 'bin');
    let labUrl: string | undefined;
    const runnerOptions = { binDir, maxProcesses: o.maxHostProcesses, labUrl: () => labUrl, onSpawn: () => counters.hostCommands++, onExit: (_: unknown, ms: number) => (counters.hostMs += ms) };
    // What a model host's script sees beyond its tree: the STNS tokens in force (set once the server runs).
    let stnsWorld = (): string => '';
    const model = o.modelHosts ? new ModelHosts(path.join(workDir, 'model'), () => stnsWorld()) : undefined;
    const runner = model ? new ModelHostRunner(runnerOptions, model) : new HostRunner(runnerOptions);
    cleanup.push(() => runner.killAll());
    killHosts = () => runner.killAll();
    const state: LabState = {
      o,
      fleet,
      params,
      activations,
      rng,
      platforms: new Map(),
      engine: new CommandEngine({
        runner,
        route: (id) => fleet.deliver(id),
        newId: () => rng.uuid(),
        deliveryCapMs: o.deliveryTimeoutMs,
        ...(o.queueTimeoutMs !== undefined ? { queueCapMs: o.queueTimeoutMs } : {}),
        executionCapMs: o.executionTimeoutMs,
        visibilityDelayMs: o.invocationVisibilityDelayMs,
      }),
    };
    cleanup.push(() => state.engine.stop());
    seedNodes(state, hosts, activations, started);

    const directory = o.stns;
    const stns = new StnsServer(directory, o.stnsTokens);
    let stnsEndpoint: string;
    try {
      stnsEndpoint = await stns.listen(o.stnsPort);
    } catch (e) {
      if (!o.stnsPortFallback || (e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
      stnsEndpoint = await stns.listen(0);
    }
    cleanup.push(() => stns.close());
    stnsWorld = () => stns.tokens().map((t) => `${t.name}=${t.value}`).join('\n');
    const written: string[] = [];
    const info = (): LabInfo => {
      const shipped = inventoryEndpoints(readFileSync(LAB_INVENTORY, 'utf8'));
      return {
        endpoint,
        region: o.region,
        stnsUrl: stnsEndpoint,
        inventory: { shipped: LAB_INVENTORY, apiEndpoints: shipped, matches: shipped.length > 0 && shipped.every((e) => sameEndpoint(e, stnsEndpoint)), written: [...written] },
      };
    };
    const api = new ApiServer(() => state, {
      latencyMs: o.latencyMs,
      throttlePercent: o.faults.throttlePercent,
      throttleRng: new Rng(o.seed, 'throttle'),
      labRoutes: labRoutes(() => state, () => stats(), () => info()),
      recordResponses: options.recordResponses ?? false,
    });
    const endpoint = await api.listen(o.port);
    labUrl = endpoint;
    cleanup.push(() => api.close());
    const stats = (): LabStats => ({ ...structuredClone(api.stats), hostCommands: counters.hostCommands, hostSeconds: counters.hostMs / 1000, commands: state.engine.commands.size, stns: { ...stns.stats }, ...(model?.stats() ?? { modelRuns: 0, modelHits: 0, modelStates: 0 }) });

    await writeStandins(binDir);
    const chroot = o.chroot > 0 ? { rootfs: o.chrootRootfs ?? rootfsPath(), debs: await buildDebs(path.join(workDir, 'debs')) } : undefined;
    const treeContext = { labUrl: endpoint, region: o.region, nodePath: process.execPath, labBin: LAB_BIN, ...(chroot ? { chroot } : {}) };
    if (model) {
      await model.seed(hosts, { ...treeContext, startedAt: started });
      for (const h of hosts) if (h.model) state.platforms.set(h.key, model.platformOf(h));
    }
    const limit = new Limiter(16);
    await Promise.all(
      hosts.map(async (h, i) => {
        if (h.model) return;
        const release = await limit.acquire().ready;
        try {
          // Clones were booted after the board they copy: they are the most recently started.
          const startedAt = h.board?.cloneOf ? started + i : started - 60_000 + i;
          await seedHostTree(h, { ...treeContext, startedAt });
          state.platforms.set(h.key, await platformOf(h));
        } finally {
          release();
        }
      }),
    );

    const tokens = { ...o.tokens };
    const used = new Set<string>(o.stnsTokens.map((t) => t.value));
    const rotations = new Rng(o.seed, 'token-rotations');
    const rotateToken = (name: TokenName, value?: string): string => {
      if (!Object.hasOwn(TOKEN_PARAMETERS, name)) throw new Error(`rotateToken: no token "${String(name)}" (known: ${Object.keys(TOKEN_PARAMETERS).join(', ')})`);
      let next = value;
      if (next === undefined) {
        do next = `lab-${name}-${rotations.alnum(24)}`;
        while (used.has(next));
      }
      if (next === '' || next === tokens[name]) throw new Error(`rotateToken: the new ${name} token must be non-empty and differ from the current one`);
      const clash = stns.tokens().find((t) => t.value === next && t.name !== name);
      if (clash) throw new Error(`rotateToken: the new ${name} token is the value of the STNS token "${clash.name}"`);
      params.put({ name: TOKEN_PARAMETERS[name], type: 'SecureString', value: next, description: TOKEN_DESCRIPTIONS[name], overwrite: true });
      tokens[name] = next;
      used.add(next);
      stns.setToken(name, next);
      return next;
    };

    const lab: Lab = {
      endpoint,
      region: o.region,
      env: { AWS_ENDPOINT_URL: endpoint, AWS_ACCESS_KEY_ID: 'lab', AWS_SECRET_ACCESS_KEY: 'lab', AWS_REGION: o.region },
      stnsEndpoint,
      tokens,
      stnsUsers: directory.users,
      stnsGroups: directory.groups,
      stnsVisible: (name) => stns.visibleTo(name),
      stnsTokens: () => stns.tokens(),
      stnsRequests: () => stns.requests(),
      workDir,
      options: o,
      get hosts() {
        return hostInfo(state);
      },
      host: (k) => {
        const all = hostInfo(state);
        return all.find((h) => h.key === k) ?? all.find((h) => h.id === k && h.answers) ?? all.find((h) => h.id === k);
      },
      setAgent: (key, agent) => {
        const h = fleet.host(key);
        if (!h?.board) throw new Error(`setAgent: no Raspberry Pi board "${key}" in this lab`);
        setAgentState(h, agent === 'running');
      },
      stats,
      requests: () => [...api.requests],
      responses: () => {
        if (!options.recordResponses) throw new Error('lab.responses(): start the lab with recordResponses: true');
        return api.requests.filter((r): r is AnsweredRequest => r.response !== undefined);
      },
      info,
      writeInventory: (file) => {
        writeFileSync(file, labInventoryFile(stnsEndpoint));
        written.push(path.resolve(file));
      },
      commandHistory: () => keptCommands(state),
      rotateToken,
      stop,
    };
    if (options.writeInventory !== undefined) lab.writeInventory(options.writeInventory);
    return lab;
  } catch (e) {
    await stop();
    throw e;
  }
}
