/**
 * The host script, run for real as root in a Debian 12 root filesystem (debootstrap minbase + openssh-server):
 * the real dash, dpkg, apt-get and sshd. Each test renders from the chroot's own files, exactly as `render
 * --root` does, and checks the result with the real `sshd -t` / `sshd -T`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chown, chmod, lstat, mkdir, readFile, readlink, rename, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { afterEach, beforeAll, beforeEach, expect, test } from 'vitest';
import { identityOf } from '../../src/model/host-identity.js';
import { snapshotFromRoot, type HostSnapshot } from '../../src/model/host-snapshot.js';
import { generateHostScript } from '../../src/plan/host-script.js';
import type { HostSettings } from '../../src/model/settings.js';
import { settings, TOKEN } from '../helpers/render.js';
import { planHost, sha256 as sha256Of, type HostPlan } from '../../src/plan/host-plan.js';
import { profileById } from '../../src/profiles/index.js';
import { desiredState, type DesiredState } from '../../src/render/desired.js';
import { STOCK_DIR } from '../../src/render/stock.js';
import { loadTemplates, type Templates } from '../../src/render/templates.js';
import { watchFor } from '../../src/render/watch.js';
import { FACTS_LIB, factsScript } from '../../src/facts/facts-script.js';
import { SSHD_DROPIN } from '../../src/sshd/strategy.js';
import { track, waitStopped } from '../host-script/tree.js';
import {
  stnsDummyDebs,
  CHROOT_PATH,
  freshRoot,
  installDeb,
  readFileIn,
  requireChrootOrSkip,
  runInChroot,
  SCRIPT_IN_ROOT,
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
    stnsDebs = await stnsDummyDebs();
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

    // Every file the plan changes now has exactly the planned bytes (the repository files are written only
    // for an install, and the packages are already there).
    for (const c of p.changes.filter((x) => x.file.role !== 'repo')) {
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

  test('a drop-in sshd rejects leaves every file byte-identical', async () => {
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
  // --- signals, staging, restore fidelity, held packages (see also test/host-script/) -----------------------

  /** Starts the script in the chroot, to stop it at a step: chroot execs sh, so the pid is the script's. */
  async function startInChroot(script: string, env: Record<string, string> = {}): Promise<ReturnType<typeof track>> {
    await writeFileIn(root.dir, SCRIPT_IN_ROOT, script, 0o755);
    return track(spawn('chroot', [root.dir, '/bin/sh', SCRIPT_IN_ROOT], { env: { PATH: CHROOT_PATH, ...env }, cwd: '/', stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  const badDropin = (d: DesiredState): void => {
    const f = d.files.find((x) => x.path === SSHD_DROPIN)!;
    f.content = Buffer.from(`${f.content!.toString()}NotAnSshdKeyword yes\n`);
  };

  test('staged validation with the real sshd: a drop-in it rejects is refused before it is ever live, nothing touched', async () => {
    await withPackages();
    const watched = [SSHD_DROPIN, '/etc/stns/client/stns.conf'];
    const before = await state(watched);
    const { script } = await plan(settings(), badDropin);
    const r = await startInChroot(script, { STNS_FLEET_TEST_STOP_AT: 'staged-check' });
    await waitStopped(r, 'staged-check');
    expect(await state(watched)).toEqual(before); // the moment sshd -t runs: the live files are the old ones
    process.kill(r.pid, 'SIGCONT');
    const e = await r.done;
    expect(e.code, e.stdout).toBe(40);
    expect(lastLine(e.stdout)).toBe('STNS_FLEET_RESULT=invalid');
    expect(e.stdout).toContain('nothing was touched');
    expect(e.stdout).toMatch(/^\/etc\/ssh\/sshd_config\.d\/00-stns-fleet\.conf: line \d+: Bad configuration option: NotAnSshdKeyword$/m);
    expect(e.stdout).not.toContain('STNS_FLEET_FILE');
    expect(await state(watched)).toEqual(before);
    expect(await readFile(path.join(root.dir, 'var/backups/stns-fleet')).catch((x: NodeJS.ErrnoException) => x.code)).toBe('ENOENT');
  });

  test('the real sshd accepts the staged form of a good configuration (and then the live one)', async () => {
    await withPackages();
    const { script } = await plan();
    const r = await runInChroot(root.dir, script);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain('sshd -t accepts the new configuration, staged');
    expect(r.stdout).toContain('sshd -t accepts the new configuration\n');
  });

  /** systemd "running" in the chroot, with a systemctl whose reload/restart of ssh runs `onSshd`. */
  async function fakeSystemd(onSshd: string): Promise<void> {
    await mkdir(path.join(root.dir, 'run/systemd/system'), { recursive: true });
    await writeFileIn(
      root.dir,
      '/usr/bin/systemctl',
      `#!/bin/sh\n# test stand-in\ncase "$1" in\nreload | restart) case "$2" in ssh | ssh.service) ${onSshd} ;; esac ;;\nesac\nexit 0\n`,
      0o755,
    );
  }

  async function noSystemd(): Promise<void> {
    await rm(path.join(root.dir, 'run/systemd'), { recursive: true, force: true });
    await rm(path.join(root.dir, 'usr/bin/systemctl'), { force: true });
  }

  const xattr = (abs: string): string => {
    const r = spawnSync('getfattr', ['--only-values', '-n', 'user.stns-test', path.join(root.dir, abs)], { encoding: 'utf8' });
    return r.status === 0 ? r.stdout : `(none: ${r.stderr.trim()})`;
  };

  test('restore keeps the file: a symlinked nsswitch.conf, a 0640 root:adm PAM file and user xattrs, through a failed activation and a write', async () => {
    await withPackages();
    // Relative, so this machine (which plans from the root's files) resolves it inside the root as well.
    const target = '/usr/share/stns-test/nsswitch.conf';
    await mkdir(path.join(root.dir, path.dirname(target)), { recursive: true });
    await rename(path.join(root.dir, 'etc/nsswitch.conf'), path.join(root.dir, target));
    await symlink('../usr/share/stns-test/nsswitch.conf', path.join(root.dir, 'etc/nsswitch.conf'));
    await chmod(path.join(root.dir, 'etc/pam.d/sshd'), 0o640);
    await chown(path.join(root.dir, 'etc/pam.d/sshd'), 0, 4); // adm in Debian
    for (const f of [target, '/etc/pam.d/sshd']) {
      const s = spawnSync('setfattr', ['-n', 'user.stns-test', '-v', 'kept', path.join(root.dir, f)], { encoding: 'utf8' });
      expect(s.status, `setfattr (Debian package attr): ${s.stderr}${s.error?.message ?? ''}`).toBe(0);
    }
    const meta = async (): Promise<string> =>
      (await runInChroot(root.dir, `stat -c '%n %a %U:%G' /etc/pam.d/sshd ${target}; readlink /etc/nsswitch.conf\n`)).stdout;
    const metaBefore = await meta();
    expect(metaBefore).toBe(`/etc/pam.d/sshd 640 root:adm\n${target} 644 root:root\n../usr/share/stns-test/nsswitch.conf\n`);
    const before = await state();
    const { plan: p, script } = await plan();

    // sshd's reload fails: every file written is restored, as a file (link, mode, group, xattrs), not just bytes.
    await fakeSystemd('exit 1');
    const failed = await runInChroot(root.dir, script);
    expect(failed.code, failed.stdout).toBe(50);
    expect(lastLine(failed.stdout)).toBe('STNS_FLEET_RESULT=activate-failed');
    expect(failed.stdout).toContain('STNS_FLEET_FILE /etc/nsswitch.conf nss');
    expect(failed.stdout).toContain('stns-fleet: the old configuration is back');
    expect(await state()).toEqual(before);
    expect(await meta()).toBe(metaBefore);
    expect(xattr(target)).toBe('kept');
    expect(xattr('/etc/pam.d/sshd')).toBe('kept');

    // And written (no init system): the link still a link, its target with the new content, the rest kept.
    await noSystemd();
    const ok = await runInChroot(root.dir, script);
    expect(ok.code, ok.stdout).toBe(0);
    expect((await lstat(path.join(root.dir, 'etc/nsswitch.conf'))).isSymbolicLink()).toBe(true);
    expect(await readlink(path.join(root.dir, 'etc/nsswitch.conf'))).toBe('../usr/share/stns-test/nsswitch.conf');
    expect(sha256Of(await readFile(path.join(root.dir, target)))).toBe(p.changes.find((c) => c.file.path === '/etc/nsswitch.conf')!.afterSha256);
    expect(sha256Of(await readFile(path.join(root.dir, 'etc/pam.d/sshd')))).toBe(p.changes.find((c) => c.file.path === '/etc/pam.d/sshd')!.afterSha256);
    expect(await meta()).toBe(metaBefore);
    expect(xattr(target)).toBe('kept');
    expect(xattr('/etc/pam.d/sshd')).toBe('kept');
  });

  test('a restore that fails on the activate path ends 60 restore-failed and names the backup', async () => {
    await withPackages();
    const { script } = await plan();
    await fakeSystemd('rm -rf /var/backups/stns-fleet; exit 1'); // the backup vanishes, then the reload fails
    const r = await runInChroot(root.dir, script);
    expect(r.code, r.stdout).toBe(60);
    expect(lastLine(r.stdout)).toBe('STNS_FLEET_RESULT=restore-failed');
    expect(r.stdout).toContain('STNS_FLEET_ERROR reloading ssh failed');
    expect(r.stdout).toMatch(/^STNS_FLEET_ERROR restore from \/var\/backups\/stns-fleet\/\d{8}T\d{6}Z-\d+ failed: fix by hand from that directory$/m);
    expect(r.stdout).not.toContain('the old configuration is back');
  });

  test('a package on hold counts as installed, for the host script and the facts script', async () => {
    await withPackages();
    const hold = await runInChroot(
      root.dir,
      "printf 'libnss-stns-v2 hold\\ncache-stnsd hold\\n' | dpkg --set-selections && dpkg-query -W -f='${Status}\\n' libnss-stns-v2 cache-stnsd\n",
    );
    expect(hold.stdout).toBe('hold ok installed\nhold ok installed\n');
    const { script } = await plan();
    const r = await runInChroot(root.dir, script);
    expect(r.code, r.stdout).toBe(0);
    expect(lastLine(r.stdout)).toBe('STNS_FLEET_RESULT=changed');
    expect(r.stdout).not.toContain('installing');
    const facts = await runInChroot(root.dir, factsScript(await loadTemplates(undefined, [FACTS_LIB])));
    expect(facts.code, facts.stderr).toBe(0);
    expect(facts.stdout).toMatch(/^pkg libnss-stns-v2 1$/m);
    expect(facts.stdout).toMatch(/^pkg cache-stnsd 1$/m);
  });
});
