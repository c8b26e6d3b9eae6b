// `npm run bench`: figures, not assertions. The CLI runs as a user runs it (its own process: `node
// dist/bin/stns-fleet.js apply|plan -i …`), measured apart from the lab that serves it (cli-run.ts), against
// lab fleets with a per-call latency and a share of throttled calls (as AWS answers under load):
//   - directory hosts (a tree and a real shell per host) at 10, 100 and 1000 hosts: `apply` on fresh hosts
//     (planning and seal keys included), then `plan` with nothing to do (three times on ≤ 100 hosts, the median
//     kept); wall time, the lower bound the latency, throttle and host work allow and the ratio, API calls by
//     operation and per host, and where the time went (timeline.ts: the phases one after another, the slowest
//     host of each, the gaps the controller took);
//   - model hosts (--model-hosts, default 10,000: hosts that answer from recorded runs of the real scripts, no
//     shell per host): the controller's own cost: wall, CPU seconds and ms per host, peak RSS, calls per host;
//   - --peer ansible: the Ansible peer (packages/lab/bench/peer-ansible) on the same number of stock Debian 12
//     hosts (--peer-hosts, default 50), beside stns-fleet on a lab of as many Debian 12 hosts, and the ratios;
//   - `stns-fleet --help` start-up against `node -e 0`, rendering at fleet scale, seal key costs per scheme.
// Writes packages/lab/bench/results.json (compare across commits; --out FILE for a run of other sizes) and prints
// tables. Runs after `npm run build`.
//   npm run bench                                   every size, and 10,000 model hosts
//   npm run bench -- --sizes 10,100 --model-hosts 1000 --out small.json
//   npm run bench -- --sizes 0 --model-hosts 0 --peer ansible --out peer.json
import { BENCH_USAGE, BenchUsageError, benchRender, benchSealKeys, parseBenchOptions, labInventoryYaml, runAnsiblePeer, runCli, startLab, startupMs, timeline, type CliRun, type Lab, type PeerRun, type PhaseSpan, type StartLabOptions } from '@stns-fleet/lab';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const labDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const benchDir = path.join(labDir, 'bench');

/** A bad option ends the bench with one line and the usage, not a stack trace. */
const opts = (() => {
  try {
    // npm runs the script from the repository; a relative --out is the user's, from where they ran npm.
    return parseBenchOptions(process.argv.slice(2), { cwd: process.env['INIT_CWD'] ?? process.cwd(), defaultOut: path.join(benchDir, 'results.json') });
  } catch (e) {
    if (!(e instanceof BenchUsageError)) throw e;
    process.stderr.write(`bench: ${e.message}\n\n${BENCH_USAGE}\n`);
    process.exit(2);
  }
})();
if (opts.help) {
  process.stdout.write(`${BENCH_USAGE}\n`);
  process.exit(0);
}
const { sizes, modelHosts, peerHosts, peerForks, latencyMs, throttlePct } = opts;
/** The results file as the user would name it: from the repository when it is inside it. */
const fromRepo = path.relative(path.resolve(labDir, '../..'), opts.out);
const outShown = fromRepo.startsWith('..') ? opts.out : fromRepo;
const EC2_OS = ['amazon-linux-2', 'ubuntu-20.04', 'ubuntu-22.04', 'ubuntu-24.04', 'debian-11', 'debian-12'];
/** The lab's parallel host processes (directory hosts). */
const SLOTS = 64;
/** The lab inventory's rollout (packages/lab/inventories/lab.yaml): one canary, verified, then the rest at 50 %. */
const CONCURRENCY = 0.5;

type Calls = Record<string, number>;
const diff = (a: Calls, b: Calls): Calls => Object.fromEntries(Object.entries(b).map(([k, v]) => [k, v - (a[k] ?? 0)]).filter(([, v]) => (v as number) > 0));
const sum = (c: Calls): number => Object.values(c).reduce((s, n) => s + n, 0);
const ssmOnly = (c: Calls): Calls => Object.fromEntries(Object.entries(c).filter(([k]) => !k.startsWith('ec2:')));
const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;
/** A phase's SendCommand / ListCommands / ListCommandInvocations calls, "S 20 LC 9 LI 24". */
const pollCalls = (c: Calls): string => `S ${c['SendCommand'] ?? 0} LC ${c['ListCommands'] ?? 0} LI ${c['ListCommandInvocations'] ?? 0}`;

interface Phase extends CliRun {
  calls: Calls;
  ssmCallsPerHost: number;
  /** Host-seconds of scripts the lab ran in this run (wall time per script, summed). */
  hostSeconds: number;
  lowerBoundS: number;
  ratio: number;
  /** CPU ms of the controller process per host. */
  cpuMsPerHost: number;
  /** CPU seconds of the lab (the bench's own process) meanwhile: API, and spawning the host scripts. */
  labCpuS: number;
  /** CPU seconds of the host scripts (the bench's reaped children other than the CLI): with the CLI's and the
   * lab's, over this machine's CPUs, the floor the machine itself sets (the CPU floor). */
  hostCpuS: number;
  cpuFloorS: number;
  timeline: PhaseSpan[];
}

/**
 * The lower bound of a run: the API round trips that must happen one after another (each costing the latency,
 * stretched by the throttled share that has to be retried), plus the host work spread over the parallelism
 * allowed (the lab's process slots, and apply's max_concurrency). On this machine the host work is CPU-bound, and
 * host-seconds over the slots is the scripts' CPU over the machine's CPUs only while every slot is busy: with fewer
 * running, each script's wall shrinks with the queue it shares and the bound reads low. The CPU floor printed
 * beside it (cpuFloorS) is then the one that binds.
 */
function lowerBound(chainCalls: number, hostSeconds: number, parallel: number): number {
  const perCallS = latencyMs / 1000 / (1 - throttlePct / 100);
  return chainCalls * perCallS + hostSeconds / Math.max(1, parallel);
}

function inventoryFor(lab: Lab): string {
  const file = path.join(benchDir, `.lab-${process.pid}.yaml`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, labInventoryYaml({ stnsEndpoint: lab.stnsEndpoint, region: lab.region }));
  return file;
}

/** CPU seconds of this process's reaped children (/proc/self/stat cutime + cstime; 0 where there is no /proc). */
function childrenCpuS(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[13]) + Number(f[14])) / CLK_TCK; // fields 16 and 17, counted from the state (field 3)
  } catch {
    return 0;
  }
}
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

async function measure(lab: Lab, args: string[], hosts: number, chainCalls: number, parallel: number): Promise<Phase> {
  const before = lab.stats();
  const labCpu0 = process.cpuUsage();
  const children0 = childrenCpuS();
  const t0 = Date.now();
  const run = await runCli(args, lab.env);
  const t1 = Date.now();
  const labCpu = process.cpuUsage(labCpu0);
  const hostCpuS = Math.max(0, childrenCpuS() - children0 - run.cpuS);
  const after = lab.stats();
  if (run.exitCode !== 0) {
    // A figure of a run that did not do its job is no figure: reported, and the bench exits 1 at the end.
    failures.push(`${hosts} hosts: stns-fleet ${args[0]} exited ${run.exitCode}${args[0] === 'plan' && run.exitCode === 2 ? ' (changes left after apply)' : ''}`);
    process.stderr.write(`bench: stns-fleet ${args[0]} exited ${run.exitCode}: ${run.stderr.trim().split('\n').slice(-3).join(' / ')}\n`);
  }
  const calls = diff(before.calls, after.calls);
  const hostSeconds = after.hostSeconds - before.hostSeconds;
  const lb = lowerBound(chainCalls, hostSeconds, parallel);
  return {
    ...run,
    calls,
    ssmCallsPerHost: round(sum(ssmOnly(calls)) / hosts, 3),
    hostSeconds: round(hostSeconds),
    lowerBoundS: round(lb),
    ratio: round(run.wallS / lb, 2),
    cpuMsPerHost: round((run.cpuS * 1000) / hosts, 3),
    labCpuS: round((labCpu.user + labCpu.system) / 1e6),
    hostCpuS: round(hostCpuS),
    cpuFloorS: round((hostCpuS + run.cpuS + (labCpu.user + labCpu.system) / 1e6) / os.cpus().length),
    timeline: timeline(lab.commandHistory(), t0, t1, lab.requests()),
  };
}

interface FleetResult {
  hosts: number;
  kind: 'directory' | 'model';
  os: string[];
  apply: Phase;
  /** The median of planRuns(hosts) runs (its own figures, timeline and calls). */
  plan: Phase;
  /** Every plan run's wall seconds, in order. */
  planWallS: number[];
  distinctStates: number;
  throttled: number;
}

/** Plan runs per fleet: a plan changes nothing, so a small fleet's is run three times and the median kept. Its
 * ~2 s are a handful of API calls one after another, and a throttled one waits out up to 500 ms of jittered
 * backoff: one run is a draw of that (1.71–2.26 s in one sitting). Every run's time is printed. A 1000-host
 * plan (20 s) is run once. */
const planRuns = (hosts: number): number => (hosts <= 100 ? 3 : 1);

/** `apply` on fresh hosts (planning and seal keys included, as a user runs it), then `plan` with nothing to do. */
async function fleet(n: number, kind: 'directory' | 'model', os: string[]): Promise<FleetResult> {
  process.stderr.write(`bench: ${n} ${kind} hosts (${os.join(', ')}; latency ${latencyMs} ms, ${throttlePct}% of calls throttled)…\n`);
  const o: StartLabOptions & { modelHosts?: boolean } = {
    hosts: n,
    pis: 0,
    os,
    seed: `bench-${kind}-${n}`,
    latencyMs,
    faults: `throttle=${throttlePct}%`,
    maxHostProcesses: SLOTS,
    deliveryTimeoutMs: 600_000,
    executionTimeoutMs: 600_000,
    ...(kind === 'model' ? { modelHosts: true } : {}),
  };
  const lab = await startLab(o);
  const inv = inventoryFor(lab);
  try {
    const parallel = Math.min(SLOTS, n);
    // apply: discovery (EC2, SSM, the token parameter), facts (send, list, read one per state), then canary
    // (send, poll), its verify (send, poll), the rest (send, poll).
    const apply = await measure(lab, ['apply', '-i', inv, '--yes', '--quiet'], n, 12, Math.min(parallel, Math.max(1, Math.floor(n * CONCURRENCY))));
    // plan: discovery → GetParameter → SendCommand → ListCommands → ListCommandInvocations → GetCommandInvocation.
    const plans: Phase[] = [];
    for (let i = 0; i < planRuns(n); i++) plans.push(await measure(lab, ['plan', '-i', inv, '--quiet'], n, 6, parallel));
    const plan = [...plans].sort((a, b) => a.wallS - b.wallS)[Math.floor(plans.length / 2)]!;
    return { hosts: n, kind, os, apply, plan, planWallS: plans.map((p) => p.wallS), distinctStates: plan.calls['GetCommandInvocation'] ?? 0, throttled: lab.stats().throttled };
  } finally {
    await lab.stop();
    rmSync(inv, { force: true });
  }
}

function gitHead(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: labDir, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

const failures: string[] = [];
const machine = { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', memGiB: round(os.totalmem() / 2 ** 30, 1), loadAtStart: os.loadavg().map((l) => round(l)) };
const startup = await startupMs();
const render10k = await benchRender(10_000);
const sealKeys = await benchSealKeys();
const fleets: FleetResult[] = [];
let peer: { stnsFleet: FleetResult; ansible: PeerRun } | undefined;
if (peerHosts > 0) {
  const stnsFleet = await fleet(peerHosts, 'directory', ['debian-12']);
  process.stderr.write(`bench: the Ansible peer on ${peerHosts} stock Debian 12 hosts (forks ${peerForks})…\n`);
  peer = { stnsFleet, ansible: await runAnsiblePeer(peerHosts, peerForks) };
}
for (const n of sizes) fleets.push(await fleet(n, 'directory', EC2_OS));
if (modelHosts > 0) fleets.push(await fleet(modelHosts, 'model', EC2_OS));
const loadAtEnd = os.loadavg().map((l) => round(l));

const results = { date: new Date().toISOString(), commit: gitHead(), node: process.version, machine: { ...machine, loadAtEnd }, latencyMs, throttlePct, startup, render10k, sealKeys, peer, fleets };
mkdirSync(path.dirname(opts.out), { recursive: true });
writeFileSync(opts.out, `${JSON.stringify(results, null, 2)}\n`);

const row = (c: (string | number)[]): string => c.map((x, i) => (i === 0 ? String(x).padEnd(9) : String(x).padStart(10))).join(' ');
const print = (s = ''): void => void process.stdout.write(`${s}\n`);
print(`\nstns-fleet bench (${results.date}, ${results.commit}, Node ${process.version}; ${machine.cpus} CPUs ${machine.model}, load ${machine.loadAtStart.join(' ')} → ${loadAtEnd.join(' ')})`);
print(`per-call latency ${latencyMs} ms, ${throttlePct}% of API calls throttled; the CLI in its own process, as a user runs it`);
if (peer) {
  const a = peer.ansible;
  const s = peer.stnsFleet;
  print(`\nAgainst Ansible, ${peerHosts} Debian 12 hosts:`);
  if ('skipped' in a) print(`  the peer was not run: ${a.skipped}`);
  else {
    // What each goal asks for in seconds, beside the floor this machine set in the same run: a goal whose time
    // is under the floor cannot be met here by anything the controller does.
    const within = (goal: number, peerS: number, p: Phase): string => `${goal}× would be ${round(peerS / goal)} s; this run's CPU floor ${p.cpuFloorS} s`;
    print(`  converge fresh hosts: stns-fleet apply ${s.apply.wallS} s, Ansible first run ${a.firstS} s: ${round(a.firstS / s.apply.wallS, 1)}× faster (goal ≥ 8×: ${within(8, a.firstS, s.apply)})`);
    print(`  nothing to do:        stns-fleet plan  ${s.plan.wallS} s (median of ${s.planWallS.join(', ')}), Ansible second run ${a.secondS} s: ${round(a.secondS / s.plan.wallS, 1)}× faster (goal ≥ 15×: ${within(15, a.secondS, s.plan)})`);
  }
}
print('');
print(row(['hosts', 'kind', 'apply s', 'apply ×LB', 'apply CPU', 'plan s', 'plan ×LB', 'plan CPU', 'SSM/h ap', 'SSM/h pl', 'RSS MB']));
for (const f of [...(peer ? [peer.stnsFleet] : []), ...fleets]) {
  print(row([f.hosts, f.kind, f.apply.wallS, `${f.apply.ratio}×`, `${f.apply.cpuMsPerHost} ms/h`, f.plan.wallS, `${f.plan.ratio}×`, `${f.plan.cpuMsPerHost} ms/h`, f.apply.ssmCallsPerHost, f.plan.ssmCallsPerHost, Math.max(f.apply.peakRssMb, f.plan.peakRssMb)]));
}
print('\nWhere the time went (phase: hosts, first send → last script end (slowest host), then the gap before the next phase (the first look after the end); [commands sent, ListCommands, ListCommandInvocations]):');
for (const f of [...(peer ? [peer.stnsFleet] : []), ...fleets]) {
  for (const [what, p] of [['apply', f.apply], ['plan', f.plan]] as const) {
    const spans = p.timeline.map((t) => `${t.phase} ${t.hosts}h ${t.spanS}s (${t.slowestHostS}) +${t.gapAfterS}${t.lookAfterS === undefined ? '' : ` (seen +${t.lookAfterS})`} [${pollCalls(t.calls)}]`).join(' → ');
    const first = p.timeline[0]?.startS ?? 0;
    const runs = what === 'plan' && f.planWallS.length > 1 ? ` (median of ${f.planWallS.join(', ')})` : '';
    print(`  ${f.hosts} ${f.kind} ${what} ${p.wallS} s${runs}: start ${first} s → ${spans}; controller CPU ${p.cpuS} s, lab CPU ${p.labCpuS} s, host scripts' CPU ${p.hostCpuS} s: CPU floor ${p.cpuFloorS} s (all three over ${os.cpus().length} CPUs; the wall is ${p.cpuFloorS > 0 ? round(p.wallS / p.cpuFloorS) : '?'}× it)`);
  }
}
print(`\nstns-fleet --help: ${startup.help} ms, node -e 0: ${startup.node} ms (${round(startup.help / startup.node, 1)}×, goal ≤ 3×); render (the plan stage) of ${render10k.hosts} hosts in ${render10k.distinctStates} distinct states: ${render10k.seconds} s (goal < 1 s), one state alone ${render10k.perStateMs} ms`);
print('Seal key, on the host (make: create it and export its public key, once per host; open: unwrap a run key in apply), ms wall / CPU:');
for (const f of sealKeys.figures) {
  const ms = (w: number | null, c: number | null): string => (w === null ? 'n/a' : `${w} / ${c ?? '?'}`);
  print(`  ${`${f.root} (OpenSSL ${f.openssl})`.padEnd(40)} ${f.scheme.padEnd(8)} make ${ms(f.makeMs, f.makeCpuMs).padEnd(14)} open ${ms(f.unwrapMs, f.unwrapCpuMs)}`);
}
for (const s of sealKeys.skipped) print(`  ${s.root}: not measured (${s.reason})`);
print(`Goals at 1000 hosts: apply ≤ 1.5× and plan ≤ 2× the lower bound, ≤ 0.15 / 0.1 SSM calls per host; model hosts: ≤ 2 ms controller CPU per host, peak RSS ≤ 500 MB. Written to ${outShown}.`);
if (failures.length > 0) {
  process.stderr.write(`bench: ${failures.length} run(s) did not succeed, so their figures do not count:\n  ${failures.join('\n  ')}\n`);
  process.exitCode = 1;
}
