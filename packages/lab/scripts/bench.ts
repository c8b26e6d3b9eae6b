// `npm run bench`: figures, not assertions. For lab fleets of 10, 100 and 1000 directory hosts with a per-call
// latency and a share of throttled calls (as AWS answers under load): wall time of plan and apply, API calls
// by operation and per host, distinct-state reads vs hosts, and the lower bound the latency, throttle and
// host work allow, side by side as a ratio. Also `stns-fleet --help` start-up time and rendering 10,000 hosts.
// Writes packages/lab/bench/results.json (compare across commits) and prints a table. Runs after `npm run build`
// (the CLI's dist/ and the lab's); the CLI through its public exports and its own command.
//   npm run bench                         every size
//   npm run bench -- --sizes 10,100       some sizes
import { benchRender, labInventoryYaml, startLab } from '@stns-fleet/lab';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { applyCommand, planCommand, sdkTransport } from 'stns-fleet';

const labDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const benchDir = path.join(labDir, 'bench');
const cliPackage = createRequire(import.meta.url).resolve('stns-fleet/package.json');
const cliMain = path.join(path.dirname(cliPackage), (JSON.parse(readFileSync(cliPackage, 'utf8')) as { bin: Record<string, string> }).bin['stns-fleet']!);

const { values } = parseArgs({ options: { sizes: { type: 'string' }, latency: { type: 'string' }, throttle: { type: 'string' } } });
const sizes = (values.sizes ?? '10,100,1000').split(',').map(Number);
const latencyMs = Number(values.latency ?? 25);
const throttlePct = Number(values.throttle ?? 5);
const os = ['amazon-linux-2', 'ubuntu-20.04', 'ubuntu-22.04', 'ubuntu-24.04', 'debian-11', 'debian-12'];

type Calls = Record<string, number>;
const diff = (a: Calls, b: Calls): Calls => Object.fromEntries(Object.entries(b).map(([k, v]) => [k, v - (a[k] ?? 0)]).filter(([, v]) => (v as number) > 0));
const sum = (c: Calls): number => Object.values(c).reduce((s, n) => s + n, 0);
const ssmOnly = (c: Calls): Calls => Object.fromEntries(Object.entries(c).filter(([k]) => !k.startsWith('ec2:')));

function inventoryFor(lab: { stnsEndpoint: string; region: string }): string {
  const file = path.join(benchDir, `.lab-${process.pid}.yaml`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, labInventoryYaml({ ...lab, rollout: { canary: 1, max_concurrency: '10%', max_errors: '5%' }}));
  return file;
}

const quietIo = { out: (): void => undefined, err: (): void => undefined };

interface Phase {
  wallS: number;
  calls: Calls;
  ssmCallsPerHost: number;
  /** Host-seconds of scripts the lab ran in this phase. */
  hostSeconds: number;
  lowerBoundS: number;
  ratio: number;
}

/**
 * The lower bound of a phase: the API round trips that must happen one after another (each costing the
 * latency, stretched by the throttled share that has to be retried), plus the host work spread over the
 * parallelism allowed (the lab's process slots, and apply's max_concurrency).
 */
function lowerBound(chainCalls: number, hostSeconds: number, parallel: number): number {
  const perCallS = latencyMs / 1000 / (1 - throttlePct / 100);
  return chainCalls * perCallS + hostSeconds / Math.max(1, parallel);
}

const SLOTS = 64;

async function fleet(n: number): Promise<Record<string, unknown>> {
  const lab = await startLab({ hosts: n, os, seed: `bench-${n}`, latencyMs, faults: `throttle=${throttlePct}%`, maxHostProcesses: SLOTS, deliveryTimeoutMs: 600_000, executionTimeoutMs: 600_000 });
  Object.assign(process.env, lab.env, { STNS_FLEET_POLL_MS: '1000', STNS_FLEET_MAX_POLL_MS: '5000' });
  const inv = inventoryFor(lab);
  try {
    const phase = async (what: () => Promise<number>, chainCalls: number, parallel: number): Promise<Phase> => {
      const before = lab.stats();
      const t0 = performance.now();
      await what();
      const wallS = (performance.now() - t0) / 1000;
      const after = lab.stats();
      const calls = diff(before.calls, after.calls);
      const hostSeconds = after.hostSeconds - before.hostSeconds;
      const lb = lowerBound(chainCalls, hostSeconds, parallel);
      return { wallS: round(wallS), calls, ssmCallsPerHost: round(sum(ssmOnly(calls)) / n, 3), hostSeconds: round(hostSeconds), lowerBoundS: round(lb), ratio: round(wallS / lb, 2) };
    };
    // plan: discovery (EC2 then SSM) → GetParameter → SendCommand → ListCommandInvocations → GetCommandInvocation.
    const plan = await phase(() => planCommand({ inventory: inv, quiet: true }, sdkTransport, quietIo), 6, Math.min(SLOTS, n));
    // apply: the same, then canary (send, poll), verify (send, poll), the rest (send, poll).
    const concurrency = Math.max(1, Math.ceil(n / 10));
    const apply = await phase(() => applyCommand({ inventory: inv, yes: true, quiet: true }, sdkTransport, quietIo), 12, Math.min(SLOTS, concurrency));
    const s = lab.stats();
    return { hosts: n, distinctStates: plan.calls['GetCommandInvocation'] ?? 0, plan, apply, hostCommands: s.hostCommands, throttled: s.throttled };
  } finally {
    await lab.stop();
  }
}

function gitHead(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: labDir, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

function round(x: number, d = 2): number {
  return Math.round(x * 10 ** d) / 10 ** d;
}

async function startup(): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    await new Promise((resolve) => spawn(process.execPath, [cliMain, '--help'], { stdio: 'ignore' }).on('close', resolve));
    times.push(performance.now() - t0);
  }
  return round(times.sort((a, b) => a - b)[3]!, 1);
}

interface Fleet {
  hosts: number;
  distinctStates: number;
  plan: Phase;
  apply: Phase;
}

const fleets: Fleet[] = [];
const helpStartupMs = await startup();
const render10k = await benchRender(10_000);
for (const n of sizes) {
  process.stderr.write(`bench: a lab of ${n} hosts (latency ${latencyMs} ms, ${throttlePct}% of calls throttled)…\n`);
  fleets.push((await fleet(n)) as unknown as Fleet);
}
rmSync(path.join(benchDir, `.lab-${process.pid}.yaml`), { force: true });
const results = { date: new Date().toISOString(), commit: gitHead(), node: process.version, latencyMs, throttlePct, helpStartupMs, render10k, fleets };
mkdirSync(benchDir, { recursive: true });
writeFileSync(path.join(benchDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);

const row = (c: string[]): string => c.map((x, i) => (i === 0 ? x.padEnd(6) : x.padStart(11))).join(' ');
console.log(`\nstns-fleet bench (${results.date}, ${results.commit}, Node ${process.version}); per-call latency ${latencyMs} ms, ${throttlePct}% of API calls throttled`);
console.log(row(['hosts', 'states', 'plan s', 'plan LB s', 'plan ×LB', 'apply s', 'apply LB s', 'apply ×LB', 'SSM/host']));
for (const f of fleets) {
  console.log(row([String(f.hosts), String(f.distinctStates), String(f.plan.wallS), String(f.plan.lowerBoundS), `${f.plan.ratio}×`, String(f.apply.wallS), String(f.apply.lowerBoundS), `${f.apply.ratio}×`, String(f.apply.ssmCallsPerHost)]));
}
for (const f of fleets) console.log(`  ${f.hosts} hosts, apply calls: ${Object.entries(f.apply.calls).map(([k, v]) => `${k} ${v}`).join(', ')}`);
console.log(`stns-fleet --help start-up: ${helpStartupMs} ms (median of 7); render of ${render10k.hosts} hosts: ${render10k.seconds} s (${render10k.perHostMs} ms/host)`);
console.log('Targets: at 1000 hosts, apply SSM calls per host ≤ 0.2 and apply within 2× of the lower bound. Written to packages/lab/bench/results.json.');
