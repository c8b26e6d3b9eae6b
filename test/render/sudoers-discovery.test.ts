// harden_sudo without assumptions: the NOPASSWD rules that exist are found in every file sudo reads in
// /etc/sudoers.d, whatever the file or user is called (a trixie Raspberry Pi OS image has no 010_pi-nopasswd and
// its first user need not be pi; cloud-init writes 90-cloud-init-users), and each change is reported.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { FACTS_LIB, factsScript, factWatch } from '../../src/facts/facts-script.js';
import { snapshotFromRoot } from '../../src/model/host-snapshot.js';
import { profileById } from '../../src/profiles/index.js';
import type { OsProfileId } from '../../src/profiles/ids.js';
import { CLOUD_INIT_SUDOERS, disableNopasswd, nopasswdRules, PI_NOPASSWD_SUDOERS, SSM_SUDOERS, SUDOERS, SUDOERS_RS } from '../../src/render/sudoers.js';
import type { Templates } from '../../src/render/templates.js';
import { watchFor } from '../../src/render/watch.js';
import { applyDesired, render, settings, stock, templates, withFiles } from '../helpers/render.js';

const MAIN = '#\n# This file MUST be edited with the \'visudo\' command as root.\n#\nDefaults\tenv_reset\nroot\tALL=(ALL:ALL) ALL\n%sudo\tALL=(ALL:ALL) ALL\n@includedir /etc/sudoers.d\n';
const CLOUD_INIT = '\n# Created by cloud-init v. 25.1.4 on Mon, 13 Apr 2026 10:00:00 +0000\n\n# User rules for ada\nada ALL=(ALL) NOPASSWD:ALL\n';
const HARDEN = settings({}, { hardenSudo: true });

async function hardened(id: OsProfileId, variant: string | undefined, files: Record<string, string | null>) {
  const s = await stock(id, undefined, variant);
  return render(id, { ...(variant ? { variant } : {}), snapshot: withFiles(s.snapshot, { [SUDOERS]: MAIN, ...files }), settings: HARDEN, packagesInstalled: true });
}
const sudoersFiles = (r: Awaited<ReturnType<typeof render>>) => r.desired.files.filter((f) => f.role === 'sudoers');
const contentOf = (r: Awaited<ReturnType<typeof render>>, p: string) => r.desired.files.find((f) => f.path === p)?.content?.toString('utf8');

describe('a trixie Raspberry Pi OS image (no 010_pi-nopasswd; first user ada, made by cloud-init)', () => {
  test('cloud-init\'s rule for ada is found and disabled, and the note says where and for whom', async () => {
    const r = await hardened('raspberry-pi-os', 'trixie', { [CLOUD_INIT_SUDOERS]: CLOUD_INIT });
    expect(r.snapshot.files.has(PI_NOPASSWD_SUDOERS)).toBe(false);
    expect(sudoersFiles(r).map((f) => f.path)).toEqual([SSM_SUDOERS, CLOUD_INIT_SUDOERS]);
    const after = contentOf(r, CLOUD_INIT_SUDOERS)!;
    expect(after).toContain('# disabled by stns-fleet (harden_sudo): ada ALL=(ALL) NOPASSWD:ALL\n');
    expect(nopasswdRules(after)).toEqual([]);
    expect(r.desired.notes).toContain('harden_sudo: /etc/sudoers.d/90-cloud-init-users:5: passwordless sudo disabled for ada (ada ALL=(ALL) NOPASSWD:ALL)');
    expect(r.desired.notes).toContain('harden_sudo: /etc/sudoers.d/ssm-agent-users is created with no rule, so that the SSM agent never writes ssm-user\'s passwordless one');
  });

  test('any file name, any user: a renamed copy is disabled, a narrow rule kept (and said so), unread names and comments left alone', async () => {
    const r = await hardened('raspberry-pi-os', 'trixie', {
      '/etc/sudoers.d/020_ada-nopasswd': 'ada ALL=(ALL) NOPASSWD: ALL\n',
      '/etc/sudoers.d/nagios': 'nagios ALL=(root) NOPASSWD: /usr/lib/nagios/plugins/check_disk, /usr/lib/nagios/plugins/check_load\n',
      '/etc/sudoers.d/deploy': 'Defaults:deploy !authenticate\ndeploy ALL=(ALL) ALL\n',
      '/etc/sudoers.d/README': '#\n# Files in this directory are read by sudo; NOPASSWD: ALL in a comment is not a rule.\n#\n',
      '/etc/sudoers.d/ada.dpkg-old': 'ada ALL=(ALL) NOPASSWD: ALL\n', // sudo skips names with a dot
      '/etc/sudoers.d/ada~': 'ada ALL=(ALL) NOPASSWD: ALL\n', // and names ending in ~
    });
    expect(sudoersFiles(r).map((f) => f.path)).toEqual([SSM_SUDOERS, '/etc/sudoers.d/020_ada-nopasswd', '/etc/sudoers.d/deploy']);
    expect(contentOf(r, '/etc/sudoers.d/deploy')).toContain('# disabled by stns-fleet (harden_sudo): Defaults:deploy !authenticate\ndeploy ALL=(ALL) ALL\n');
    const notes = r.desired.notes.join('\n');
    expect(notes).toContain('/etc/sudoers.d/020_ada-nopasswd:1: passwordless sudo disabled for ada');
    expect(notes).toContain('/etc/sudoers.d/deploy:1: passwordless sudo disabled for deploy (Defaults:deploy !authenticate)');
    expect(notes).toContain('/etc/sudoers.d/nagios:1: kept: nagios may run only the commands it lists without a password');
    expect(notes).not.toMatch(/README|dpkg-old|ada~/);
  });

  test('converged: nothing changes and nothing is reported disabled', async () => {
    const first = await hardened('raspberry-pi-os', 'trixie', { [CLOUD_INIT_SUDOERS]: CLOUD_INIT });
    const again = await render('raspberry-pi-os', { variant: 'trixie', snapshot: applyDesired(first.snapshot, first.desired), settings: HARDEN, packagesInstalled: true });
    expect(again.plan.changes.filter((c) => c.file.role === 'sudoers').map((c) => [c.file.path, c.action])).toEqual([
      [SSM_SUDOERS, 'noop'],
      [CLOUD_INIT_SUDOERS, 'noop'],
    ]);
    expect(again.desired.notes.filter((n) => n.startsWith('harden_sudo'))).toEqual([]);
  });

  test('a passwordless rule in /etc/sudoers itself is never edited: a warning says where', async () => {
    const r = await hardened('raspberry-pi-os', 'trixie', { [SUDOERS]: `${MAIN}ada ALL=(ALL) NOPASSWD: ALL\n` });
    expect(sudoersFiles(r).map((f) => f.path)).toEqual([SSM_SUDOERS]);
    expect(r.desired.warnings).toContain('harden_sudo leaves /etc/sudoers alone: line 8 gives ada passwordless sudo (ada ALL=(ALL) NOPASSWD: ALL); remove it there with visudo');
  });
});

test('bookworm\'s 010_pi-nopasswd with a renamed first user: disabled (every NOPASSWD rule of the image\'s own file)', async () => {
  const r = await hardened('raspberry-pi-os', 'bookworm', { [PI_NOPASSWD_SUDOERS]: 'ada ALL=(ALL) NOPASSWD: ALL\nada ALL=(ALL) NOPASSWD: /usr/bin/raspi-config\n' });
  expect(contentOf(r, PI_NOPASSWD_SUDOERS)).toBe(disableNopasswd('ada ALL=(ALL) NOPASSWD: ALL\nada ALL=(ALL) NOPASSWD: /usr/bin/raspi-config\n'));
  expect(r.desired.notes.filter((n) => n.includes('010_pi-nopasswd'))).toEqual([
    'harden_sudo: /etc/sudoers.d/010_pi-nopasswd:1: passwordless sudo disabled for ada (ada ALL=(ALL) NOPASSWD: ALL)',
    'harden_sudo: /etc/sudoers.d/010_pi-nopasswd:2: passwordless sudo disabled for ada (ada ALL=(ALL) NOPASSWD: /usr/bin/raspi-config)',
  ]);
});

describe('sudo-rs (Ubuntu 26.04)', () => {
  test('the profile says sudo-rs; a change notes that the host script validates with the visudo it finds', async () => {
    expect(profileById('ubuntu-26.04').sudo).toBe('sudo-rs');
    expect(profileById('ubuntu-24.04').sudo).toBe('sudo');
    const r = await hardened('ubuntu-26.04', undefined, { [CLOUD_INIT_SUDOERS]: CLOUD_INIT.replace(/ada/g, 'ubuntu') });
    expect(r.desired.notes.join('\n')).toMatch(/this OS installs sudo-rs as its sudo: the host script checks each sudoers file with every visudo the host has/);
    expect(r.desired.notes).toContain('harden_sudo: /etc/sudoers.d/90-cloud-init-users:5: passwordless sudo disabled for ubuntu (ubuntu ALL=(ALL) NOPASSWD:ALL)');
  });

  test('/etc/sudoers-rs (read by sudo-rs instead of /etc/sudoers) is watched, reported, and never edited', async () => {
    const r = await hardened('ubuntu-26.04', undefined, { [SUDOERS_RS]: `${MAIN}ubuntu ALL=(ALL) NOPASSWD:ALL\n` });
    expect(r.desired.notes).toContain('sudo-rs reads /etc/sudoers-rs instead of /etc/sudoers on this host (classic sudo still reads /etc/sudoers)');
    expect(r.desired.warnings.join('\n')).toMatch(/harden_sudo leaves \/etc\/sudoers-rs alone: line 8 gives ubuntu passwordless sudo/);
    expect(sudoersFiles(r).map((f) => f.path)).toEqual([SSM_SUDOERS]);
  });
});

describe('what the facts and render --root read', () => {
  test('render --root reads every file of /etc/sudoers.d, whatever its name', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'stns-fleet-sudoers-'));
    try {
      await mkdir(path.join(root, 'etc/sudoers.d'), { recursive: true });
      await writeFile(path.join(root, 'etc/sudoers.d/90-cloud-init-users'), CLOUD_INIT);
      await writeFile(path.join(root, 'etc/sudoers.d/zz-anything'), 'bob ALL=(ALL) NOPASSWD: ALL\n');
      const s = await snapshotFromRoot(root, watchFor(profileById('raspberry-pi-os')));
      expect([...s.files.keys()].filter((p) => p.startsWith('/etc/sudoers.d/')).sort()).toEqual([CLOUD_INIT_SUDOERS, '/etc/sudoers.d/zz-anything']);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  test('the facts name the known files now, and list the whole directory once facts.sh reads SF_ANY_DIRS', async () => {
    const w = factWatch();
    expect(w.paths).toEqual(expect.arrayContaining([SUDOERS, SUDOERS_RS, SSM_SUDOERS, PI_NOPASSWD_SUDOERS, CLOUD_INIT_SUDOERS]));
    expect(w.anyDirs).toEqual(['/etc/sudoers.d']);
    expect(w.dirs).not.toContain('/etc/sudoers.d'); // facts.sh reads only *.conf there, which sudo ignores
    const t = await templates();
    const real = factsScript(t);
    expect(real.includes("SF_ANY_DIRS='/etc/sudoers.d'")).toBe(t.data(FACTS_LIB).toString('utf8').includes('SF_ANY_DIRS'));
    const reading: Templates = {
      render: (n, c) => t.render(n, c),
      source: (n) => t.source(n),
      data: (p) => (p === FACTS_LIB ? Buffer.from(`${t.data(p).toString('utf8')}\n# for d in $SF_ANY_DIRS; do …\n`) : t.data(p)),
    };
    expect(factsScript(reading)).toContain("SF_ANY_DIRS='/etc/sudoers.d'\n");
  });
});
