// harden_sudo: the sudoers files in the desired state (from the stock Raspberry Pi OS file), what plan shows,
// and the host script's visudo gate: each file checked with `visudo -c -f` BEFORE it is put in place, a
// refused one leaving the host untouched, and a NOTICE (not a failure) under STNS_FLEET_ROOT without visudo.
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { describeOutcome } from '../../src/output/plan-summary.js';
import { identityOf } from '../../src/model/host-identity.js';
import { snapshotFromRoot } from '../../src/model/host-snapshot.js';
import { generateHostScript } from '../../src/plan/host-script.js';
import { planHost } from '../../src/plan/host-plan.js';
import { profileById } from '../../src/profiles/index.js';
import { desiredState, type DesiredState } from '../../src/render/desired.js';
import { disableNopasswd, PI_NOPASSWD_SUDOERS, SSM_SUDOERS, SSM_SUDOERS_HARDENED, SUDOERS } from '../../src/render/sudoers.js';
import { watchFor } from '../../src/render/watch.js';
import { render, SECRETS, settings, stock, stockFile, templates, withFiles } from '../helpers/render.js';
import { treeHosts } from '../helpers/tree-transport.js';
import { runOnTree } from './board.js';

const STOCK_PI = stockFile('raspberry-pi-os', 'etc/sudoers.d/010_pi-nopasswd');
const SUDOERS_MAIN = '#\n# This file MUST be edited with the \'visudo\' command as root.\n#\nDefaults\tenv_reset\nroot\tALL=(ALL:ALL) ALL\n%sudo\tALL=(ALL:ALL) ALL\n@includedir /etc/sudoers.d\n';
const SSM_AGENT_FILE = '# User rules for ssm-user\nssm-user ALL=(ALL) NOPASSWD:ALL\n';

describe('disableNopasswd', () => {
  test('the stock Raspberry Pi OS rule is commented out, with a header saying why', () => {
    expect(STOCK_PI).toBe('pi ALL=(ALL) NOPASSWD: ALL\n');
    const out = disableNopasswd(STOCK_PI);
    expect(out.split('\n').filter((l) => !l.startsWith('#'))).toEqual(['']);
    expect(out).toContain('# disabled by stns-fleet (harden_sudo): pi ALL=(ALL) NOPASSWD: ALL\n');
    expect(out).toMatch(/^# Managed by stns-fleet \(harden_sudo: true\)/);
    expect(disableNopasswd(out)).toBe(out); // idempotent: plan shows "in sync" the next time
  });

  test('only NOPASSWD / !authenticate rules go; every other line stays byte for byte', () => {
    const text = [
      '# a comment that mentions NOPASSWD: stays',
      'Defaults:alice timestamp_timeout=5',
      'alice ALL=(ALL:ALL) ALL',
      'bob ALL=(ALL)NOPASSWD:/usr/bin/apt, \\',
      '    /usr/bin/systemctl',
      'Defaults:carol !authenticate',
      '#includedir /etc/sudoers.d',
      '',
    ].join('\n');
    const out = disableNopasswd(text);
    const kept = out.split('\n').filter((l) => !l.startsWith('# disabled by stns-fleet') && !l.startsWith('# Managed by') && !l.startsWith('# still get'));
    expect(kept).toEqual(['# a comment that mentions NOPASSWD: stays', 'Defaults:alice timestamp_timeout=5', 'alice ALL=(ALL:ALL) ALL', '#includedir /etc/sudoers.d', '']);
    expect(out).toContain('# disabled by stns-fleet (harden_sudo):     /usr/bin/systemctl'); // the continuation goes with its rule
    expect(out).toContain('# disabled by stns-fleet (harden_sudo): Defaults:carol !authenticate');
  });

  test('a file with nothing to disable is returned unchanged', () => {
    expect(disableNopasswd('alice ALL=(ALL) ALL\n')).toBe('alice ALL=(ALL) ALL\n');
  });
});

describe('desired state', () => {
  async function withSudo(hardenSudo: boolean, files: Record<string, string | null> = { [SUDOERS]: SUDOERS_MAIN }): Promise<DesiredState> {
    const s = await stock('raspberry-pi-os');
    return (await render('raspberry-pi-os', { snapshot: withFiles(s.snapshot, files), settings: settings({}, { hardenSudo }) })).desired;
  }

  test('harden_sudo: true: ssm-agent-users rewritten with no rule, 010_pi-nopasswd with its rule disabled, both 0440 root:root', async () => {
    const d = await withSudo(true, { [SUDOERS]: SUDOERS_MAIN, [SSM_SUDOERS]: SSM_AGENT_FILE });
    const sudo = d.files.filter((f) => f.role === 'sudoers');
    expect(sudo.map((f) => [f.path, f.mode, f.ownership])).toEqual([
      [SSM_SUDOERS, 0o440, 'enforce'],
      [PI_NOPASSWD_SUDOERS, 0o440, 'enforce'],
    ]);
    expect(sudo[0]!.content!.toString()).toBe(SSM_SUDOERS_HARDENED);
    expect(sudo[0]!.content!.toString()).not.toMatch(/^ssm-user/m);
    expect(sudo[1]!.content!.toString()).toBe(disableNopasswd(STOCK_PI));
  });

  test('the agent\'s file is written even before the agent made it (it only creates a missing one), when sudo is installed', async () => {
    const d = await withSudo(true);
    expect(d.files.filter((f) => f.role === 'sudoers').map((f) => f.path)).toEqual([SSM_SUDOERS, PI_NOPASSWD_SUDOERS]);
    const noSudo = await withSudo(true, {});
    expect(noSudo.files.filter((f) => f.role === 'sudoers').map((f) => f.path)).toEqual([PI_NOPASSWD_SUDOERS]);
  });

  test('harden_sudo: false (the default) leaves sudo alone', async () => {
    expect((await withSudo(false)).files.filter((f) => f.role === 'sudoers')).toEqual([]);
    const d = await render('raspberry-pi-os'); // settings() without hardenSudo
    expect(d.desired.files.filter((f) => f.role === 'sudoers')).toEqual([]);
  });

  test('plan shows both files, then "in sync" once applied', async () => {
    const s = await stock('raspberry-pi-os');
    const snap = withFiles(s.snapshot, { [SUDOERS]: SUDOERS_MAIN, [SSM_SUDOERS]: SSM_AGENT_FILE });
    const r = await render('raspberry-pi-os', { snapshot: snap, settings: settings({}, { hardenSudo: true }) });
    const lines = describeOutcome(r.plan);
    expect(lines).toContain(`~ ${SSM_SUDOERS.padEnd(Math.max(...r.plan.changes.map((c) => c.file.path.length)))}  update 0440 root:root`);
    expect(lines.some((l) => l.startsWith(`~ ${PI_NOPASSWD_SUDOERS}`) && l.endsWith('update 0440 root:root'))).toBe(true);
    const after = withFiles(snap, { [SSM_SUDOERS]: SSM_SUDOERS_HARDENED, [PI_NOPASSWD_SUDOERS]: disableNopasswd(STOCK_PI) });
    const again = planHost(desiredState({ profile: r.profile, identity: r.identity, snapshot: after, settings: settings({}, { hardenSudo: true }), templates: r.t }), after, SECRETS);
    expect(again.changes.filter((c) => c.file.role === 'sudoers').map((c) => c.action)).toEqual(['noop', 'noop']);
  });
});

describe('the host script on a tree', () => {
  const hostVisudo = spawnSync('sh', ['-c', 'command -v visudo'], { encoding: 'utf8' }).stdout.trim();
  let cleanup: string | undefined;
  afterEach(async () => {
    if (cleanup) await rm(cleanup, { recursive: true, force: true });
    cleanup = undefined;
  });

  /** A Raspberry Pi OS tree with sudo's files, the plan for harden_sudo, and a stand-in visudo. */
  async function setup(tweak?: (d: DesiredState) => void): Promise<{ root: string; bin: string; visudoBin: string; script: string; log: string }> {
    const { dir, bin, hosts } = treeHosts(['raspberry-pi-os']);
    cleanup = dir;
    const root = hosts[0]!.root;
    await writeFile(path.join(root, 'etc/sudoers'), SUDOERS_MAIN, { mode: 0o440 });
    await writeFile(path.join(root, 'etc/sudoers.d/ssm-agent-users'), SSM_AGENT_FILE, { mode: 0o440 });
    const profile = profileById('raspberry-pi-os');
    const snap = await snapshotFromRoot(root, watchFor(profile));
    const d = desiredState({ profile, identity: identityOf(snap, 'arm64'), snapshot: snap, settings: settings({}, { hardenSudo: true }), templates: await templates(), packagesInstalled: true });
    expect(d.problems).toEqual([]);
    tweak?.(d);
    const script = generateHostScript(planHost(d, snap, SECRETS), await templates(), SECRETS);
    const visudoBin = path.join(dir, 'visudo-bin');
    const log = path.join(dir, 'visudo.log');
    await mkdir(visudoBin);
    await writeFile(
      path.join(visudoBin, 'visudo'),
      `#!/bin/sh\necho "$* mode=$(stat -c %a "$4")" >>${log}\nif grep -q BROKEN "$4"; then echo ">>> $4: syntax error near line 3 <<<" >&2; exit 1; fi\nexit 0\n`,
    );
    await chmod(path.join(visudoBin, 'visudo'), 0o755);
    return { root, bin, visudoBin, script, log };
  }

  test('each sudoers file is checked with visudo -c -f as a 0440 copy before it is written; both end 0440', async () => {
    const s = await setup();
    const r = await runOnTree(s.script, s.root, { path: `${s.visudoBin}:${s.bin}` });
    expect(r.stdout).toMatch(/STNS_FLEET_RESULT=changed$/m);
    expect(r.code).toBe(0);
    // visudo -V: the script also asks which visudo it is, to say which implementation checked.
    const calls = (await readFile(s.log, 'utf8')).trim().split('\n').filter((c) => !c.startsWith('-V '));
    expect(calls).toHaveLength(2);
    for (const c of calls) expect(c).toMatch(/^-c -q -f \S+\.sudoers mode=440$/);
    expect(r.stdout).toMatch(/^STNS_FLEET_NOTICE sudoers validated with \S+visudo/m);
    expect(await readFile(path.join(s.root, SSM_SUDOERS), 'utf8')).toBe(SSM_SUDOERS_HARDENED);
    expect(await readFile(path.join(s.root, PI_NOPASSWD_SUDOERS), 'utf8')).toBe(disableNopasswd(STOCK_PI));
    for (const p of [SSM_SUDOERS, PI_NOPASSWD_SUDOERS]) expect((await stat(path.join(s.root, p))).mode & 0o777).toBe(0o440);
    expect(r.stdout).toContain(`STNS_FLEET_FILE ${PI_NOPASSWD_SUDOERS} sudoers`);
  });

  test('a file visudo refuses is never written, and nothing else is either', async () => {
    const s = await setup((d) => {
      const f = d.files.find((x) => x.path === PI_NOPASSWD_SUDOERS)!;
      f.content = Buffer.concat([f.content!, Buffer.from('pi ALL=(ALL BROKEN\n')]);
    });
    const before = await readFile(path.join(s.root, PI_NOPASSWD_SUDOERS), 'utf8');
    const r = await runOnTree(s.script, s.root, { path: `${s.visudoBin}:${s.bin}` });
    expect(r.code).toBe(40);
    expect(r.stdout).toMatch(/STNS_FLEET_RESULT=invalid$/m);
    expect(r.stdout).toContain(`visudo refused the new ${PI_NOPASSWD_SUDOERS}`);
    expect(r.stdout).toContain('syntax error near line 3');
    expect(await readFile(path.join(s.root, PI_NOPASSWD_SUDOERS), 'utf8')).toBe(before);
    expect(await readFile(path.join(s.root, SSM_SUDOERS), 'utf8')).toBe(SSM_AGENT_FILE);
    expect(await readFile(path.join(s.root, 'etc/stns/client/stns.conf'), 'utf8').catch(() => 'absent')).toBe('absent');
    expect(await readdir(path.join(s.root, 'var/backups')).catch(() => [])).toEqual([]);
  });

  test.skipIf(hostVisudo !== '')('under STNS_FLEET_ROOT without visudo: a NOTICE, and the files are written', async () => {
    const s = await setup();
    const r = await runOnTree(s.script, s.root, { path: s.bin });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^STNS_FLEET_NOTICE visudo not found: sudoers files under \S+ are not validated$/m);
    expect(await readFile(path.join(s.root, PI_NOPASSWD_SUDOERS), 'utf8')).toBe(disableNopasswd(STOCK_PI));
  });

  test.runIf(hostVisudo !== '')('the real visudo accepts what harden_sudo writes', async () => {
    const s = await setup();
    for (const [p, content] of [
      [SSM_SUDOERS, SSM_SUDOERS_HARDENED],
      [PI_NOPASSWD_SUDOERS, disableNopasswd(STOCK_PI)],
    ] as const) {
      const f = path.join(s.root, `check-${path.basename(p)}`);
      await writeFile(f, content, { mode: 0o440 });
      const r = spawnSync(hostVisudo, ['-c', '-q', '-f', f], { encoding: 'utf8' });
      expect(`${r.stdout}${r.stderr}`, p).toBe('');
      expect(r.status, p).toBe(0);
    }
  });
});
