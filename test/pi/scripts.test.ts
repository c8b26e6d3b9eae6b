// The Raspberry Pi host scripts on directory trees (STNS_FLEET_ROOT, as the lab runs them) with this machine's
// /bin/sh and openssl: shellcheck of everything we generate, the identity script's output read back by its
// parser, and the re-register script's check (sealed activation, wrong ID, busy) and full run.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { newRunKey, sealKind } from '../../src/host-script/seal.js';
import { identityScript, parseIdentity, PI_IDENTITY_LIB, type BoardIdentity } from '../../src/pi/identity-script.js';
import { firstbootUnit, imagePrepScript, PI_FIRSTBOOT_LIB, PI_IMAGE_PREP_LIB } from '../../src/pi/image-prep.js';
import { parseReregisterOutput, PI_REREGISTER_LIB, reregisterScript, workerOf } from '../../src/pi/reregister-script.js';
import { loadTemplates, type Templates } from '../../src/render/templates.js';
import { newSealPair } from './fake-fleet.js';
import { agentLog, installStandins, MAC, OLD_ID, OLD_MACHINE_ID, runOnTree, seedBoard, SERIAL, shellcheck, statusOf, VAULT_KEY, waitFor } from './board.js';

let t: Templates;
beforeAll(async () => {
  t = await loadTemplates(undefined, [PI_IDENTITY_LIB, PI_REREGISTER_LIB, PI_IMAGE_PREP_LIB, PI_FIRSTBOOT_LIB]);
});

const CODE = 'Ab12Cd34Ef56Gh78Ij90Kl';
const PARAMS = { activationId: '8f14e45f-ceea-4672-a9c5-2c1e3e9d7a01', activationCode: CODE, region: 'ap-northeast-1' };

function rereg(recipients: string[], o: { oldId?: string; machine?: boolean; keys?: boolean } = {}): string {
  return reregisterScript(t, { oldId: o.oldId ?? OLD_ID, newMachineId: o.machine ?? true, newHostKeys: o.keys ?? true, recipients, delaySeconds: 0 }, PARAMS);
}

describe('shellcheck', () => {
  test('every script stns-fleet generates for a Pi is clean (POSIX sh)', () => {
    const seal = newSealPair();
    const script = rereg([seal.publicDer]);
    const prep = imagePrepScript(t);
    for (const [name, text] of [
      ['pi-identity', identityScript(t)],
      ['pi-reregister launcher', script],
      ['pi-reregister worker', workerOf(script)],
      ['pi-image-prep', prep],
      ['pi-firstboot', t.data(PI_FIRSTBOOT_LIB).toString('utf8')],
    ] as const) {
      const r = shellcheck(text, name);
      expect(r.out, name).toBe('');
      expect(r.code, name).toBe(0);
    }
  });

  test('the first-boot unit runs before the agent, after the network, only when there is something to do', () => {
    const u = firstbootUnit();
    expect(u).toMatch(/^Before=amazon-ssm-agent\.service$/m);
    expect(u).toMatch(/^After=network-online\.target$/m);
    expect(u).toMatch(/^ConditionPathExists=\|\/boot\/firmware\/ssm-activation$/m);
    expect(u).toMatch(/^ConditionPathExists=\|\/boot\/ssm-activation$/m);
    expect(u).toMatch(/^ExecStart=\/usr\/local\/sbin\/stns-fleet-firstboot$/m);
    expect(u).toMatch(/^WantedBy=multi-user\.target$/m);
  });
});

describe('the re-register script as text', () => {
  test('carries the activation sealed: no code, no activation ID in clear; a fresh run key each time', () => {
    const seal = newSealPair();
    const a = rereg([seal.publicDer]);
    const b = rereg([seal.publicDer]);
    for (const s of [a, b]) {
      expect(s).not.toContain(CODE);
      expect(s).not.toContain(PARAMS.activationId);
      expect(s).toContain(`SF_OLD_ID='${OLD_ID}'`);
    }
    expect(a).not.toBe(b);
  });

  test('refuses to build without a seal key, or with a malformed activation', () => {
    expect(() => rereg([])).toThrow(/no seal key/);
    expect(() => reregisterScript(t, { oldId: OLD_ID, newMachineId: true, newHostKeys: true, recipients: ['x'] }, { ...PARAMS, activationCode: 'short' })).toThrow(/malformed/);
    expect(() => reregisterScript(t, { oldId: 'i-0123', newMachineId: true, newHostKeys: true, recipients: ['x'] }, PARAMS)).toThrow(/managed node/);
  });
});

describe('on a directory tree', () => {
  let root: string;
  let bin: string;
  beforeEach(async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sf-pi-'));
    root = path.join(dir, 'root');
    bin = path.join(root, 'usr/bin');
    await seedBoard(root);
    await installStandins(root);
    await mkdir(path.join(root, 'etc/ssh'), { recursive: true });
    await writeFile(path.join(root, 'etc/ssh/ssh_host_ed25519_key'), 'OLD PRIVATE HOST KEY\n', { mode: 0o600 });
    await writeFile(path.join(root, 'etc/ssh/ssh_host_ed25519_key.pub'), 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOLDOLDOLDOLDOLDOLDOLDOLDOLDOLDOLDOLDOLDOLD old\n');
  });
  afterEach(async () => {
    await rm(path.dirname(root), { recursive: true, force: true });
  });

  async function identity(): Promise<BoardIdentity> {
    const r = await runOnTree(identityScript(t), root, { env: { AWS_SSM_INSTANCE_ID: OLD_ID } });
    expect(r.code).toBe(0);
    const i = parseIdentity(r.stdout);
    if ('error' in i) throw new Error(`${i.error}\n${r.stdout}${r.stderr}`);
    return i;
  }

  test('the identity script reads the board from the tree and makes (once) the seal key it reports', async () => {
    const i = await identity();
    expect(i).toMatchObject({
      serial: SERIAL,
      model: 'Raspberry Pi 4 Model B Rev 1.5',
      machineId: OLD_MACHINE_ID,
      hostname: 'raspberrypi',
      bootId: '3f1e2d3c-1111-2222-3333-444455556666',
      macs: [{ iface: 'eth0', mac: MAC }],
      ips: ['192.168.1.20', '2001:0db8:0000:0000:0000:0000:0000:0020'],
      managedId: OLD_ID,
      registrationFileId: OLD_ID,
      region: 'ap-northeast-1',
      commandTarget: OLD_ID,
    });
    expect(i.hostKey).toBeTruthy();
    expect(sealKind(i.sealKey!)).toBe('x25519'); // this machine's openssl has it
    const key = await readFile(path.join(root, 'var/lib/stns-fleet/seal.key'));
    const again = await identity();
    expect(again.sealKey).toBe(i.sealKey);
    expect(await readFile(path.join(root, 'var/lib/stns-fleet/seal.key'))).toEqual(key);
    // never the agent's private key
    const raw = (await runOnTree(identityScript(t), root)).stdout;
    expect(raw).not.toContain('OLD-PRIVATE-KEY');
  });

  test('the serial comes from the device tree when /proc/cpuinfo has none (64-bit kernels on some boards)', async () => {
    await writeFile(path.join(root, 'proc/cpuinfo'), 'processor\t: 0\nBogoMIPS\t: 108.00\n');
    await mkdir(path.join(root, 'sys/firmware/devicetree/base'), { recursive: true });
    await writeFile(path.join(root, 'sys/firmware/devicetree/base/serial-number'), '10000000deadbeef\0');
    expect((await identity()).serial).toBe('10000000deadbeef');
  });

  test('re-register: a board whose seal key is not among the recipients refuses and changes nothing', async () => {
    await identity(); // makes the board's seal key
    const other = newSealPair();
    const before = await readFile(path.join(root, VAULT_KEY), 'utf8');
    const r = await runOnTree(rereg([other.publicDer]), root, { path: bin });
    expect(r.code).toBe(11);
    expect(parseReregisterOutput(r.stdout)).toMatchObject({ kind: 'refused', word: 'seal' });
    expect(await readFile(path.join(root, VAULT_KEY), 'utf8')).toBe(before);
    expect(existsSync(path.join(root, 'var/lib/stns-fleet/pi-reregister.status'))).toBe(false);
    expect(await agentLog(root)).toEqual([]);
  });

  test('re-register: a board that no longer holds the old ID refuses (a stale script)', async () => {
    const i = await identity();
    const r = await runOnTree(rereg([i.sealKey!], { oldId: 'mi-0fedcba9876543210' }), root, { path: bin });
    expect(r.code).toBe(12);
    expect(parseReregisterOutput(r.stdout)).toMatchObject({ kind: 'refused', word: 'wrong-id' });
  });

  test('re-register: a move already under way refuses as busy', async () => {
    const i = await identity();
    await writeFile(path.join(root, 'var/lib/stns-fleet/pi-reregister.status'), `state=running\nold=${OLD_ID}\ntime=${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}\n`);
    const r = await runOnTree(rereg([i.sealKey!]), root, { path: bin });
    expect(r.code).toBe(13);
    expect(parseReregisterOutput(r.stdout)).toMatchObject({ kind: 'refused', word: 'busy' });
  });

  test('re-register under STNS_FLEET_ROOT: accepted with the board\'s serial, detached, then registered under a new ID', async () => {
    const i = await identity();
    const seal = await readFile(path.join(root, 'var/lib/stns-fleet/seal.key'));
    const r = await runOnTree(rereg([newSealPair().publicDer, i.sealKey!]), root, { path: bin });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const ans = parseReregisterOutput(r.stdout);
    expect(ans).toEqual({ kind: 'accepted', fields: { serial: SERIAL, mac: MAC, boot: '3f1e2d3c-1111-2222-3333-444455556666' }, detached: 'setsid' });
    const st = statusOf(await waitFor(() => readFile(path.join(root, 'var/lib/stns-fleet/pi-reregister.status'), 'utf8'), (s) => /^state=(done|failed)$/m.test(s)));
    expect(st).toMatchObject({ state: 'done', old: OLD_ID, machine_id: 'changed', host_keys: 'changed' });
    expect(st['new']).toMatch(/^mi-[0-9a-f]{17}$/);
    const after = await identity();
    expect(after.managedId).toBe(st['new']);
    expect(after.machineId).toMatch(/^[0-9a-f]{32}$/);
    expect(after.machineId).not.toBe(OLD_MACHINE_ID);
    expect(await readFile(path.join(root, 'var/lib/stns-fleet/seal.key'))).toEqual(seal);
    expect(await readFile(path.join(root, 'etc/ssh/ssh_host_ed25519_key'), 'utf8')).not.toContain('OLD PRIVATE HOST KEY');
    const log = await agentLog(root);
    expect(log.filter((l) => l.startsWith('call'))).toEqual(['call -register -clear', `call -register -code -id ${PARAMS.activationId} -region ap-northeast-1 -y`]);
    expect(log).toContain(`code-at-register ${CODE}`);
    expect(log).toContain(`machine-id-at-register ${after.machineId}`); // changed BEFORE registering
    const workerLog = await readFile(path.join(root, 'var/lib/stns-fleet/pi-reregister.log'), 'utf8');
    expect(workerLog).toContain('registering with code (sensitive)');
    expect(workerLog).not.toContain(CODE);
    expect(r.stdout + r.stderr).not.toContain(CODE);
  });
});
