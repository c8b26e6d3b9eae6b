// Model hosts (src/model-hosts.ts) against the real scripts: the same CLI sequence (plan, apply, plan) on a lab of
// directory hosts and on a lab of model hosts of the same layout (seed, OS profiles, variants, the `fail`
// fault) gives the same plan, the same apply results and, per host, the same command outputs, once what is
// per host or per run by nature is put aside (each normalization says why). And N model hosts of one state
// cost one real run per distinct (state, script), concurrent arrivals included.
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createHash } from 'node:crypto';
import { constants, gunzipSync } from 'node:zlib';
import path from 'node:path';
import { applyCommand, planCommand, sdkTransport, type Io } from 'stns-fleet';
import { expect, test } from 'vitest';
import { labInventoryYaml, startLab, type Lab } from '../src/index.js';
import type { LabOptions } from '../src/options.js';
import { clients, FAST, run } from './helpers.js';

const LAYOUT: LabOptions = {
  ...FAST,
  hosts: 7,
  pis: 0,
  // Two Amazon Linux 2023 hosts: the standard and the minimal AMI (two variants of one profile).
  os: ['debian-12', 'ubuntu-24.04', 'amazon-linux-2023', 'amazon-linux-2'],
  faults: 'fail=1',
  seed: 'model-hosts',
  executionTimeoutMs: 60_000,
};

interface Seen {
  plans: string[];
  apply: { code: number; out: string };
  codes: number[];
  /** Per host, in the order sent: kind of script, status, code, stdout, stderr. */
  outputs: Record<string, string[]>;
  stats: ReturnType<Lab['stats']>;
  sealKeys: string[];
}

function io(): { io: Io; out: () => string } {
  const parts: string[] = [];
  return { io: { out: (t) => void parts.push(t), err: () => {} }, out: () => parts.join('') };
}

/** What the script is, from the call it ends with. */
function kind(script: string): string {
  const last = script.trimEnd().split('\n').pop() ?? '';
  return /^[a-z_]+$/.test(last) ? last : 'other';
}

async function sequence(o: LabOptions): Promise<Seen> {
  const lab = await startLab(o);
  try {
    Object.assign(process.env, lab.env, { STNS_FLEET_POLL_MS: '100', STNS_FLEET_MAX_POLL_MS: '300' });
    const inv = path.join(lab.workDir, 'inventory.yaml');
    writeFileSync(inv, labInventoryYaml({ stnsEndpoint: lab.stnsEndpoint, region: lab.region, rollout: { canary: 1, max_concurrency: '50%', max_errors: 2 } }));
    const plans: string[] = [];
    const codes: number[] = [];
    const p1 = io();
    codes.push(await planCommand({ inventory: inv, json: true }, sdkTransport, p1.io));
    plans.push(p1.out());
    const a = io();
    const applyCode = await applyCommand({ inventory: inv, yes: true, json: true }, sdkTransport, a.io);
    const p2 = io();
    codes.push(await planCommand({ inventory: inv, json: true }, sdkTransport, p2.io));
    plans.push(p2.out());
    const outputs: Record<string, string[]> = {};
    for (const c of lab.commandHistory()) {
      const k = kind(c.parameters['commands']?.join('\n') ?? '');
      for (const i of c.invocations) (outputs[lab.host(i.instanceId)!.key] ??= []).push([k, i.status, i.stdout, i.stderr].join('\n--\n'));
    }
    const sealKeys = [...new Set(Object.values(outputs).flatMap((l) => l.flatMap((x) => [...x.matchAll(/^STNS_FLEET_FACTS v\d+ \S+ (\S+)$/gm)].map((m) => m[1]!))))];
    return { plans, apply: { code: applyCode, out: a.out() }, codes, outputs, stats: lab.stats(), sealKeys };
  } finally {
    await lab.stop();
  }
}

/** Puts aside what differs between two runs of the same fleet by nature, not by the model. */
/** A gzip stream's content (a cut one's as far as it goes), or undefined when `b64` is not gzip. */
function gunzipped(b64: string): Buffer | undefined {
  const raw = Buffer.from(b64.replace(/\s/g, ''), 'base64');
  if (raw[0] !== 0x1f || raw[1] !== 0x8b) return undefined;
  try {
    return gunzipSync(raw, { finishFlush: constants.Z_SYNC_FLUSH });
  } catch {
    return undefined;
  }
}

function normalize(text: string, sealKeys: string[]): string {
  // Gzip headers carry the time they were made (MTIME): compare what they hold instead.
  let t = text.replace(/(?:^[A-Za-z0-9+/=]{16,}$\n?)+/gm, (blob) => {
    const content = gunzipped(blob);
    return content ? `<gzip ${createHash('sha256').update(content).digest('hex')}>${blob.endsWith('\n') ? '\n' : ''}` : blob;
  });
  // Each host's seal key is its own (and on model hosts, its state's): random, made by the first facts run.
  for (const k of sealKeys) t = t.replaceAll(k, '<seal-key>');
  return (
    t
      // STNS_FLEET_SECRET lines: a digest encrypted (RSA-OAEP, random padding) to this run's fresh report key.
      .replace(/^(STNS_FLEET_SECRET \S+) \S+$/gm, '$1 <ciphertext>')
      // Backup directories are named by the UTC time and pid of the run that made them.
      .replace(/\/var\/backups\/stns-fleet\/\d{8}T\d{6}Z-\d+/g, '/var/backups/stns-fleet/<time>-<pid>')
      // Each lab has its own temporary directory (a host's tree is <workDir>/hosts/<key>).
      .replace(/\/[^\s"']*\/stns-fleet-lab-[A-Za-z0-9]+\//g, '<workDir>/')
      // Command IDs (drawn per lab) and times.
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
      .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>')
      // Durations and rates the CLI reports (wall-clock).
      .replace(/"(\w*(?:Ms|Seconds|_ms|_s|elapsed\w*|duration\w*))":\s*[\d.]+/gi, '"$1": <n>')
  );
}

/** A free port: both labs serve STNS on it in turn, so the stns.conf they are given (its api_endpoint) is one. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

test('model hosts answer the CLI as directory hosts do: plan, apply, plan', async () => {
  const stnsPort = await freePort();
  const dir = await sequence({ ...LAYOUT, stnsPort });
  const model = await sequence({ ...LAYOUT, stnsPort, modelHosts: true });

  // The directory lab is the reference: the sequence did what it should there (changes planned, the fail host
  // refused, only its changes left after apply).
  expect(dir.codes).toEqual([2, 2]);
  expect(dir.apply.code).not.toBe(0);
  expect(dir.apply.out).toMatch(/invalid/);

  const nd = (t: string): string => normalize(t, dir.sealKeys);
  const nm = (t: string): string => normalize(t, model.sealKeys);
  expect(model.codes).toEqual(dir.codes);
  expect(model.apply.code).toBe(dir.apply.code);
  expect(nm(model.plans[0]!)).toBe(nd(dir.plans[0]!));
  expect(nm(model.plans[1]!)).toBe(nd(dir.plans[1]!));
  expect(nm(model.apply.out)).toBe(nd(dir.apply.out));
  expect(Object.keys(model.outputs).sort()).toEqual(Object.keys(dir.outputs).sort());
  for (const [key, list] of Object.entries(dir.outputs)) {
    expect(model.outputs[key]!.map(nm), key).toEqual(list.map(nd));
  }
  // The model ran each script once per state, not once per host, and the directory lab never used it.
  expect(dir.stats.modelRuns).toBe(0);
  expect(model.stats.modelRuns).toBeGreaterThan(0);
  expect(model.stats.modelHits).toBeGreaterThan(0);
  expect(model.stats.hostCommands).toBe(model.stats.modelRuns);
  expect(model.stats.hostCommands).toBeLessThan(dir.stats.hostCommands);
}, 300_000);

test('N model hosts of one state: one real run per distinct (state, script), concurrent arrivals included', async () => {
  const lab = await startLab({ ...FAST, hosts: 60, pis: 0, os: ['debian-12'], modelHosts: true, seed: 'model-count' });
  try {
    const { ssm } = clients(lab);
    const ids = lab.hosts.map((h) => h.id!);
    expect(new Set(lab.hosts.map((h) => h.os))).toEqual(new Set(['debian-12']));
    // Every host starts in the one state of its class: a script that changes the tree, sent to all at once
    // (two commands: SendCommand takes at most 50 IDs), with no limit on concurrency.
    // (It defines the seal functions, so that the seal lines below are valid in it, as in a converge script.)
    const script = 'sf_seal() { :; }\nsf_seal_peer() { :; }\nsf_seal_ecdh() { :; }\nn=$(cat "$STNS_FLEET_ROOT/etc/counter" 2>/dev/null || echo 0); n=$((n + 1)); echo $n >"$STNS_FLEET_ROOT/etc/counter"; echo "run $n"';
    const wide = { MaxConcurrency: '100%' };
    const [a, b] = await Promise.all([run(ssm, { ids: ids.slice(0, 50) }, script, wide), run(ssm, { ids: ids.slice(50) }, script, wide)]);
    const first = [...a.invocations, ...b.invocations];
    expect(first.map((i) => i.CommandPlugins![0]!.Output)).toEqual(ids.map(() => 'run 1\n'));
    expect(lab.stats()).toMatchObject({ modelRuns: 1, modelHits: 59, hostCommands: 1 });
    // Every host moved to the state the run left: the same script again is one new run (from that state).
    const again = await run(ssm, { ids: ids.slice(0, 50) }, script, wide);
    expect(new Set(again.invocations.map((i) => i.CommandPlugins![0]!.Output))).toEqual(new Set(['run 2\n']));
    expect(lab.stats()).toMatchObject({ modelRuns: 2, modelHits: 108, hostCommands: 2 });
    // A seal table (per-host `sf_seal …` lines, per-batch `sf_seal_<word> …` ones) does not split the cache;
    // any other difference does, a sealed file's line among them.
    const sealed = await run(ssm, { ids: ids.slice(50) }, `${script}\nsf_seal abc one-host-key\nsf_seal def another-host-key\nsf_seal_peer x25519 batch-key\nsf_seal_ecdh 0123 wrapped`);
    expect(new Set(sealed.invocations.map((i) => i.CommandPlugins![0]!.Output))).toEqual(new Set(['run 2\n']));
    expect(lab.stats()).toMatchObject({ modelRuns: 2, modelHits: 118, hostCommands: 2 });
    const other = await run(ssm, { ids: ids.slice(50, 55) }, `${script}\nsf_sealed_file() { :; }`);
    expect(new Set(other.invocations.map((i) => i.CommandPlugins![0]!.Output))).toEqual(new Set(['run 3\n']));
    expect(lab.stats()).toMatchObject({ modelRuns: 3, modelHits: 122, hostCommands: 3 });
  } finally {
    await lab.stop();
  }
}, 120_000);

test('model hosts refuse what they do not model: Raspberry Pis and chroot hosts', async () => {
  await expect(startLab({ hosts: 3, pis: 1, modelHosts: true })).rejects.toThrow(/Raspberry Pi/);
  await expect(startLab({ hosts: 3, os: ['raspberry-pi-os'], modelHosts: true })).rejects.toThrow(/Raspberry Pi/);
  await expect(startLab({ hosts: 3, chroot: 1, modelHosts: true })).rejects.toThrow(/chroot/);
});

test('faults on model hosts end as on directory hosts: offline, undeliverable, slow, timeout, fail', async () => {
  // One OS, so that the healthy, slow and timeout hosts share one state: the timeout host's answer is the
  // others' replay, then the hang.
  const lab = await startLab({ hosts: 8, pis: 0, os: ['debian-12'], modelHosts: true, faults: 'offline=1,undeliverable=1,slow=1,timeout=1,fail=1', seed: 'model-faults', slowDelayMs: [300, 300], deliveryTimeoutMs: 2000, executionTimeoutMs: 1500 });
  try {
    const { ssm } = clients(lab);
    const faulty = (f: string): string => lab.hosts.find((h) => h.fault === f)!.id!;
    const healthy = lab.hosts.find((h) => !h.fault)!.id!;
    const r = await run(ssm, { ids: [healthy, ...['offline', 'undeliverable', 'slow', 'timeout', 'fail'].map(faulty)] }, 'echo ran; sshd -t; echo "sshd=$?"', { TimeoutSeconds: 30, MaxErrors: '5' });
    const by = (id: string) => r.invocations.find((i) => i.InstanceId === id)!;
    const plugin = (id: string) => by(id).CommandPlugins![0]!;
    expect(by(healthy)).toMatchObject({ Status: 'Success', StatusDetails: 'Success' });
    expect(plugin(healthy).Output).toBe('ran\nsshd=0\n');
    expect(by(faulty('offline'))).toMatchObject({ Status: 'TimedOut', StatusDetails: 'DeliveryTimedOut' });
    expect(by(faulty('undeliverable'))).toMatchObject({ Status: 'Failed', StatusDetails: 'Undeliverable' });
    expect(by(faulty('slow'))).toMatchObject({ Status: 'Success' });
    expect(plugin(faulty('slow')).Output).toBe('ran\nsshd=0\n');
    expect(by(faulty('timeout'))).toMatchObject({ Status: 'TimedOut', StatusDetails: 'ExecutionTimedOut' });
    expect(plugin(faulty('timeout'))).toMatchObject({ ResponseCode: 137, Output: 'ran\nsshd=0\n' });
    expect(plugin(faulty('fail')).Output).toMatch(/^ran\nsshd=255\n\n----------ERROR-------\n.*"fail" fault.*\n.*terminating, 1 bad configuration options\n$/);
    expect(r.command).toMatchObject({ ErrorCount: 1, DeliveryTimedOutCount: 1, CompletedCount: 6, Status: 'Success', StatusDetails: 'Incomplete' });
    // Two states (the fail host is its own class), so two real runs for five hosts that ran it.
    expect(lab.stats()).toMatchObject({ modelRuns: 2, modelHits: 2 });
  } finally {
    await lab.stop();
  }
}, 60_000);
