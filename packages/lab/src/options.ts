// What a lab is made of, and the defaults. Timings are scaled down from AWS's (minutes → seconds) so that a
// test of "the host never answered" finishes in seconds: TimeoutSeconds and executionTimeout from the
// request are honoured; deliveryTimeoutMs / executionTimeoutMs cap only the waits for what never comes (a node
// nobody answers, a slow pick-up, a hung script): see commands.ts.
import { OS_PROFILE_IDS, type OsProfileId } from 'stns-fleet';
import { chrootSupport } from './chroot-hosts.js';
import { assignFaults, FaultSpecError, parseFaults, type FaultSpec } from './faults.js';
import { Rng } from './random.js';
import { labDirectory, loadDirectoryFile, StnsDirectoryError, validateDirectory } from './stns-directory.js';
import type { StnsDirectory, StnsToken } from './stns-server.js';

/** How clones sharing one managed-node ID answer it (fleet.ts explains the model). */
export const CLONE_ANSWERS = ['in-turn', 'last-started'] as const;
export type CloneAnswers = (typeof CLONE_ANSWERS)[number];

/** The OS profiles EC2 hosts rotate through by default: every profile except Raspberry Pi OS (which the Pi hosts run). */
export const EC2_PROFILES: readonly OsProfileId[] = OS_PROFILE_IDS.filter((p) => p !== 'raspberry-pi-os');

export interface LabOptions {
  /** Lab hosts, EC2 and Raspberry Pi together (default 10). Clones come on top. */
  hosts?: number;
  /** How many of `hosts` are Raspberry Pis (`mi-`); default one in ten, rounded down. */
  pis?: number;
  /** OS profiles of the lab, the same names as an inventory's `os:` (default, or `auto`: every profile). EC2
   * hosts take the EC2 profiles among them round-robin; `raspberry-pi-os` names the Pi hosts (`pis`): when it is
   * listed and `pis` is not given, at least one host is a Pi; listed alone, every host is. */
  os?: readonly string[];
  /** Fault SPEC, e.g. "offline=2,fail=5%,throttle=20%,clones=3" (see faults.ts). */
  faults?: string;
  /** Seed for IDs, tokens, keys and fault assignment (default 1). */
  seed?: string | number;
  /** Added to every API call. */
  latencyMs?: number;
  /** API port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** STNS server port; 0 (default) picks a free one. */
  stnsPort?: number;
  /** When stnsPort is taken, take any free port instead of failing (the lab command: 4567, the port the shipped
   * inventory names, when it is free). lab.info() and the banner say whether the shipped inventory matches. */
  stnsPortFallback?: boolean;
  region?: string;
  /** Where the lab makes its own directory (default the system temp dir); removed on stop(). */
  workDir?: string;
  /** Keep the lab directory after stop() (for a post-mortem). */
  keepWorkDir?: boolean;
  /** SendCommand refuses Parameters larger than this (default 64 KiB). */
  payloadCapBytes?: number;
  /** How long the lab waits for a node nobody answers, or a slow pick-up, before DeliveryTimedOut (default 5 s;
   * never longer than what is left of the command's TimeoutSeconds), counted from when the invocation is handed to
   * the node: a host queued behind the rate control waits as long as TimeoutSeconds allows. */
  deliveryTimeoutMs?: number;
  /** How long a hung script (timeout fault) runs before it is killed (default 10 s; never longer than the
   * command's executionTimeout). Other scripts get the executionTimeout they asked for. */
  executionTimeoutMs?: number;
  /** Cap on TimeoutSeconds for invocations waiting for a MaxConcurrency slot (default: none, as SSM: they may
   * wait the whole TimeoutSeconds). For tests of the DeliveryTimedOut-in-the-queue case in seconds. */
  queueTimeoutMs?: number;
  /** Delivery delay of a `slow` host, drawn per host from this range (default 1000–3000 ms). */
  slowDelayMs?: readonly [number, number];
  /** Host processes running at once, across all commands (default 32). */
  maxHostProcesses?: number;
  /** For this long after SendCommand its invocations are not listed yet (SSM is eventually consistent). */
  invocationVisibilityDelayMs?: number;
  /** STNS auth tokens: one for EC2 (web/db) hosts, one for Pis; default drawn from the seed. */
  tokens?: { web?: string; pi?: string };
  /** Debian 12 chroot hosts on top of the directory hosts (root and the cached rootfs only; see chroot-hosts.ts). */
  chroot?: number;
  /** The root filesystem the chroot hosts are copies of (default: the cached Debian 12 rootfs of
   * scripts/debian-rootfs.sh). E.g. the rootfs with the real libnss-stns-v2 of scripts/stns-real-rootfs.sh. */
  chrootRootfs?: string;
  /** What the STNS server serves: a JSON or YAML file (stns-directory.ts describes the format), or the same as an
   * object (users, groups, tokens). Default: the lab's own users (alice, bob, carol, dave, erin), drawn from
   * the seed, with different users visible to the web and Pi tokens. */
  stnsDirectory?: string | Record<string, unknown>;
  /** Which of the boards sharing a managed-node ID (clones) answers it: 'in-turn' (default; each command
   * reaches the next live board, a restarted agent first) or 'last-started' (always the most recently
   * started one). See fleet.ts. */
  cloneAnswers?: CloneAnswers;
  /** Model hosts (model-hosts.ts): no tree and no shell per host; each host is a state of a shared model that
   * replays what the real scripts did on one real tree per state. For the controller at 10,000 hosts on a
   * small machine. EC2 hosts only: Raspberry Pis (pis, clones) and chroot hosts are refused. */
  modelHosts?: boolean;
}

export interface ResolvedOptions {
  hosts: number;
  pis: number;
  os: OsProfileId[];
  faults: FaultSpec;
  seed: string | number;
  latencyMs: number;
  port: number;
  stnsPort: number;
  stnsPortFallback: boolean;
  region: string;
  workDir: string | undefined;
  keepWorkDir: boolean;
  payloadCapBytes: number;
  deliveryTimeoutMs: number;
  executionTimeoutMs: number;
  queueTimeoutMs: number | undefined;
  slowDelayMs: readonly [number, number];
  maxHostProcesses: number;
  invocationVisibilityDelayMs: number;
  tokens: { web: string; pi: string };
  chroot: number;
  /** The chroot hosts' root filesystem (undefined: the default cached rootfs). */
  chrootRootfs: string | undefined;
  cloneAnswers: CloneAnswers;
  modelHosts: boolean;
  /** The STNS directory served, checked and with defaults filled in. */
  stns: StnsDirectory;
  /** Where it came from: the file, "options" (an object) or "built-in". */
  stnsSource: string;
  /** Every token the STNS server accepts: web and pi (their values as in `tokens`), then the directory's others. */
  stnsTokens: StnsToken[];
}

export class LabOptionsError extends Error {}

function nonNegative(name: string, v: number | undefined, dflt: number): number {
  const n = v ?? dflt;
  if (!Number.isInteger(n) || n < 0) throw new LabOptionsError(`${name} must be a whole number ≥ 0 (got ${String(v)})`);
  return n;
}

export function resolveOptions(o: LabOptions = {}): ResolvedOptions {
  const hosts = nonNegative('hosts', o.hosts, 10);
  // `auto` (an inventory's "detect it"): any OS, so every profile, as when os is not given.
  const every = o.os === undefined || o.os.includes('auto');
  if (every && o.os !== undefined && o.os.length > 1) throw new LabOptionsError(`os "auto" means every profile: name it alone (got ${o.os.join(', ')})`);
  const named = (every ? OS_PROFILE_IDS : o.os!).map((p) => {
    if (!(OS_PROFILE_IDS as readonly string[]).includes(p)) throw new LabOptionsError(`unknown OS "${p}": known are ${OS_PROFILE_IDS.join(', ')}, or auto (every one)`);
    return p as OsProfileId;
  });
  if (named.length === 0) throw new LabOptionsError('os must name at least one OS profile');
  const wantsPi = named.includes('raspberry-pi-os');
  const os = named.filter((p) => p !== 'raspberry-pi-os');
  let faults: FaultSpec;
  try {
    faults = parseFaults(o.faults);
  } catch (e) {
    throw new LabOptionsError(e instanceof FaultSpecError ? e.message : String(e));
  }
  // raspberry-pi-os alone: every host is a Pi; listed with others, or clones asked for (copies of the first
  // Pi): at least one Pi; else one in ten.
  const modelHosts = o.modelHosts ?? false;
  if (modelHosts) {
    // Boards are files the lab reads to route (vault, agent, fingerprint): not modelled, so not offered.
    if (wantsPi && !every) throw new LabOptionsError('modelHosts: Raspberry Pi hosts are not modelled; name EC2 OS profiles only');
    if ((o.pis ?? 0) > 0 || faults.clones > 0) throw new LabOptionsError('modelHosts: Raspberry Pi hosts (pis, clones) are not modelled');
    if ((o.chroot ?? 0) > 0) throw new LabOptionsError('modelHosts: chroot hosts are not modelled');
  }
  const defaultPis = modelHosts ? 0 : os.length === 0 ? hosts : Math.floor(hosts / 10) || ((wantsPi && !every) || faults.clones > 0 ? Math.min(1, hosts) : 0);
  const pis = nonNegative('pis', o.pis, defaultPis);
  if (pis > hosts) throw new LabOptionsError(`pis (${pis}) cannot exceed hosts (${hosts})`);
  if (!every && wantsPi && pis === 0 && hosts > 0) throw new LabOptionsError('os names raspberry-pi-os, which runs on the Pi hosts, but pis is 0');
  if (os.length === 0 && pis < hosts) throw new LabOptionsError(`os names only raspberry-pi-os, but ${hosts - pis} host(s) are EC2 instances (pis=${pis} of ${hosts}); name an EC2 OS too`);
  try {
    // The same draw planHosts makes: an impossible SPEC fails here, as a usage error.
    assignFaults(faults, hosts, o.seed ?? 1, (i, f) => f !== 'stopped' || i < hosts - pis);
  } catch (e) {
    throw new LabOptionsError(e instanceof FaultSpecError ? e.message : String(e));
  }
  if (faults.clones > 0 && pis === 0) throw new LabOptionsError('clones copy the first Raspberry Pi, but the lab has no Pi hosts (pis=0)');
  const seed = o.seed ?? 1;
  let stns: StnsDirectory;
  let stnsSource = 'built-in';
  try {
    if (typeof o.stnsDirectory === 'string') {
      stns = loadDirectoryFile(o.stnsDirectory);
      stnsSource = o.stnsDirectory;
    } else if (o.stnsDirectory !== undefined) {
      stns = validateDirectory(o.stnsDirectory, 'stnsDirectory');
      stnsSource = 'options';
    } else stns = labDirectory(seed);
  } catch (e) {
    throw new LabOptionsError(e instanceof StnsDirectoryError ? `STNS directory ${e.message}` : String(e));
  }
  const tokenRng = new Rng(seed, 'tokens');
  const slow = o.slowDelayMs ?? [1000, 3000];
  if (slow[0] < 0 || slow[1] < slow[0]) throw new LabOptionsError(`slowDelayMs must be [min, max] with 0 ≤ min ≤ max (got ${slow.join(', ')})`);
  const r: ResolvedOptions = {
    hosts,
    pis,
    os,
    faults,
    seed,
    latencyMs: nonNegative('latencyMs', o.latencyMs, 0),
    port: nonNegative('port', o.port, 0),
    stnsPort: nonNegative('stnsPort', o.stnsPort, 0),
    stnsPortFallback: o.stnsPortFallback ?? false,
    region: o.region ?? 'us-east-1',
    workDir: o.workDir,
    keepWorkDir: o.keepWorkDir ?? false,
    payloadCapBytes: nonNegative('payloadCapBytes', o.payloadCapBytes, 64 * 1024),
    deliveryTimeoutMs: nonNegative('deliveryTimeoutMs', o.deliveryTimeoutMs, 5000),
    executionTimeoutMs: nonNegative('executionTimeoutMs', o.executionTimeoutMs, 10_000),
    queueTimeoutMs: o.queueTimeoutMs === undefined ? undefined : nonNegative('queueTimeoutMs', o.queueTimeoutMs, 0),
    slowDelayMs: slow,
    maxHostProcesses: Math.max(1, nonNegative('maxHostProcesses', o.maxHostProcesses, 32)),
    invocationVisibilityDelayMs: nonNegative('invocationVisibilityDelayMs', o.invocationVisibilityDelayMs, 0),
    tokens: {
      web: o.tokens?.web ?? stns.access['web']?.value ?? `lab-web-${tokenRng.alnum(24)}`,
      pi: o.tokens?.pi ?? stns.access['pi']?.value ?? `lab-pi-${tokenRng.alnum(24)}`,
    },
    chroot: nonNegative('chroot', o.chroot, 0),
    chrootRootfs: o.chrootRootfs,
    cloneAnswers: o.cloneAnswers ?? 'in-turn',
    modelHosts,
    stns,
    stnsSource,
    stnsTokens: [],
  };
  if (!(CLONE_ANSWERS as readonly string[]).includes(r.cloneAnswers)) throw new LabOptionsError(`cloneAnswers must be one of ${CLONE_ANSWERS.join(', ')} (got ${String(o.cloneAnswers)})`);
  if (r.tokens.web === '' || r.tokens.pi === '') throw new LabOptionsError('tokens must not be empty');
  const access = (name: string) => ({ users: [...(stns.access[name]?.users ?? [])], groups: [...(stns.access[name]?.groups ?? [])] });
  r.stnsTokens = [
    { name: 'web', value: r.tokens.web, ...access('web') },
    { name: 'pi', value: r.tokens.pi, ...access('pi') },
    ...Object.entries(stns.access)
      .filter(([n]) => n !== 'web' && n !== 'pi')
      .map(([name, a]) => ({ name, value: a.value!, users: [...a.users], groups: [...a.groups] })),
  ];
  const seen = new Map<string, string>();
  for (const t of r.stnsTokens) {
    const other = seen.get(t.value);
    if (other !== undefined) throw new LabOptionsError(`STNS tokens "${other}" and "${t.name}" have the same value (${r.stnsSource})`);
    seen.set(t.value, t.name);
  }
  if (r.chroot > 0) {
    const c = chrootSupport(r.chrootRootfs);
    if (!c.ok) throw new LabOptionsError(`chroot=${r.chroot}: ${c.reason}`);
  }
  return r;
}
