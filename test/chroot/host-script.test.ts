/**
 * The host script, run for real as root in a Debian 12 root filesystem (debootstrap minbase + openssh-server):
 * the real dash, dpkg, apt-get and sshd. Each test renders from the chroot's own files, exactly as `render
 * --root` does, and checks the result with the real `sshd -t` / `sshd -T`.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { afterEach, beforeAll, beforeEach, expect, test } from 'vitest';
import { identityOf } from '../../src/host/identity.js';
import { snapshotFromRoot, type HostSnapshot } from '../../src/host/snapshot.js';
import { generateHostScript } from '../../src/host-script/generate.js';
import type { HostSettings } from '../../src/model/settings.js';
import { settings, TOKEN } from '../helpers/render.js';
import { planHost, sha256 as sha256Of, type HostPlan } from '../../src/plan/host-plan.js';
import { profileById } from '../../src/profiles/index.js';
import { desiredState, type DesiredState } from '../../src/render/desired.js';
import { STOCK_DIR } from '../../src/render/stock.js';
import { loadTemplates, type Templates } from '../../src/render/templates.js';
import { watchFor } from '../../src/render/watch.js';
import {
  buildDummyDeb,
  freshRoot,
  installDeb,
  readFileIn,
  requireChrootOrSkip,
  runInChroot,
  writeFileIn,
  type FreshRoot,
} from './harness.js';

const describeChroot = requireChrootOrSkip();
const profile = profileById('debian-12');
let templates: Templates;
let stnsDebs: string[];

beforeAll(async () => {
  templates = await loadTemplates(undefined, ['keys/stns-repo.asc', 'host/converge.sh']);
});

describeChroot('host script in a Debian 12 chroot', () => {
  let root: FreshRoot;
  beforeAll(async () => {
    // Stand-ins for the STNS packages, so "the image already carries them" is a real dpkg state.
    stnsDebs = [
      await buildDummyDeb({
        name: 'libnss-stns-v2',
        version: '2.6.10-1',
        files: { '/usr/lib/stns/stns-key-wrapper': { content: '#!/bin/sh\nexit 0\n', mode: 0o755 } },
      }),
      await buildDummyDeb({ name: 'cache-stnsd', version: '1:0.3.19-1', files: { '/usr/sbin/cache-stnsd': { content: '#!/bin/sh\nexit 0\n', mode: 0o755 } } }),
    ];
  });
  beforeEach(async () => {
    root = await freshRoot();
  });
  afterEach(async () => {
    await root.cleanup();
  });

  async function withPackages(): Promise<void> {
    for (const deb of stnsDebs) expect((await installDeb(root.dir, deb)).code).toBe(0);
  }

  async function snapshot(): Promise<HostSnapshot> {
    return snapshotFromRoot(root.dir, watchFor(profile));
  }

  async function plan(s: HostSettings = settings(), tweak?: (d: DesiredState) => void): Promise<{ plan: HostPlan; script: string }> {
    const snap = await snapshot();
    const desired = desiredState({ profile, identity: identityOf(snap, 'amd64'), snapshot: snap, settings: s, templates });
    expect(desired.problems).toEqual([]);
    tweak?.(desired);
    const p = planHost(desired, snap, { auth_token: TOKEN });
    return { plan: p, script: generateHostScript(p, templates, { auth_token: TOKEN }) };
  }

  /** sha256 of every file the profile watches plus everything the plan may create: the host's state. */
  async function state(extra: string[] = []): Promise<Record<string, string>> {
    const snap = await snapshot();
    const out: Record<string, string> = {};
    for (const [p, b] of snap.files) out[p] = sha256Of(b);
    for (const p of extra) {
      const b = await readFile(path.join(root.dir, p)).catch(() => null);
      out[p] = b ? sha256Of(b) : 'absent';
    }
    return out;
  }

  const lastLine = (s: string): string => s.trimEnd().split('\n').at(-1) ?? '';

  test('converges: sshd -t passes, sshd -T uses stns-key-wrapper, packages untouched, second run changes nothing', async () => {
    await withPackages();
    const { plan: p, script } = await plan();
    const r1 = await runInChroot(root.dir, script);
    expect(r1.stderr).toBe('');
    expect(r1.code, r1.stdout).toBe(0);
    expect(lastLine(r1.stdout)).toBe('STNS_FLEET_RESULT=changed');
    expect(r1.stdout).toContain('STNS_FLEET_NOTICE no running init system');
    expect(r1.stdout).not.toContain('tok"en'); // the token never reaches the output

    // Every file the plan changes now has exactly the planned bytes.
    for (const c of p.changes) {
      const now = await readFile(path.join(root.dir, c.file.path)).catch(() => null);
      expect(now ? sha256Of(now) : 'absent', c.file.path).toBe(c.afterSha256);
    }
    // The real sshd reads the result and would ask STNS for keys.
    const t = await runInChroot(root.dir, '/usr/sbin/sshd -t && /usr/sbin/sshd -T -C user=alice,host=h,addr=127.0.0.1 | grep -i "^authorizedkeyscommand"\n');
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toContain('authorizedkeyscommand /usr/lib/stns/stns-key-wrapper');
    expect(t.stdout).toContain('authorizedkeyscommanduser root');
    // stns.conf is root-owned 0644 and its token parses back exactly (TOML escaping held).
    const st = await runInChroot(root.dir, 'stat -c "%U:%G %a" /etc/stns/client/stns.conf\n');
    expect(st.stdout.trim()).toBe('root:root 644');
    expect(parseToml(await readFileIn(root.dir, '/etc/stns/client/stns.conf')).auth_token).toBe(TOKEN);
    // Packages were already there: no repository was added.
    expect(await readFile(path.join(root.dir, '/etc/apt/sources.list.d/stns-fleet.list')).catch(() => null)).toBeNull();
    // A backup of every changed file exists, byte-identical to the original.
    const backup = /STNS_FLEET_BACKUP (\S+)/.exec(r1.stdout)![1]!;
    const nssBefore = p.changes.find((c) => c.file.path === '/etc/nsswitch.conf')!;
    expect(sha256Of(await readFile(path.join(root.dir, backup, 'etc/nsswitch.conf')))).toBe(nssBefore.beforeSha256);

    const r2 = await runInChroot(root.dir, script);
    expect(r2.code).toBe(0);
    expect(lastLine(r2.stdout)).toBe('STNS_FLEET_RESULT=unchanged');
    // Rendering again from the converged host plans nothing.
    const again = await plan();
    expect(again.plan.changes.filter((c) => c.action !== 'noop').map((c) => c.file.path)).toEqual([]);
  });

  test('a drop-in sshd rejects makes the script restore every file byte-identical', async () => {
    await withPackages();
    const watched = ['/etc/ssh/sshd_config.d/00-stns-fleet.conf', '/etc/stns/client/stns.conf'];
    const before = await state(watched);
    const { script } = await plan(settings(), (d) => {
      const dropin = d.files.find((f) => f.path === '/etc/ssh/sshd_config.d/00-stns-fleet.conf')!;
      dropin.content = Buffer.from(`${dropin.content!.toString()}NotAnSshdKeyword yes\n`);
    });
    const r = await runInChroot(root.dir, script);
    expect(r.code, r.stdout).toBe(40);
    expect(lastLine(r.stdout)).toBe('STNS_FLEET_RESULT=invalid');
    expect(r.stdout).toContain('NotAnSshdKeyword'); // sshd's own complaint is shown
    expect(await state(watched)).toEqual(before);
    // sshd still accepts the (restored) configuration.
    expect((await runInChroot(root.dir, '/usr/sbin/sshd -t\n')).code).toBe(0);
  });

  test('a file changed after the plan was made is refused, and nothing is touched', async () => {
    await withPackages();
    const { script } = await plan();
    await writeFileIn(root.dir, '/etc/nsswitch.conf', `${await readFileIn(root.dir, '/etc/nsswitch.conf')}# edited by hand\n`);
    const before = await state(['/etc/ssh/sshd_config.d/00-stns-fleet.conf', '/etc/stns/client/stns.conf']);
    const r = await runInChroot(root.dir, script);
    expect(r.code).toBe(10);
    expect(r.stdout).toMatch(/STNS_FLEET_DRIFT \/etc\/nsswitch.conf expected=[0-9a-f]{64} found=[0-9a-f]{64}/);
    expect(lastLine(r.stdout)).toBe('STNS_FLEET_RESULT=drift');
    expect(await state(['/etc/ssh/sshd_config.d/00-stns-fleet.conf', '/etc/stns/client/stns.conf'])).toEqual(before);
  });

  test('packages that cannot be installed: exit 30, repository files removed, every file restored', async () => {
    // No STNS packages on this image, and a repository nobody answers on (loopback, closed port).
    const repoFiles = ['/etc/apt/sources.list.d/stns-fleet.list', '/etc/apt/keyrings/stns-fleet.gpg'];
    const created = ['/etc/ssh/sshd_config.d/00-stns-fleet.conf', '/etc/stns/client/stns.conf', ...repoFiles];
    const before = await state(created);
    const { script } = await plan(settings({ packageRepository: 'http://127.0.0.1:9' }));
    const r = await runInChroot(root.dir, script);
    expect(r.code, r.stdout).toBe(30);
    expect(lastLine(r.stdout)).toBe('STNS_FLEET_RESULT=install-failed');
    expect(r.stdout).toContain('installing libnss-stns-v2 cache-stnsd');
    expect(await state(created)).toEqual(before);
  });

  test('EC2 Instance Connect wired with sshd -o in a systemd drop-in: the override and chain wrapper pass the real sshd -t', async () => {
    await withPackages();
    // The real EIC drop-in (aws-ec2-instance-connect-config, as on Ubuntu EC2 images), its user, and its script.
    const eicDropin = await readFile(path.join(STOCK_DIR, 'ubuntu-24.04/usr/lib/systemd/system/ssh.service.d/ec2-instance-connect.conf'));
    await writeFileIn(root.dir, '/usr/lib/systemd/system/ssh.service.d/ec2-instance-connect.conf', eicDropin);
    await writeFileIn(root.dir, '/usr/share/ec2-instance-connect/eic_run_authorized_keys', '#!/bin/sh\necho "ssh-ed25519 AAAAeic $1"\n', 0o755);
    expect((await runInChroot(root.dir, 'useradd --system --no-create-home ec2-instance-connect\n')).code).toBe(0);

    const { plan: p, script } = await plan();
    expect(p.desired.sshd.strategy).toBe('systemd');
    const r = await runInChroot(root.dir, script);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain('sshd -t accepts the new configuration');
    // sshd started with the override's options really uses the chain wrapper…
    const opts = p.desired.sshd.testOptions.map((o) => `-o '${o}'`).join(' ');
    const t = await runInChroot(root.dir, `/usr/sbin/sshd -T -C user=alice,host=h,addr=127.0.0.1 ${opts} | grep -i '^authorizedkeyscommand'\n`);
    expect(t.stdout).toContain('authorizedkeyscommand /usr/lib/stns-fleet/stns-fleet-keys %u %f');
    expect(t.stdout).toContain('authorizedkeyscommanduser ec2-instance-connect');
    // …which returns Instance Connect's keys after STNS's (sshd passes user and fingerprint).
    const w = await runInChroot(root.dir, '/usr/lib/stns-fleet/stns-fleet-keys alice SHA256:abc\n');
    expect(w.code).toBe(0);
    expect(w.stdout).toContain('ssh-ed25519 AAAAeic alice');
    // sshd refuses keys commands in writable places; the wrapper's path is root-owned and not group-writable.
    const modes = await runInChroot(root.dir, 'stat -c "%U %a" /usr/lib/stns-fleet /usr/lib/stns-fleet/stns-fleet-keys\n');
    expect(modes.stdout).toBe('root 755\nroot 755\n');
  });
});
