/**
 * The host script and the facts script run from OUTSIDE a real root filesystem, as on a mounted image:
 * `STNS_FLEET_ROOT=<a private copy of the cached Debian 12 tree> sh script`, with this machine's tools on PATH.
 * The tree's own package database says what is installed (dpkg-query --admindir), packages are installed with
 * the tree's own apt-get inside `chroot`, and sshd -t is the tree's own sshd, inside it too. A tree whose
 * programs cannot run here (another architecture) is refused an install, and its sshd check is said not done.
 *
 * This machine's package managers and sshd are guarded: first on PATH are stand-ins that record that they ran
 * (and fail, or for sshd accept anything), so a run that asks this machine instead of the tree shows.
 */
import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, expect, test } from 'vitest';
import { FACTS_LIB, factsScript } from '../../src/facts/facts-script.js';
import { identityOf } from '../../src/model/host-identity.js';
import { snapshotFromRoot } from '../../src/model/host-snapshot.js';
import { generateHostScript } from '../../src/plan/host-script.js';
import { planHost } from '../../src/plan/host-plan.js';
import { profileById } from '../../src/profiles/index.js';
import { desiredState, type DesiredState } from '../../src/render/desired.js';
import { loadTemplates, type Templates } from '../../src/render/templates.js';
import { watchFor } from '../../src/render/watch.js';
import { SSHD_DROPIN } from '../../src/sshd/strategy.js';
import { settings, TOKEN } from '../helpers/render.js';
import { lastLine } from '../host-script/tree.js';
import { CHROOT_PATH, freshRoot, requireChrootOrSkip, stnsDummyDebs, type FreshRoot } from './harness.js';

const describeChroot = requireChrootOrSkip();
const profile = profileById('debian-12');
const PKGS = ['libnss-stns-v2', 'cache-stnsd'];

let templates: Templates;
let stnsDebs: string[];

beforeAll(async () => {
  templates = await loadTemplates(undefined, ['keys/stns-repo.asc', 'host/converge.sh', FACTS_LIB]);
});

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** An ELF header for arm64 (AArch64): what this amd64 machine's kernel refuses with "Exec format error". */
function arm64Elf(): Buffer {
  const h = Buffer.alloc(64);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]).copy(h); // ELF, 64-bit, little-endian, version 1
  h.writeUInt16LE(2, 16); // ET_EXEC
  h.writeUInt16LE(183, 18); // EM_AARCH64
  h.writeUInt32LE(1, 20);
  return h;
}

describeChroot('STNS_FLEET_ROOT on a real Debian 12 image tree, run from outside it', () => {
  let root: FreshRoot;
  let work: string;
  let guardLog: string;

  beforeAll(async () => {
    stnsDebs = await stnsDummyDebs();
  });

  beforeEach(async () => {
    root = await freshRoot();
    work = await mkdtemp(path.join(tmpdir(), 'sf-image-tree-'));
    guardLog = path.join(work, 'guard.log');
    await writeFile(guardLog, '');
    const guard = path.join(work, 'guard');
    await mkdir(guard);
    // This machine's package managers fail, its sshd accepts anything: both leave a line in guard.log.
    for (const [name, rc] of [['apt-get', 100], ['dnf', 1], ['yum', 1], ['sshd', 0]] as const) {
      await writeFile(path.join(guard, name), `#!/bin/sh\necho "${name} $*" >>'${guardLog}'\necho "this machine's ${name} ran" >&2\nexit ${rc}\n`, { mode: 0o755 });
    }
  });

  afterEach(async () => {
    await root.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  /** Runs a script with this machine's sh, outside the tree: STNS_FLEET_ROOT names it. */
  async function runOutside(script: string): Promise<Ran> {
    const file = path.join(work, `script-${Math.random().toString(36).slice(2)}.sh`);
    await writeFile(file, script, { mode: 0o700 });
    const env = { PATH: `${path.join(work, 'guard')}:${CHROOT_PATH}`, STNS_FLEET_ROOT: root.dir, LC_ALL: 'C', HOME: work };
    return new Promise((resolve, reject) => {
      const child = spawn('/bin/sh', [file], { env, cwd: '/', stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  /** This machine's dpkg, acting on the tree's database (as one would prepare an image). */
  async function dpkgRoot(...args: string[]): Promise<string> {
    const r = await new Promise<Ran>((resolve, reject) => {
      const child = spawn('dpkg', [`--root=${root.dir}`, ...args], { env: { PATH: CHROOT_PATH }, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end(args.includes('--set-selections') ? 'libnss-stns-v2 hold\n' : '');
    });
    expect(r.code, `dpkg ${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout;
  }

  async function withPackages(): Promise<void> {
    await dpkgRoot('-i', ...stnsDebs);
  }

  /** The tree's programs made foreign: /bin/sh and sshd are arm64 binaries this machine cannot run. */
  async function foreignArchitecture(): Promise<void> {
    for (const p of ['usr/bin/sh', 'usr/sbin/sshd']) {
      await rm(path.join(root.dir, p), { force: true });
      await writeFile(path.join(root.dir, p), arm64Elf(), { mode: 0o755 });
    }
  }

  async function plan(tweak?: (d: DesiredState) => void): Promise<string> {
    const snap = await snapshotFromRoot(root.dir, watchFor(profile));
    const desired = desiredState({ profile, identity: identityOf(snap, 'amd64'), snapshot: snap, settings: settings(), templates });
    expect(desired.problems).toEqual([]);
    tweak?.(desired);
    const p = planHost(desired, snap, { auth_token: TOKEN });
    return generateHostScript(p, templates, { auth_token: TOKEN });
  }

  /**
   * The whole tree, every entry's type, mode, owner and link target or content digest (its device nodes and
   * the script's own state directory left out): one find and sha256sum, much faster than reading it from node.
   */
  async function tree(): Promise<string> {
    const r = await new Promise<Ran>((resolve, reject) => {
      const child = spawn(
        'sh',
        [
          '-c',
          'cd "$1" && find . -xdev \\( -path ./dev -o -path ./var/lib/stns-fleet \\) -prune -o -printf "%y %m %U:%G %p %l\\n" | LC_ALL=C sort && ' +
            'find . -xdev \\( -path ./dev -o -path ./var/lib/stns-fleet \\) -prune -o -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum',
          'sh',
          root.dir,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  }

  const guarded = (): Promise<string> => readFile(guardLog, 'utf8');

  test('an image that already has the STNS packages (its own dpkg database) converges, with nothing installed', async () => {
    await withPackages();
    const r = await runOutside(await plan());
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(lastLine(r.stdout)).toBe('STNS_FLEET_RESULT=changed');
    expect(r.stdout).not.toContain('installing');
    expect(r.stdout).toContain('stns-fleet: sshd -t accepts the new configuration, staged');
    expect(r.stdout).toContain('stns-fleet: sshd -t accepts the new configuration\n');
    expect(await guarded()).toBe(''); // neither this machine's apt-get nor its sshd
    expect(await readFile(path.join(root.dir, 'etc/apt/sources.list.d/stns-fleet.list')).catch(() => null)).toBeNull();
  });

  test("the facts script reads the tree's dpkg database: an installed package, a held one, a missing one", async () => {
    await dpkgRoot('-i', stnsDebs[0]!);
    await dpkgRoot('--set-selections'); // libnss-stns-v2 on hold: "hold ok installed"
    const r = await runOutside(factsScript(templates));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^pkg libnss-stns-v2 1$/m);
    expect(r.stdout).toMatch(/^pkg cache-stnsd 0$/m);
  });

  test("an image whose own sshd rejects the configuration ends invalid, and the tree stays byte-identical", async () => {
    await withPackages();
    // A keyword of OpenSSH 9.8: the image's sshd (9.2) does not know it (this machine's guard sshd would accept it).
    const script = await plan((d) => {
      const f = d.files.find((x) => x.path === SSHD_DROPIN)!;
      f.content = Buffer.from(`${f.content!.toString()}PerSourcePenalties no\n`);
    });
    const before = await tree();
    expect(before).toContain(' ./etc/ssh/sshd_config\n');
    const r = await runOutside(script);
    expect(r.code, r.stdout + r.stderr).toBe(40);
    expect(lastLine(r.stdout)).toBe('STNS_FLEET_RESULT=invalid');
    expect(r.stdout).toMatch(/^\/etc\/ssh\/sshd_config\.d\/00-stns-fleet\.conf: line \d+: Bad configuration option: PerSourcePenalties$/m);
    expect(r.stdout).toContain('nothing was touched');
    expect(await tree()).toEqual(before);
    expect(await guarded()).toBe('');
  });

  test("packages missing on a tree that runs here: installed by the tree's own apt-get, inside chroot", async () => {
    // The image's apt-get, for this test: it records what it saw and installs the dummy packages with the
    // image's own dpkg (the STNS repository cannot be reached offline).
    await mkdir(path.join(root.dir, 'tmp/stns-debs'), { recursive: true });
    for (const d of stnsDebs) await copyFile(d, path.join(root.dir, 'tmp/stns-debs', path.basename(d)));
    await rm(path.join(root.dir, 'usr/bin/apt-get'));
    await writeFile(
      path.join(root.dir, 'usr/bin/apt-get'),
      [
        '#!/bin/sh',
        '# test stand-in for the image\'s apt-get',
        'repo=absent; [ -f /etc/apt/sources.list.d/stns-fleet.list ] && [ -f /etc/apt/keyrings/stns-fleet.gpg ] && repo=present',
        'echo "apt-get $* repo=$repo frontend=${DEBIAN_FRONTEND:-}" >>/var/log/stns-test-apt.log',
        'case " $* " in *" install "*) dpkg -i /tmp/stns-debs/*.deb ;; esac',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    const r = await runOutside(await plan());
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(lastLine(r.stdout)).toBe('STNS_FLEET_RESULT=changed');
    expect(r.stdout).toContain('stns-fleet: installing libnss-stns-v2 cache-stnsd');
    expect(r.stdout).toContain('STNS_FLEET_INSTALLED libnss-stns-v2 cache-stnsd');
    expect(await guarded()).toBe('');
    // It ran inside the tree (its log is the tree's /var/log), after the repository files were written there.
    const log = (await readFile(path.join(root.dir, 'var/log/stns-test-apt.log'), 'utf8')).trim().split('\n');
    expect(log).toHaveLength(2);
    expect(log[0]).toMatch(/^apt-get update -o Dir::Etc::sourcelist=sources\.list\.d\/stns-fleet\.list .* repo=present frontend=$/);
    expect(log[1]).toMatch(/^apt-get install -y --no-install-recommends .* libnss-stns-v2 cache-stnsd repo=present frontend=noninteractive$/);
    // And the tree's dpkg database has the packages.
    const status = await new Promise<string>((resolve) => {
      const c = spawn('dpkg-query', [`--admindir=${root.dir}/var/lib/dpkg`, '-W', '-f=${Package} ${Status}\n', ...PKGS]);
      let out = '';
      c.stdout.setEncoding('utf8').on('data', (x: string) => (out += x));
      c.on('close', () => resolve(out));
    });
    expect(status.split('\n').filter(Boolean).sort()).toEqual(['cache-stnsd install ok installed', 'libnss-stns-v2 install ok installed']);
  });

  test('a tree whose programs cannot run here (another architecture): a missing package is refused before anything is touched', async () => {
    await foreignArchitecture();
    const before = await tree();
    const r = await runOutside(await plan());
    expect(r.code, r.stdout + r.stderr).toBe(20);
    expect(lastLine(r.stdout)).toBe('STNS_FLEET_RESULT=preflight');
    expect(r.stdout).toContain(
      `STNS_FLEET_ERROR cannot install packages into ${root.dir}: its architecture cannot run here; install libnss-stns-v2 cache-stnsd in the image first; nothing was touched`,
    );
    expect(r.stdout).not.toContain('installing');
    expect(await tree()).toEqual(before);
    expect(await guarded()).toBe('');
  });

  test('a tree whose programs cannot run here, packages present: converges, saying its sshd did not validate the configuration', async () => {
    await withPackages();
    await foreignArchitecture();
    const r = await runOutside(await plan());
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(lastLine(r.stdout)).toBe('STNS_FLEET_RESULT=changed');
    expect(r.stdout).toMatch(/^STNS_FLEET_NOTICE sshd not validated: .*\(its architecture cannot run here\)/m);
    expect(r.stdout.match(/sshd not validated/g)).toHaveLength(1); // once, not again after writing
    expect(r.stdout).not.toContain('sshd -t accepts');
    expect(await guarded()).toBe(''); // this machine's sshd is no judge of the image's
  });

  test('an image before its first boot (no host keys, no /run/sshd) is checked by its own sshd all the same, and left so', async () => {
    await withPackages();
    const ssh = path.join(root.dir, 'etc/ssh');
    for (const k of ['rsa', 'ecdsa', 'ed25519']) {
      await rm(path.join(ssh, `ssh_host_${k}_key`));
      await rm(path.join(ssh, `ssh_host_${k}_key.pub`));
    }
    await rm(path.join(root.dir, 'run/sshd'), { recursive: true });
    const r = await runOutside(await plan());
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('stns-fleet: sshd -t accepts the new configuration, staged');
    expect(r.stdout).toContain('stns-fleet: sshd -t accepts the new configuration\n');
    expect(await guarded()).toBe('');
    const left = await tree();
    expect(left).not.toMatch(/ \.\/(etc\/ssh\/ssh_host_|run\/sshd )/);
  });
});
