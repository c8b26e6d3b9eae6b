/**
 * The re-register, image-prep and first-boot scripts run for real as root in a Debian 12 root filesystem
 * (test/chroot/harness.ts): its dash, coreutils, ssh-keygen and Debian's `service`, with a stand-in
 * amazon-ssm-agent (test/pi/board.ts) that records its calls and writes the registration files as the real
 * agent does. The chroot is amd64 (qemu-user-static would give arm64 but these scripts run no
 * architecture-specific binary besides the agent, which is a stand-in either way). The rootfs has no
 * openssl: this machine's binary is copied in (both are Debian 12, libssl3 is in the rootfs).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile, lstat, readlink, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, expect, test } from 'vitest';
import { identityScript, parseIdentity, PI_IDENTITY_LIB, type BoardIdentity } from '../../src/pi/identity-script.js';
import { checkBackupDir, FIRSTBOOT_SCRIPT, FIRSTBOOT_UNIT, imagePrepScript, parsePrepOutput, PI_FIRSTBOOT_LIB, PI_IMAGE_PREP_LIB, runImagePrep, type PrepResult } from '../../src/pi/image-prep.js';
import { parseReregisterOutput, PI_REREGISTER_LIB, reregisterScript } from '../../src/pi/reregister-script.js';
import { loadTemplates, type Templates } from '../../src/render/templates.js';
import { freshRoot, readFileIn, requireChrootOrSkip, runInChroot, writeFileIn, type FreshRoot } from '../chroot/harness.js';
import { agentLog, installStandins, OLD_ID, OLD_MACHINE_ID, REGISTRATION, seedBoard, SERIAL, statusOf, VAULT_KEY, waitFor } from './board.js';

const describeChroot = requireChrootOrSkip();
let t: Templates;
beforeAll(async () => {
  t = await loadTemplates(undefined, [PI_IDENTITY_LIB, PI_REREGISTER_LIB, PI_IMAGE_PREP_LIB, PI_FIRSTBOOT_LIB]);
});

const CODE = 'Zy98Xw76Vu54Ts32Rq10Po';
const ACTIVATION_ID = '1b4e28ba-2fa1-41d2-883f-0016d3cca427';

async function ensureOpenssl(dir: string): Promise<void> {
  if ((await runInChroot(dir, 'command -v openssl')).code === 0) return;
  const host = spawnSync('sh', ['-c', 'command -v openssl'], { encoding: 'utf8' }).stdout.trim();
  if (!host) throw new Error('this machine has no openssl to copy into the chroot (apt-get install openssl)');
  await copyFile(host, path.join(dir, 'usr/bin/openssl'));
  await chmod(path.join(dir, 'usr/bin/openssl'), 0o755);
  const v = await runInChroot(dir, 'openssl version');
  if (v.code !== 0) throw new Error(`this machine's openssl does not run in the chroot: ${v.stderr}`);
}

describeChroot('Raspberry Pi scripts in a Debian 12 chroot', () => {
  let root: FreshRoot;
  let dir: string;
  beforeEach(async () => {
    root = await freshRoot();
    dir = root.dir;
    await ensureOpenssl(dir);
    await seedBoard(dir);
    await installStandins(dir, { init: true });
    await mkdir(path.join(dir, 'var/lib/dbus'), { recursive: true });
    await rm(path.join(dir, 'var/lib/dbus/machine-id'), { force: true });
    await writeFile(path.join(dir, 'var/lib/dbus/machine-id'), `${OLD_MACHINE_ID}\n`); // a real file, as on older images
  });
  afterEach(async () => {
    await root.cleanup();
  });

  async function identity(): Promise<BoardIdentity> {
    const r = await runInChroot(dir, identityScript(t));
    expect(r.code).toBe(0);
    const i = parseIdentity(r.stdout);
    if ('error' in i) throw new Error(`${i.error}\n${r.stdout}${r.stderr}`);
    return i;
  }

  async function hostKeys(): Promise<Record<string, string>> {
    const names = (await readdir(path.join(dir, 'etc/ssh'))).filter((n) => n.startsWith('ssh_host_')).sort();
    return Object.fromEntries(await Promise.all(names.map(async (n) => [n, await readFile(path.join(dir, 'etc/ssh', n), 'utf8')] as const)));
  }

  const read = (p: string): Promise<string> => readFileIn(dir, p);
  const exists = (p: string): boolean => existsSync(path.join(dir, p));
  const status = async (): Promise<Record<string, string>> =>
    statusOf(await waitFor(() => read('/var/lib/stns-fleet/pi-reregister.status').catch(() => ''), (s) => /^state=(done|failed)$/m.test(s)));
  /** The worker is done when its own file is gone (its last step). */
  const workerGone = async (): Promise<void> => {
    await waitFor(async () => (await readdir(path.join(dir, 'var/lib/stns-fleet'))).filter((n) => n.endsWith('.run')), (l) => l.length === 0);
  };

  function rereg(sealKey: string, code = CODE): string {
    return reregisterScript(t, { oldId: OLD_ID, newMachineId: true, newHostKeys: true, recipients: [sealKey], delaySeconds: 0 }, { activationId: ACTIVATION_ID, activationCode: code, region: 'ap-northeast-1' });
  }

  test('re-register: detaches, stops the agent, clears, new machine-id and host keys, registers anew, starts the agent; the seal key stays', async () => {
    const before = await identity();
    expect(before).toMatchObject({ serial: SERIAL, managedId: OLD_ID, machineId: OLD_MACHINE_ID });
    const keysBefore = await hostKeys();
    expect(Object.keys(keysBefore).length).toBeGreaterThanOrEqual(2);
    const seal = await readFile(path.join(dir, 'var/lib/stns-fleet/seal.key'));

    const r = await runInChroot(dir, rereg(before.sealKey!));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(parseReregisterOutput(r.stdout)).toMatchObject({ kind: 'accepted', fields: { serial: SERIAL }, detached: 'setsid' });
    const st = await status();
    await workerGone();
    expect(st).toMatchObject({ state: 'done', old: OLD_ID, serial: SERIAL, machine_id: 'changed', host_keys: 'changed' });

    // registration: cleared, then new
    const vault = JSON.parse(await read(VAULT_KEY)) as { InstanceID: string; PrivateKey: string };
    expect(vault.InstanceID).toBe(st['new']);
    expect(vault.InstanceID).toMatch(/^mi-[0-9a-f]{17}$/);
    expect(vault.PrivateKey).toBe('NEW-PRIVATE-KEY');
    expect(JSON.parse(await read(REGISTRATION))).toEqual({ ManagedInstanceID: st['new'], Region: 'ap-northeast-1' });
    expect(exists('/root/.aws/credentials')).toBe(false);
    const log = await agentLog(dir);
    const newMachineId = (await read('/etc/machine-id')).trim();
    expect(log).toEqual([
      'service stop',
      'call -register -clear',
      `call -register -code -id ${ACTIVATION_ID} -region ap-northeast-1 -y`,
      `machine-id-at-register ${newMachineId}`, // the new machine-id was in place before registering
      `code-at-register ${CODE}`,
      'service start',
    ]);
    // machine-id: new, valid, read-only; the real D-Bus file follows it
    expect(newMachineId).toMatch(/^[0-9a-f]{32}$/);
    expect(newMachineId).not.toBe(OLD_MACHINE_ID);
    expect((await stat(path.join(dir, 'etc/machine-id'))).mode & 0o777).toBe(0o444);
    expect((await read('/var/lib/dbus/machine-id')).trim()).toBe(newMachineId);
    // host keys: every one regenerated, private keys 0600
    const keysAfter = await hostKeys();
    expect(Object.keys(keysAfter)).toEqual(expect.arrayContaining(Object.keys(keysBefore)));
    for (const [name, content] of Object.entries(keysBefore)) expect(keysAfter[name], name).not.toBe(content);
    expect((await stat(path.join(dir, 'etc/ssh/ssh_host_ed25519_key'))).mode & 0o777).toBe(0o600);
    // the seal key is the board's own and stays (clones share it; the next facts run still opens tokens)
    expect(await readFile(path.join(dir, 'var/lib/stns-fleet/seal.key'))).toEqual(seal);
    // backup: the old machine-id and host keys, but not the old registration key
    const backups = await readdir(path.join(dir, 'var/backups/stns-fleet'));
    expect(backups).toHaveLength(1);
    const b = path.join(dir, 'var/backups/stns-fleet', backups[0]!);
    expect((await readFile(path.join(b, 'etc-machine-id'), 'utf8')).trim()).toBe(OLD_MACHINE_ID);
    expect(await readdir(path.join(b, 'ssh'))).toEqual(Object.keys(keysBefore));
    expect(existsSync(path.join(b, 'Vault'))).toBe(false);
    // the code: never in the output, the status or the worker's log (the agent echoed it: scrubbed)
    const workerLog = await read('/var/lib/stns-fleet/pi-reregister.log');
    expect(workerLog).toContain('registering with code (sensitive)');
    for (const text of [r.stdout, await read('/var/lib/stns-fleet/pi-reregister.status'), workerLog]) expect(text).not.toContain(CODE);
    // and the board now says who it is
    const after = await identity();
    expect(after).toMatchObject({ serial: SERIAL, managedId: st['new'], machineId: newMachineId, sealKey: before.sealKey });
    expect(after.hostKey).not.toBe(before.hostKey);
    expect(after.status).toMatchObject({ state: 'done', new: st['new'] });
  });

  test('re-register with an activation the agent refuses: everything is put back and the agent restarted on the old ID', async () => {
    const before = await identity();
    const keysBefore = await hostKeys();
    const expired = `EXPIRED${CODE}`;
    const r = await runInChroot(dir, rereg(before.sealKey!, expired));
    expect(r.code).toBe(0);
    const st = await status();
    await workerGone();
    expect(st).toMatchObject({ state: 'failed', step: 'register', old: OLD_ID });
    expect(st['reason']).toContain('ActivationExpired');
    expect(st['reason']).not.toContain(expired);
    expect(JSON.parse(await read(VAULT_KEY))).toMatchObject({ InstanceID: OLD_ID, PrivateKey: 'OLD-PRIVATE-KEY' });
    expect(JSON.parse(await read(REGISTRATION))).toMatchObject({ ManagedInstanceID: OLD_ID });
    expect((await read('/etc/machine-id')).trim()).toBe(OLD_MACHINE_ID);
    expect((await read('/var/lib/dbus/machine-id')).trim()).toBe(OLD_MACHINE_ID);
    expect(await hostKeys()).toEqual(keysBefore);
    expect(await read('/root/.aws/credentials')).toContain('aws_session_token');
    const log = await agentLog(dir);
    expect(log[0]).toBe('service stop');
    expect(log.at(-1)).toBe('service start');
    const after = await identity();
    expect(after.managedId).toBe(OLD_ID);
    expect(after.status).toMatchObject({ state: 'failed', step: 'register' });
  });

  async function prepared(r: PrepResult): Promise<void> {
    expect(r.error).toBeUndefined();
    expect(r.code).toBe(0);
    for (const p of ['/var/lib/amazon/ssm/Vault', REGISTRATION, `/var/lib/amazon/ssm/${OLD_ID}`, '/root/.aws/credentials', '/var/lib/dbus/machine-id', '/var/lib/stns-fleet/seal.key']) {
      expect(exists(p), p).toBe(false);
    }
    expect(await read('/etc/machine-id')).toBe('');
    expect(Object.keys(await hostKeys())).toEqual([]);
    expect(await read(FIRSTBOOT_SCRIPT)).toBe(t.data(PI_FIRSTBOOT_LIB).toString('utf8'));
    expect((await stat(path.join(dir, FIRSTBOOT_SCRIPT))).mode & 0o777).toBe(0o755);
    expect(await read(FIRSTBOOT_UNIT)).toContain(`ExecStart=${FIRSTBOOT_SCRIPT}`);
    const link = path.join(dir, 'etc/systemd/system/multi-user.target.wants/stns-fleet-firstboot.service');
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readlink(link)).toBe(FIRSTBOOT_UNIT);
    expect(r.actions.map((a) => `${a.verb} ${a.path}`)).toEqual(
      expect.arrayContaining([
        'removed /var/lib/amazon/ssm/Vault',
        'removed /var/lib/amazon/ssm/registration',
        `removed /var/lib/amazon/ssm/${OLD_ID}`,
        'removed /root/.aws/credentials',
        'emptied /etc/machine-id',
        'removed /var/lib/dbus/machine-id',
        'removed /etc/ssh/ssh_host_ed25519_key',
        'removed /var/lib/stns-fleet/seal.key',
        `installed ${FIRSTBOOT_SCRIPT}`,
        `installed ${FIRSTBOOT_UNIT}`,
      ]),
    );
  }

  test('image-prep on the source Pi (in the chroot): refuses a backup on the card itself, then prepares and backs up to another filesystem; a second run changes nothing', async () => {
    await identity(); // the board has a seal key, like any board stns-fleet has talked to
    const keys = await hostKeys();
    const script = imagePrepScript(t);

    const refused = await runInChroot(dir, script, { args: ['/root/prep-backup'] });
    expect(refused.code).toBe(20);
    expect(parsePrepOutput(refused.code, refused.stdout).error?.message).toContain('copied with the card');
    expect(exists(VAULT_KEY)).toBe(true);

    await mkdir(path.join(dir, 'mnt/usb'), { recursive: true });
    const m = spawnSync('mount', ['-t', 'tmpfs', 'sf-usb', path.join(dir, 'mnt/usb')]);
    expect(m.status).toBe(0);
    const r = await runInChroot(dir, script, { args: ['/mnt/usb'] });
    const res = parsePrepOutput(r.code, r.stdout, r.stderr);
    await prepared(res);
    expect(res.backup).toMatch(/^\/mnt\/usb\/\d{8}T\d{6}Z-\d+$/);
    const b = path.join(dir, res.backup!);
    expect(JSON.parse(await readFile(path.join(b, VAULT_KEY), 'utf8'))).toMatchObject({ InstanceID: OLD_ID });
    expect((await readFile(path.join(b, 'etc/machine-id'), 'utf8')).trim()).toBe(OLD_MACHINE_ID);
    expect(await readFile(path.join(b, 'etc/ssh/ssh_host_ed25519_key'), 'utf8')).toBe(keys['ssh_host_ed25519_key']);
    expect((await readFile(path.join(b, 'MANIFEST'), 'utf8')).split('\n')).toEqual(expect.arrayContaining(['/var/lib/amazon/ssm/Vault', '/etc/machine-id', '/var/lib/stns-fleet/seal.key']));

    const again = parsePrepOutput(...(await runInChroot(dir, script, { args: ['--no-backup'] }).then((x) => [x.code, x.stdout, x.stderr] as const)));
    expect(again.error).toBeUndefined();
    expect(again.actions).toEqual([]);
  });

  test('image-prep --root on the mounted image (from this machine), then the first boot registers from the boot partition and shreds the file', async () => {
    await identity();
    const host = await mkdtemp(path.join(tmpdir(), 'sf-prep-backup-'));
    try {
      expect(() => checkBackupDir(dir, path.join(dir, 'root/backup'))).toThrow(/inside the image/);
      const r = await runImagePrep(imagePrepScript(t), dir, host);
      await prepared(r);
      expect(r.backup?.startsWith(host)).toBe(true);
      expect(JSON.parse(await readFile(path.join(r.backup!, VAULT_KEY), 'utf8'))).toMatchObject({ InstanceID: OLD_ID });
    } finally {
      await rm(host, { recursive: true, force: true });
    }

    // First boot, without a file: host keys are made, nothing is registered.
    const none = await runInChroot(dir, `exec ${FIRSTBOOT_SCRIPT}`);
    expect(none.code).toBe(0);
    expect(none.stdout).toContain('nothing to register');
    expect(Object.keys(await hostKeys())).toEqual(expect.arrayContaining(['ssh_host_ed25519_key', 'ssh_host_ed25519_key.pub', 'ssh_host_rsa_key']));
    expect((await read('/etc/machine-id')).trim()).toMatch(/^[0-9a-f]{32}$/);
    expect(await agentLog(dir)).toEqual([]);

    // A broken file is refused and kept.
    await writeFileIn(dir, '/boot/firmware/ssm-activation', 'code=short\n');
    const bad = await runInChroot(dir, `exec ${FIRSTBOOT_SCRIPT}`);
    expect(bad.code).toBe(1);
    expect(exists('/boot/firmware/ssm-activation')).toBe(true);
    expect(statusOf(await read('/var/lib/stns-fleet/firstboot.status'))).toMatchObject({ state: 'failed', step: 'read' });

    // An activation the agent refuses: kept for the next boot, the code scrubbed from what is recorded.
    await writeFileIn(dir, '/boot/firmware/ssm-activation', `code=EXPIRED${CODE}\r\nid=${ACTIVATION_ID}\r\nregion=ap-northeast-1\r\n`);
    const refused = await runInChroot(dir, `exec ${FIRSTBOOT_SCRIPT}`);
    expect(refused.code).toBe(1);
    expect(exists('/boot/firmware/ssm-activation')).toBe(true);
    const st = await read('/var/lib/stns-fleet/firstboot.status');
    expect(statusOf(st)).toMatchObject({ state: 'failed', step: 'register' });
    expect(st + refused.stdout).not.toContain(CODE);

    // A good one (written on Windows: CRLF): registered, file shredded.
    await writeFileIn(dir, '/boot/firmware/ssm-activation', `code=${CODE}\r\nid=${ACTIVATION_ID}\r\nregion=ap-northeast-1\r\n`);
    const ok = await runInChroot(dir, `exec ${FIRSTBOOT_SCRIPT}`);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(exists('/boot/firmware/ssm-activation')).toBe(false);
    const vault = JSON.parse(await read(VAULT_KEY)) as { InstanceID: string };
    expect(vault.InstanceID).toMatch(/^mi-[0-9a-f]{17}$/);
    expect(statusOf(await read('/var/lib/stns-fleet/firstboot.status'))).toMatchObject({ state: 'done', new: vault.InstanceID });
    expect((await agentLog(dir)).slice(-4)).toEqual(['call -register -clear', `call -register -code -id ${ACTIVATION_ID} -region ap-northeast-1 -y`, expect.stringMatching(/^machine-id-at-register [0-9a-f]{32}$/), `code-at-register ${CODE}`]);
    expect(ok.stdout).not.toContain(CODE);
  });
});
