/**
 * The host script, run for real as root in an arm64 root filesystem made to look like 64-bit Raspberry Pi OS
 * (bookworm): `scripts/debian-rootfs.sh --arch arm64` (debootstrap --foreign --arch=arm64, qemu-aarch64-static,
 * second stage under binfmt_misc emulation, /etc/rpi-issue added; cached as bookworm-arm64/). Every program in
 * it — dash, dpkg, the OpenSSH 9.2 sshd — is the real arm64 binary, run under qemu-user.
 *
 * Opt-in (not part of the default or CI run): the first build runs debootstrap's second stage under emulation
 * (153 s measured on the development machine; 15–25 minutes on slower ones), and the machine needs the
 * qemu-user-static package (binfmt_misc is mounted by the build script when it is not). Cache hits: ~15 s.
 *
 *   STNS_FLEET_ARM64=1 npx vitest run test/chroot/pi-arm64.test.ts
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { archFromRoot } from '../../src/facts/root-arch.js';
import { archOf, identityOf } from '../../src/model/host-identity.js';
import { snapshotFromRoot, type HostSnapshot } from '../../src/model/host-snapshot.js';
import { generateHostScript } from '../../src/plan/host-script.js';
import { planHost, sha256 as sha256Of, type HostPlan } from '../../src/plan/host-plan.js';
import { chooseProfile, profileById } from '../../src/profiles/index.js';
import type { Arch } from '../../src/profiles/types.js';
import { desiredState, type DesiredState } from '../../src/render/desired.js';
import { loadTemplates, type Templates } from '../../src/render/templates.js';
import { IDENTITY_FILES, watchFor } from '../../src/render/watch.js';
import { SSHD_DROPIN } from '../../src/sshd/strategy.js';
import { settings, TOKEN } from '../helpers/render.js';
import { freshRoot, installDeb, readFileIn, requireChrootOrSkip, treeState, runInChroot, stnsDummyDebs, type FreshRoot } from './harness.js';

const OPT_IN = process.env['STNS_FLEET_ARM64'] === '1';
const describeArm64: (name: string, fn: () => void) => void = OPT_IN
  ? requireChrootOrSkip()
  : (name, fn) =>
      describe.skip(`${name} (skipped: opt-in, set STNS_FLEET_ARM64=1; needs qemu-user-static; the first arm64 build takes minutes under emulation)`, fn);

const ROOTFS_SCRIPT = fileURLToPath(new URL('../../scripts/debian-rootfs.sh', import.meta.url));
/** A cache hit is instant; the first build under emulation takes minutes (up to 25 on slow machines). */
const BUILD_TIMEOUT_MS = 45 * 60_000;
/** Everything in the tree runs under qemu: allow for it. */
const TEST_TIMEOUT_MS = 5 * 60_000;

/** scripts/debian-rootfs.sh --suite bookworm --arch arm64 → the cached tree (progress echoed when it builds). */
function ensureArm64Rootfs(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [ROOTFS_SCRIPT, '--suite', 'bookworm', '--arch', 'arm64'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      err += c;
      for (const l of c.split('\n')) if (l.startsWith('debian-rootfs:')) process.stderr.write(l + '\n');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const p = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !p.startsWith('/')) reject(new Error(`scripts/debian-rootfs.sh --arch arm64 failed (exit ${code}):\n${err}`));
      else resolve(p);
    });
  });
}

const profile = profileById('raspberry-pi-os');
let templates: Templates;

describeArm64('host script in an arm64 Raspberry Pi OS (bookworm) chroot under qemu', () => {
  let rootfs: string;
  let stnsDebs: string[];
  let root: FreshRoot;
  let arch: Arch;

  beforeAll(async () => {
    templates = await loadTemplates(undefined, ['keys/stns-repo.asc', 'host/converge.sh']);
    rootfs = await ensureArm64Rootfs();
    // Architecture: all stand-ins for the STNS packages, so they install into the arm64 tree as they are.
    stnsDebs = await stnsDummyDebs();
  }, BUILD_TIMEOUT_MS);
  beforeEach(async () => {
    root = await freshRoot({ rootfs });
    // As `render --root` does: the architecture from the tree's own files.
    const fromTree = await archFromRoot(root.dir);
    expect(fromTree?.arch).toBe('arm64');
    arch = fromTree!.arch;
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

  async function plan(tweak?: (d: DesiredState) => void): Promise<{ plan: HostPlan; script: string }> {
    const snap = await snapshot();
    const desired = desiredState({ profile, identity: identityOf(snap, arch), snapshot: snap, settings: settings(), templates });
    expect(desired.problems).toEqual([]);
    tweak?.(desired);
    const p = planHost(desired, snap, { auth_token: TOKEN });
    return { plan: p, script: generateHostScript(p, templates, { auth_token: TOKEN }) };
  }

  const etcState = (): Promise<Record<string, string>> => treeState(root.dir);

  const lastLine = (s: string): string => s.trimEnd().split('\n').at(-1) ?? '';

  test(
    'the tree is real arm64 bookworm: its own dpkg, uname and sshd run under emulation',
    async () => {
      expect(await readFileIn(root.dir, '/etc/debian_version')).toMatch(/^12\./);
      expect(await readFileIn(root.dir, '/etc/rpi-issue')).toMatch(/^Raspberry Pi reference/);
      const r = await runInChroot(root.dir, 'dpkg --print-architecture\nuname -m\nssh -V 2>&1\n/usr/sbin/sshd -t\n');
      expect(r.code, r.stderr).toBe(0);
      const [dpkgArch, machine, sshV] = r.stdout.split('\n');
      expect(dpkgArch).toBe('arm64');
      expect(machine).toBe('aarch64'); // qemu-user reports the emulated machine
      expect(archOf(machine!)).toBe('arm64');
      expect(sshV).toMatch(/^OpenSSH_9\.2p1 /);
      const sshd = await readFile(path.join(root.dir, 'usr/sbin/sshd'));
      expect(sshd.readUInt16LE(18)).toBe(183); // ELF e_machine EM_AARCH64: the real arm64 binary
    },
    TEST_TIMEOUT_MS,
  );

  test(
    'os: auto detects it as raspberry-pi-os (by /etc/rpi-issue) with arch arm64; debian-12 is refused',
    async () => {
      const identity = identityOf(await snapshotFromRoot(root.dir, { paths: IDENTITY_FILES, dirs: [] }), arch);
      expect(identity.arch).toBe('arm64');
      expect(identity.raspberryPi).toBe(true);
      expect(identity.osRelease['ID']).toBe('debian');
      const auto = chooseProfile(identity, 'auto');
      expect('error' in auto ? auto.error : auto.id).toBe('raspberry-pi-os');
      const asDebian12 = chooseProfile(identity, 'debian-12');
      expect('error' in asDebian12 && asDebian12.error).toMatch(/^the inventory says debian-12 but the host is raspberry-pi-os/);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    'converges: arm64 sshd -t passes, sshd -T -C leads to the key wrapper, second run unchanged',
    async () => {
      await withPackages();
      const { plan: p, script } = await plan();
      const r1 = await runInChroot(root.dir, script);
      expect(r1.stderr).toBe('');
      expect(r1.code, r1.stdout).toBe(0);
      expect(r1.stdout).toContain('sshd -t accepts the new configuration');
      expect(lastLine(r1.stdout)).toBe('STNS_FLEET_RESULT=changed');
      expect(r1.stdout).not.toContain('tok"en'); // the token never reaches the output
      for (const c of p.changes.filter((x) => x.file.role !== 'repo')) {
        const now = await readFile(path.join(root.dir, c.file.path)).catch(() => null);
        expect(now ? sha256Of(now) : 'absent', c.file.path).toBe(c.afterSha256);
      }
      // Packages were already there: no repository was added.
      expect(await readFile(path.join(root.dir, '/etc/apt/sources.list.d/stns-fleet.list')).catch(() => null)).toBeNull();

      const t = await runInChroot(root.dir, '/usr/sbin/sshd -t && /usr/sbin/sshd -T -C user=alice,host=h,addr=127.0.0.1 | grep -i "^authorizedkeyscommand"\n');
      expect(t.code, t.stderr).toBe(0);
      expect(t.stdout).toContain('authorizedkeyscommand /usr/lib/stns/stns-key-wrapper');
      expect(t.stdout).toContain('authorizedkeyscommanduser root');

      const r2 = await runInChroot(root.dir, script);
      expect(r2.code, r2.stdout).toBe(0);
      expect(lastLine(r2.stdout)).toBe('STNS_FLEET_RESULT=unchanged');
      const again = await plan();
      expect(again.plan.changes.filter((c) => c.action !== 'noop').map((c) => c.file.path)).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    'a drop-in the arm64 sshd rejects is refused (invalid) and /etc stays byte-identical',
    async () => {
      await withPackages();
      const before = await etcState();
      const { script } = await plan((d) => {
        const f = d.files.find((x) => x.path === SSHD_DROPIN)!;
        f.content = Buffer.from(`${f.content!.toString()}NotAnSshdKeyword yes\n`);
      });
      const r = await runInChroot(root.dir, script);
      expect(r.code, r.stdout).toBe(40);
      expect(lastLine(r.stdout)).toBe('STNS_FLEET_RESULT=invalid');
      expect(r.stdout).toMatch(/^\/etc\/ssh\/sshd_config\.d\/00-stns-fleet\.conf: line \d+: Bad configuration option: NotAnSshdKeyword$/m);
      expect(await etcState()).toEqual(before);
      expect((await runInChroot(root.dir, '/usr/sbin/sshd -t\n')).code).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );
});
