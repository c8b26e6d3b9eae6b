// Two host-script points of the newest OS lines. (1) Socket-activated ssh (Ubuntu 24.04/26.04, ssh.socket): the
// unit stays `ssh`, an inactive ssh.service is never reloaded (systemctl would fail), and the NOTICE says
// ssh.socket starts it with the new configuration. Run on sf_activate itself, cut from the generated script, with
// a systemctl that records what it is asked (sf_activate acts only with a running systemd, never on a tree).
// (2) harden_sudo's staged sudoers are validated with the visudo that is there, and the NOTICE names it and
// which implementation it is (sudo-rs' visudo reports 0.x): on a Raspberry Pi OS trixie directory host whose
// first user cloud-init made (90-cloud-init-users), with stand-in visudos on PATH.
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { profileById } from '../../src/profiles/index.js';
import { CLOUD_INIT_SUDOERS } from '../../src/render/sudoers.js';
import { render, settings, stock, withFiles } from '../helpers/render.js';
import { makeTree, put, runScript, type Tree } from './tree.js';

/** The shell functions `names` of a script (each `name() {` … `}` at the start of a line). */
function functions(script: string, names: string[]): string {
  return names
    .map((n) => {
      const m = new RegExp(`^${n}\\(\\) \\{[^\\n]*\\n(?:[\\s\\S]*?\\n)?\\}\\n|^${n}\\(\\) \\{.*\\}$`, 'm').exec(script);
      if (!m) throw new Error(`no function ${n} in the script`);
      return m[0];
    })
    .join('\n');
}

describe('socket-activated ssh', () => {
  let t: Tree;
  beforeEach(async () => {
    t = await makeTree();
  });
  afterEach(() => t.cleanup());

  for (const os of ['ubuntu-24.04', 'ubuntu-26.04'] as const) {
    test(`${os}: the generator passes ssh.socket; the unit is ssh, never sshd.service`, async () => {
      const { script } = await render(os);
      expect(profileById(os).sshd.socket).toBe('ssh.socket');
      expect(script).toMatch(/^SF_SSHD_SERVICE='ssh'$/m);
      expect(script).toMatch(/^SF_SSHD_SOCKET='ssh\.socket'$/m);
      expect(script).not.toMatch(/systemctl [^\n#]*sshd(\.service)?\b/);
    });
  }

  test('debian-12 (no socket activation) gets an empty SF_SSHD_SOCKET', async () => {
    expect((await render('debian-12')).script).toMatch(/^SF_SSHD_SOCKET=''$/m);
  });

  /** sf_activate of the generated ubuntu-24.04 script with the given units active and these roles written. */
  async function activate(o: { service: boolean; socket: boolean; roles: string[] }): Promise<{ code: number | null; out: string; calls: string[] }> {
    const { script } = await render('ubuntu-24.04');
    const vars = script.split('\n').filter((l) => /^SF_(SSHD_SERVICE|SSHD_SOCKET|CACHE_STNSD)=/.test(l));
    const bin = path.join(t.dir, 'fake-bin');
    await mkdir(bin, { recursive: true });
    const log = path.join(t.dir, 'systemctl.log');
    await writeFile(
      path.join(bin, 'systemctl'),
      `#!/bin/sh\necho "$*" >>'${log}'\ncase "$*" in\n*is-active*ssh.socket) [ "$SOCKET" = 1 ] ;;\n*is-active*ssh) [ "$SERVICE" = 1 ] ;;\nreload\\ ssh) [ "$SERVICE" = 1 ] || { echo "ssh.service is not active, cannot reload." >&2; exit 1; } ;;\n*) exit 0 ;;\nesac\n`,
      { mode: 0o755 },
    );
    const w = path.join(t.dir, 'w');
    await mkdir(w, { recursive: true });
    await writeFile(path.join(w, 'written'), o.roles.map((r, i) => `${i + 1} ${r}\n`).join(''));
    const body = [
      ...vars,
      `W='${w}'`,
      'R=""',
      'SF_CHANGED_PKGS=0',
      functions(script, ['sf_say', 'sf_line', 'sf_has_role', 'sf_role_changed', 'sf_sshd_socket_active', 'sf_activate', 'sf_reactivate_old']),
      // A running systemd, and what sf_activate calls that is not under test here.
      'sf_systemd() { true; }',
      'sf_phase() { :; }',
      'sf_stns_refresh() { :; }',
      'sf_cache_stnsd_restart() { :; }',
      'sleep() { :; }',
      'sf_fail() { echo "FAIL $*"; exit "$1"; }',
      'sf_activate',
      'echo ACTIVATED',
    ].join('\n');
    const r = spawnSync('/bin/sh', ['-c', body], { env: { PATH: `${bin}:/usr/bin:/bin`, SERVICE: o.service ? '1' : '0', SOCKET: o.socket ? '1' : '0' }, encoding: 'utf8' });
    const calls = (await readFile(log, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean);
    return { code: r.status, out: r.stdout + r.stderr, calls };
  }

  test('inactive ssh.service behind an active ssh.socket: not reloaded, and the NOTICE says the socket starts it', async () => {
    const r = await activate({ service: false, socket: true, roles: ['sshd'] });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain(
      'STNS_FLEET_NOTICE ssh.service is inactive (socket-activated): not reloaded; ssh.socket starts it with the new configuration at the next connection',
    );
    expect(r.out).toContain('ACTIVATED');
    expect(r.calls.filter((c) => /^(reload|restart|start)\b/.test(c))).toEqual([]);
    expect(r.calls.join('\n')).not.toMatch(/sshd/);
  });

  test('a new ssh unit drop-in with ssh.service inactive: daemon-reload only, no restart', async () => {
    const r = await activate({ service: false, socket: true, roles: ['sshd-unit'] });
    expect(r.code, r.out).toBe(0);
    expect(r.calls).toContain('daemon-reload');
    expect(r.calls.filter((c) => /^(reload|restart|start)\b/.test(c))).toEqual([]);
    expect(r.out).toMatch(/ssh\.socket starts it with the new configuration/);
  });

  test('an active ssh.service is reloaded as unit ssh', async () => {
    const r = await activate({ service: true, socket: true, roles: ['sshd'] });
    expect(r.code, r.out).toBe(0);
    expect(r.calls).toContain('reload ssh');
    expect(r.out).not.toContain('NOTICE');
  });

  test('neither the service nor the socket active: the old NOTICE, nothing reloaded', async () => {
    const r = await activate({ service: false, socket: false, roles: ['sshd'] });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('STNS_FLEET_NOTICE ssh is not running: not reloaded');
    expect(r.calls.filter((c) => /^(reload|restart|start)\b/.test(c))).toEqual([]);
  });
});

describe('visudo names itself', () => {
  let t: Tree;
  beforeEach(async () => {
    t = await makeTree();
  });
  afterEach(() => t.cleanup());

  const CLOUD_INIT = '# Created by cloud-init v. 25.1.4 on Mon, 05 Jan 2026 09:00:00 +0000\n\n# User rules for maker\nmaker ALL=(ALL) NOPASSWD:ALL\n';

  /** A trixie board's tree (stock files + cloud-init's sudoers file) and the harden_sudo script for it. */
  async function trixieScript(): Promise<string> {
    const p = profileById('raspberry-pi-os');
    const { cpSync } = await import('node:fs');
    const { STOCK_DIR } = await import('../../src/render/stock.js');
    for (const layer of p.stockLayers('arm64', 'trixie')) cpSync(path.join(STOCK_DIR, layer), t.root, { recursive: true, force: true });
    await put(t.root, CLOUD_INIT_SUDOERS, CLOUD_INIT, 0o440);
    await put(t.root, '/proc/device-tree/model', 'Raspberry Pi 4 Model B Rev 1.5\0');
    const s = await stock('raspberry-pi-os', 'arm64', 'trixie');
    const r = await render('raspberry-pi-os', {
      arch: 'arm64',
      variant: 'trixie',
      snapshot: withFiles(s.snapshot, { [CLOUD_INIT_SUDOERS]: CLOUD_INIT }),
      settings: settings({}, { hardenSudo: true }),
    });
    expect(r.plan.changes.map((c) => c.file.path)).toContain(CLOUD_INIT_SUDOERS);
    return r.script;
  }

  async function visudoStandin(version: string): Promise<string> {
    const bin = path.join(t.dir, `visudo-${version}`);
    await mkdir(bin, { recursive: true });
    const v = path.join(bin, 'visudo');
    // Checks like visudo -c -f FILE: accepts a file whose rules are commented out or absent; reports -V.
    await writeFile(v, `#!/bin/sh\ncase "$1" in -V) echo "visudo version ${version}"; echo "visudo grammar version 52"; exit 0 ;; esac\nexit 0\n`, { mode: 0o755 });
    return bin;
  }

  for (const [version, impl] of [
    ['0.2.13', 'sudo-rs 0.2.13'],
    ['1.9.16p2', 'sudo 1.9.16p2'],
  ] as const) {
    test(`visudo ${version}: "sudoers validated with …/visudo (${impl})"`, async () => {
      const script = await trixieScript();
      const bin = await visudoStandin(version);
      const e = await runScript(t, script, { PATH: `${bin}:${t.env.PATH}` });
      expect(e.code, e.stdout + e.stderr).toBe(0);
      expect(e.stdout).toContain(`STNS_FLEET_NOTICE sudoers validated with ${bin}/visudo (${impl})`);
      expect(await readFile(path.join(t.root, CLOUD_INIT_SUDOERS), 'utf8')).toMatch(/^# disabled by stns-fleet \(harden_sudo\): maker ALL=\(ALL\) NOPASSWD:ALL$/m);
    });
  }
});
