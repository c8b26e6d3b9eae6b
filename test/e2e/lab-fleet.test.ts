// End to end on the local lab: the real CLI code, the real AWS SDK clients over HTTP, the real host scripts
// on directory hosts (and lab faults). plan → apply → verify → plan on a mixed fleet; every fault's per-host
// result and exit code; restore byte-identical; drift refused; no token anywhere AWS or the user could see.
import { spawn } from 'node:child_process';
import { appendFileSync, lstatSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { applyCommand } from '../../src/cli/run.js';
import type { Io } from '../../src/output/io.js';
import { planCommand } from '../../src/cli/run.js';
import { verifyCommand } from '../../src/cli/run.js';
import { sdkTransport } from '../../src/cli/transport.js';
import { type Lab, labInventoryYaml, startLab } from '@stns-fleet/lab';
import { OS_PROFILE_IDS } from '../../src/profiles/ids.js';
import { capture } from '../helpers/capture.js';
import { CLI } from '../cli/run-cli.js';

function inventory(lab: Lab, o: { hardenPiSudo?: boolean } = {}): string {
  const file = path.join(lab.workDir, 'inventory.yaml');
  writeFileSync(file, labInventoryYaml({ stnsEndpoint: lab.stnsEndpoint, region: lab.region, rollout: { canary: 1, max_concurrency: '50%', max_errors: 2 }, ...o }));
  return file;
}


/** Every file under a host tree, path → bytes (for byte-identical comparisons). */
function tree(dir: string, base = dir, out = new Map<string, string>()): Map<string, string> {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    const st = lstatSync(p);
    if (st.isSymbolicLink()) out.set(path.relative(base, p), `-> ${readlinkSync(p)}`);
    else if (st.isDirectory()) tree(p, base, out);
    else out.set(path.relative(base, p), readFileSync(p).toString('base64'));
  }
  return out;
}

function useLab(env: Lab['env']): void {
  Object.assign(process.env, env, { STNS_FLEET_POLL_MS: '100', STNS_FLEET_MAX_POLL_MS: '300' });
}

function noSecretsAnywhere(lab: Lab, outputs: string[]): void {
  for (const token of [lab.tokens.web, lab.tokens.pi]) {
    for (const o of outputs) expect(o).not.toContain(token);
    for (const r of lab.requests()) expect(JSON.stringify(r)).not.toContain(token);
  }
}

describe('a mixed fleet of every OS profile, EC2 instances and Raspberry Pis', () => {
  let lab: Lab;
  let inv: string;
  beforeAll(async () => {
    // The lab's default OS list, every profile: 11 EC2 instances over the 9 EC2 profiles (the second Amazon
    // Linux 2023 is the minimal AMI), 3 Pis (bookworm, trixie with cloud-init's first user, bookworm).
    lab = await startLab({ hosts: 14, pis: 3, seed: 'e2e-mixed' });
    useLab(lab.env);
    inv = inventory(lab, { hardenPiSudo: true });
  });
  afterAll(() => lab?.stop());

  test('plan (2) → apply (0) → verify (0) → plan (0), and no token in any output or request', async () => {
    const outputs: string[] = [];
    const run = async (f: (io: Io) => Promise<number>): Promise<number> => {
      const c = capture();
      const code = await f(c.io);
      outputs.push(c.text());
      return code;
    };
    const seeded = lab.hosts.map((h) => `${h.os}${h.variant ? `/${h.variant}` : ''}`);
    expect(new Set(seeded)).toEqual(new Set([...OS_PROFILE_IDS, 'amazon-linux-2023/minimal', 'raspberry-pi-os/trixie']));
    expect(lab.hosts.filter((h) => h.firstUser).map((h) => h.firstUser)).toEqual(['maker']);
    expect(await run((io) => planCommand({ inventory: inv, quiet: true }, sdkTransport, io))).toBe(2);
    expect(outputs[0]).toMatch(/Plan: 14 to change, 0 unchanged, 0 skipped, 0 unreachable, 0 with errors\./);
    expect(outputs[0]).toMatch(/raspberry-pi-os \(arm64\)/);
    expect(outputs[0]).toMatch(/amazon-linux-2023 \(x86_64\)/);
    expect(outputs[0]).toMatch(/EC2 Instance Connect keys still served after STNS keys/);
    // harden_sudo on the boards: the bookworm image's file and, on the trixie board, cloud-init's.
    expect(outputs[0]).toContain('/etc/sudoers.d/010_pi-nopasswd');
    expect(outputs[0]).toContain('/etc/sudoers.d/90-cloud-init-users');

    expect(await run((io) => applyCommand({ inventory: inv, yes: true, quiet: true }, sdkTransport, io))).toBe(0);
    expect(outputs[1]).toMatch(/Apply: 14 changed, 0 unchanged, 0 drifted, 0 failed/);
    expect(await run((io) => verifyCommand({ inventory: inv, quiet: true }, sdkTransport, io))).toBe(0);
    expect(outputs[2]).toMatch(/Verify: 14 passed, 0 failed/);
    expect(await run((io) => planCommand({ inventory: inv, quiet: true }, sdkTransport, io))).toBe(0);
    expect(outputs[3]).toMatch(/Plan: 0 to change, 14 unchanged/);
    const trixie = lab.hosts.find((h) => h.firstUser)!;
    expect(readFileSync(path.join(trixie.dir, 'etc/sudoers.d/90-cloud-init-users'), 'utf8')).toMatch(/^# disabled by stns-fleet \(harden_sudo\): maker ALL=\(ALL\) NOPASSWD:ALL$/m);
    noSecretsAnywhere(lab, outputs);
    // The token reached each host: the STNS server saw authorised lookups from both token groups.
    expect(lab.stats().stns.unauthorized).toBe(0);
  });

  test('verify names the user and the reason when STNS answers no', async () => {
    const c = capture();
    expect(await verifyCommand({ inventory: inv, quiet: true, user: ['alice', 'carol', 'nobody-here'] }, sdkTransport, c.io)).toBe(1);
    expect(c.text()).toMatch(/carol: STNS knows the user but has no SSH keys/);
    expect(c.text()).toMatch(/nobody-here: /);
  });
});

describe('faults', () => {
  let lab: Lab;
  let inv: string;
  beforeAll(async () => {
    lab = await startLab({ hosts: 10, pis: 1, os: ['debian-12', 'ubuntu-22.04'], seed: 'e2e-faults', faults: 'offline=1,stopped=1,undeliverable=1,timeout=1,fail=1,slow=1,throttle=10%', deliveryTimeoutMs: 1500, executionTimeoutMs: 2500, slowDelayMs: [200, 400] });
    useLab(lab.env);
    inv = inventory(lab);
  });
  afterAll(() => lab?.stop());

  test('each faulty host ends as expected; the failed one is restored byte-identical; the rest converge', async () => {
    const byFault = (f: string): Lab['hosts'][number] => lab.hosts.find((h) => h.fault === f)!;
    const failing = byFault('fail');
    const before = tree(failing.dir);
    const plan = capture();
    expect(await planCommand({ inventory: inv, quiet: true }, sdkTransport, plan.io)).toBe(3); // incomplete: two hosts skipped, two unreachable
    const p = plan.text();
    expect(p).toMatch(new RegExp(`skipped +${byFault('offline').id}.*PingStatus ConnectionLost`));
    expect(p).toMatch(new RegExp(`skipped +${byFault('stopped').id}.*instance is stopped`));
    expect(p).toMatch(new RegExp(`unreachable ${byFault('undeliverable').id}.*Undeliverable`));
    expect(p).toMatch(new RegExp(`unreachable ${byFault('timeout').id}.*ExecutionTimedOut`));
    expect(p).not.toMatch(/unreachable.*H4sI/); // no half-printed payload in the reason

    const apply = capture();
    expect(await applyCommand({ inventory: inv, yes: true, quiet: true, canary: '0', maxErrors: '1' }, sdkTransport, apply.io)).toBe(1);
    const a = apply.text();
    expect(a).toMatch(new RegExp(`failed +${failing.id} .*sshd -t refused the new configuration.*invalid, exit 40`));
    expect(a).toMatch(/Apply: 5 changed, 0 unchanged, 0 drifted, 1 failed, 0 cancelled, 4 skipped\./);
    // Every file restored byte-identical. What the package install did stays (documented): the package
    // database and the packages' own files. New besides those: the backup and the host's seal key only.
    const outside = ['var/lib/stns-fleet-lab/installed', 'usr/lib/stns/', 'usr/lib/stns-fleet-lab/', 'usr/local/bin/stns-key-wrapper', 'usr/sbin/cache-stnsd', 'var/lib/amazon/ssm/'];
    const fromPackages = (f: string): boolean => outside.some((o) => f.startsWith(o)); // and the agent's own files
    const after = tree(failing.dir);
    for (const [f, b] of before) if (!fromPackages(f)) expect(after.get(f), f).toBe(b);
    expect([...after.keys()].filter((f) => !before.has(f) && !fromPackages(f) && !f.startsWith('var/backups/stns-fleet/') && !f.startsWith('var/lib/stns-fleet/'))).toEqual([]);
    expect(lab.stats().throttled).toBeGreaterThan(0);
    noSecretsAnywhere(lab, [p, a]);
  });
});

describe('drift and interruption', () => {
  let lab: Lab;
  let inv: string;
  beforeAll(async () => {
    // Every host picks commands up late (slow), but by 200–400 ms: the drift check does not depend on how late,
    // and each plan/apply round waited 1.5–2.5 s per host otherwise. The delivery cap stays far above the delay.
    lab = await startLab({ hosts: 6, pis: 0, os: ['debian-12', 'ubuntu-24.04'], seed: 'e2e-drift', faults: 'slow=100%', slowDelayMs: [200, 400], deliveryTimeoutMs: 10_000 });
    useLab(lab.env);
    inv = inventory(lab);
  });
  afterAll(() => lab?.stop());

  test('a saved plan applied after a host changed: that host refuses (drifted) and is untouched', async () => {
    const planFile = path.join(lab.workDir, 'p.json');
    expect(await planCommand({ inventory: inv, quiet: true, out: planFile }, sdkTransport, capture().io)).toBe(2);
    const victim = lab.hosts[2]!;
    const nss = path.join(victim.dir, 'etc/nsswitch.conf');
    appendFileSync(nss, '# edited by hand after the plan\n');
    const edited = readFileSync(nss);
    const c = capture();
    expect(await applyCommand({ planFile, yes: true, quiet: true, canary: '0', maxErrors: '5' }, sdkTransport, c.io)).toBe(1);
    expect(c.text()).toMatch(new RegExp(`drifted +${victim.id} .*changed since the plan: /etc/nsswitch.conf`));
    expect(c.text()).toMatch(/Apply: 5 changed/);
    expect(readFileSync(nss).equals(edited)).toBe(true);
  });

  test('Ctrl-C mid-apply cancels the in-flight commands and reports every host (exit 130)', async () => {
    // Start from unconverged hosts: a fresh inventory for a lab whose hosts were converged above would be a no-op.
    const fresh = await startLab({ hosts: 4, pis: 0, os: ['debian-12'], seed: 'e2e-sigint', faults: 'slow=100%', slowDelayMs: [2500, 3000], deliveryTimeoutMs: 10_000 });
    try {
      const freshInv = inventory(fresh);
      const cli = CLI;
      const child = spawn(process.execPath, [cli, 'apply', '-i', freshInv, '--yes', '--canary', '0'], {
        env: { ...process.env, ...fresh.env, STNS_FLEET_POLL_MS: '100', NO_COLOR: '1' },
      });
      let out = '';
      let armed = false;
      let watch: NodeJS.Timeout | undefined;
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => {
        out += d.toString();
        if (/Applying to/.test(out) && !armed) {
          armed = true; // one Ctrl-C: a second one quits at once, by design
          // Ctrl-C on an event, not after a fixed time: as soon as the lab has handed apply's command to a host
          // (in flight: each host picks it up 2.5–3 s late), however long the CLI took to send it.
          const known = fresh.commandHistory().length;
          watch = setInterval(() => {
            if (!fresh.commandHistory().slice(known).some((k) => k.invocations.some((i) => i.status === 'InProgress'))) return;
            clearInterval(watch);
            child.kill('SIGINT');
          }, 20);
        }
      });
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      clearInterval(watch);
      expect(out, out.slice(-3000)).toMatch(/interrupted: cancelling in-flight commands/);
      expect(out).toMatch(/Stopped: interrupted \(Ctrl-C\)/);
      // Every host cancelled: alone (`cancelled i-…`) or as hosts sharing one reason (`cancelled N host(s) …`).
      expect([...out.matchAll(/^ {2}cancelled +(?:(\d+) host\(s\)|i-)/gm)].reduce((n, m) => n + Number(m[1] ?? 1), 0)).toBe(4);
      expect(code).toBe(130);
      expect(fresh.stats().calls['CancelCommand']).toBeGreaterThan(0);
    } finally {
      await fresh.stop();
    }
  });
});
