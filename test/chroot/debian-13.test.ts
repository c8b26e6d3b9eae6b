/**
 * The host script, run for real as root in a Debian 13 (trixie) root filesystem: debootstrap minbase +
 * openssh-server + openssl (scripts/debian-rootfs.sh --suite trixie, cached like the Debian 12 tree). The real
 * dash, dpkg and OpenSSH 10 sshd (split into sshd, sshd-session and sshd-auth). Each test renders from the
 * chroot's own files, as `render --root` does, and checks the result with the real `sshd -t` / `sshd -T`.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, expect, test } from 'vitest';
import { identityOf } from '../../src/model/host-identity.js';
import { snapshotFromRoot, type HostSnapshot } from '../../src/model/host-snapshot.js';
import { generateHostScript } from '../../src/plan/host-script.js';
import { planHost, sha256 as sha256Of, type HostPlan } from '../../src/plan/host-plan.js';
import { chooseProfile, profileById } from '../../src/profiles/index.js';
import { desiredState, type DesiredState } from '../../src/render/desired.js';
import { loadTemplates, type Templates } from '../../src/render/templates.js';
import { watchFor } from '../../src/render/watch.js';
import { SSHD_DROPIN } from '../../src/sshd/strategy.js';
import { settings, TOKEN } from '../helpers/render.js';
import { ensureRootfs, freshRoot, installDeb, readFileIn, requireChrootOrSkip, treeState, runInChroot, stnsDummyDebs, type FreshRoot } from './harness.js';

const describeChroot = requireChrootOrSkip();
const profile = profileById('debian-13');
let templates: Templates;

describeChroot('host script in a Debian 13 chroot (OpenSSH 10)', () => {
  let rootfs: string;
  let stnsDebs: string[];
  let root: FreshRoot;

  beforeAll(async () => {
    templates = await loadTemplates(undefined, ['keys/stns-repo.asc', 'host/converge.sh']);
    rootfs = await ensureRootfs('trixie'); // a cache hit after the global setup; built here (same lock) if not
    // Stand-ins for the STNS packages (no STNS trixie repository exists): "the image already carries them".
    stnsDebs = await stnsDummyDebs();
  });
  beforeEach(async () => {
    root = await freshRoot({ rootfs });
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
    const desired = desiredState({ profile, identity: identityOf(snap, 'amd64'), snapshot: snap, settings: settings(), templates });
    expect(desired.problems).toEqual([]);
    tweak?.(desired);
    const p = planHost(desired, snap, { auth_token: TOKEN });
    return { plan: p, script: generateHostScript(p, templates, { auth_token: TOKEN }) };
  }

  const etcState = (): Promise<Record<string, string>> => treeState(root.dir);

  const lastLine = (s: string): string => s.trimEnd().split('\n').at(-1) ?? '';

  test('the tree is real Debian 13 with OpenSSH 10 split into sshd, sshd-session and sshd-auth', async () => {
    expect(await readFileIn(root.dir, '/etc/debian_version')).toMatch(/^13\./);
    const r = await runInChroot(root.dir, 'ssh -V 2>&1\nls /usr/lib/openssh/sshd-session /usr/lib/openssh/sshd-auth\n/usr/sbin/sshd -t\n');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^OpenSSH_10\./);
    expect(r.stdout).toContain('/usr/lib/openssh/sshd-session\n');
    expect(r.stdout).toContain('/usr/lib/openssh/sshd-auth\n');
  });

  test('os: auto detects it as debian-13 from its own files; the inventory saying debian-12 is refused', async () => {
    const identity = identityOf(await snapshot(), 'amd64');
    const auto = chooseProfile(identity, 'auto');
    expect('error' in auto ? auto.error : auto.id).toBe('debian-13');
    const asDebian12 = chooseProfile(identity, 'debian-12');
    expect('error' in asDebian12 && asDebian12.error).toMatch(/^the inventory says debian-12 but the host is debian-13: Debian GNU\/Linux 13 \(trixie\) \(ID=debian, VERSION_ID=13\)/);
  });

  test('converges: sshd 10 -t passes, sshd -T -C leads to the key wrapper, second run unchanged', async () => {
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
  });

  test('a drop-in sshd 10 rejects is refused (invalid) and /etc stays byte-identical', async () => {
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
  });
});
