// The lab seeds a host of every OS profile from its stock tree (and the stock variants: AL2023 standard with EC2
// Instance Connect / minimal, Raspberry Pi OS bookworm / trixie, a trixie board whose first user cloud-init
// made), and each one plans with no problem through the real plan over the lab (as test/e2e does). The lab's
// --os takes the inventory's names, raspberry-pi-os included.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { OS_PROFILE_IDS, planCommand, sdkTransport } from 'stns-fleet';
import { labInventoryYaml } from '../src/inventory.js';
import { EC2_PROFILES, LabOptionsError, resolveOptions } from '../src/options.js';
import { capture } from './helpers.js';
import { useLab } from './helpers.js';

describe('--os takes the inventory names', () => {
  test('default: every profile; EC2 hosts rotate through the nine EC2 ones', () => {
    expect(EC2_PROFILES).toHaveLength(9);
    expect(resolveOptions({ hosts: 10 })).toMatchObject({ os: EC2_PROFILES, pis: 1 });
  });
  test('raspberry-pi-os alone: every host is a Pi; with others: at least one', () => {
    expect(resolveOptions({ hosts: 3, os: ['raspberry-pi-os'] })).toMatchObject({ pis: 3 });
    expect(resolveOptions({ hosts: 3, os: ['debian-13', 'raspberry-pi-os'] })).toMatchObject({ pis: 1, os: ['debian-13'] });
    expect(resolveOptions({ hosts: 3, os: ['debian-13'] })).toMatchObject({ pis: 0 });
  });
  test('contradictions are refused', () => {
    expect(() => resolveOptions({ hosts: 3, pis: 0, os: ['raspberry-pi-os', 'debian-12'] })).toThrow(LabOptionsError);
    expect(() => resolveOptions({ hosts: 3, pis: 1, os: ['raspberry-pi-os'] })).toThrow(/name an EC2 OS too/);
    expect(() => resolveOptions({ os: ['debian-14'] })).toThrow(/unknown OS "debian-14"/);
  });
});

describe('every profile seeded from its stock tree plans cleanly', () => {
  // 11 EC2 hosts: the nine EC2 profiles, then amazon-linux-2 and the minimal AL2023; 4 Pis: bookworm, trixie
  // (cloud-init's user), bookworm, trixie (pi).
  const t = useLab({ hosts: 15, pis: 4, os: [...OS_PROFILE_IDS], seed: 'seeding', executionTimeoutMs: 20_000, deliveryTimeoutMs: 10_000 });

  test('the trees: variants, first users, EIC stand-in', () => {
    const seeded = t.lab.hosts.map((h) => `${h.os}${h.variant ? `/${h.variant}` : ''}${h.firstUser ? `@${h.firstUser}` : ''}`);
    expect(seeded).toEqual([
      ...EC2_PROFILES,
      'amazon-linux-2',
      'amazon-linux-2023/minimal',
      'raspberry-pi-os',
      'raspberry-pi-os/trixie@maker',
      'raspberry-pi-os',
      'raspberry-pi-os/trixie',
    ]);
    const by = (s: string) => t.lab.hosts[seeded.indexOf(s)]!;
    const al = by('amazon-linux-2023');
    expect(existsSync(path.join(al.dir, 'etc/ssh/sshd_config.d/60-ec2-instance-connect.conf'))).toBe(true);
    expect(existsSync(path.join(al.dir, 'opt/aws/bin/eic_run_authorized_keys'))).toBe(true);
    const min = by('amazon-linux-2023/minimal');
    expect(existsSync(path.join(min.dir, 'etc/ssh/sshd_config.d/60-ec2-instance-connect.conf'))).toBe(false);
    expect(existsSync(path.join(min.dir, 'opt/aws/bin/eic_run_authorized_keys'))).toBe(false);
    const maker = by('raspberry-pi-os/trixie@maker');
    expect(readFileSync(path.join(maker.dir, 'etc/os-release'), 'utf8')).toMatch(/VERSION_CODENAME=trixie/);
    expect(readFileSync(path.join(maker.dir, 'etc/passwd'), 'utf8')).toMatch(/^maker:x:1000:1000::\/home\/maker:/m);
    expect(readFileSync(path.join(maker.dir, 'etc/sudoers.d/90-cloud-init-users'), 'utf8')).toMatch(/^maker ALL=\(ALL\) NOPASSWD:ALL$/m);
    expect(existsSync(path.join(maker.dir, 'etc/sudoers.d/010_pi-nopasswd'))).toBe(false);
    expect(existsSync(path.join(by('raspberry-pi-os').dir, 'etc/sudoers.d/010_pi-nopasswd'))).toBe(true);
  });

  test('plan: exit 2, every host to change, none with errors or problems (harden_sudo on the boards)', async () => {
    Object.assign(process.env, t.lab.env, { STNS_FLEET_POLL_MS: '100', STNS_FLEET_MAX_POLL_MS: '300' });
    const inv = path.join(t.lab.workDir, 'inventory.yaml');
    writeFileSync(inv, labInventoryYaml({ stnsEndpoint: t.lab.stnsEndpoint, region: t.lab.region, hardenPiSudo: true }));
    const c = capture();
    const code = await planCommand({ inventory: inv, quiet: true }, sdkTransport, c.io);
    const out = c.text();
    expect(code, out.slice(-3000)).toBe(2);
    expect(out).toMatch(/Plan: 15 to change, 0 unchanged, 0 skipped, 0 unreachable, 0 with errors\./);
    expect(out).not.toMatch(/^\s*(error|problem|warning)\b/im);
    for (const os of EC2_PROFILES) expect(out, os).toContain(os);
    expect(out).toContain('/etc/sudoers.d/90-cloud-init-users');
    expect(out).toContain('/etc/sudoers.d/010_pi-nopasswd');
  }, 120_000);
});
