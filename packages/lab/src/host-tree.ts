// A directory host's files. Each host is a directory laid out like /, seeded from its OS profile's stock files
// (every layer of profile.stockLayers(arch, host.variant)), plus what a booted machine has and the stock files lack:
// /etc/passwd, /etc/group, /etc/hostname, a package database for the stand-ins, and for a Raspberry Pi the
// device-tree model and the SSM agent's registration. Lab bookkeeping lives under /var/lib/stns-fleet-lab/.
//
// Formats shared with the stand-ins in lab-bin/ (keep both sides in step):
//   var/lib/stns-fleet-lab/host.env     LAB_* shell assignments (URL, host key, family, arch, fault, node, bin)
//   var/lib/stns-fleet-lab/installed    "package version" per line
//   var/lib/stns-fleet-lab/agent        "running <epoch ms>" or "stopped <epoch ms>": the SSM agent's state
//   var/lib/amazon/ssm/Vault/Store/RegistrationKey   JSON {InstanceID, Region, …}: the node's identity
//   var/lib/amazon/ssm/Vault/Store/InstanceFingerprint  JSON {fingerprint, hardwareHash: {"machine-id": sha256
//                                       hex of /etc/machine-id}, similarityThreshold}: the agent's hardware
//                                       fingerprint, written when it registers (the lab checks only machine-id)
//   var/lib/amazon/ssm/registration     JSON {ManagedInstanceID, Region}: informational, as on a real Pi
import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseOsRelease, profileById, STOCK_DIR } from 'stns-fleet';
import { seedChrootTree } from './chroot-hosts.js';
import type { LabHost } from './hosts.js';

export const LAB_STATE = 'var/lib/stns-fleet-lab';
export const VAULT_KEY = 'var/lib/amazon/ssm/Vault/Store/RegistrationKey';
export const REGISTRATION = 'var/lib/amazon/ssm/registration';
export const FINGERPRINT = 'var/lib/amazon/ssm/Vault/Store/InstanceFingerprint';
const PI_MODEL = 'Raspberry Pi 4 Model B Rev 1.5';

export interface TreeContext {
  labUrl: string;
  region: string;
  nodePath: string;
  labBin: string;
  /** When a board's agent was started (clones start after the board they copy). */
  startedAt: number;
  /** For chroot hosts: the cached rootfs and the dummy STNS packages to install in each copy. */
  chroot?: { rootfs: string; debs: string[] };
}

function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function loginUser(h: LabHost): { name: string; home: string } {
  if (h.firstUser) return { name: h.firstUser.name, home: `/home/${h.firstUser.name}` };
  if (h.os.startsWith('amazon-linux')) return { name: 'ec2-user', home: '/home/ec2-user' };
  if (h.os.startsWith('ubuntu')) return { name: 'ubuntu', home: '/home/ubuntu' };
  if (h.os === 'raspberry-pi-os') return { name: 'pi', home: '/home/pi' };
  return { name: 'admin', home: '/home/admin' };
}

function basePackages(h: LabHost): string {
  const ssh = `openssh-server ${profileById(h.os).sshd.openssh}`;
  return h.family === 'debian' ? `${ssh}\nlibc-bin 2\nbase-files 12\n` : `${ssh}\nglibc 2\nsystem-release 2\n`;
}

/** The agent's hardware fingerprint as the lab keeps it: only the machine-id's hash is compared (docs/reference/ssm.md §6). */
export function fingerprintJson(machineId: string, fingerprint: string): string {
  return JSON.stringify({ fingerprint, hardwareHash: { 'machine-id': createHash('sha256').update(machineId.trim()).digest('hex') }, similarityThreshold: 40 });
}

export function registrationJson(id: string, region: string): { vault: string; registration: string } {
  return {
    vault: JSON.stringify({ InstanceID: id, Region: region, PrivateKey: 'lab-placeholder-not-a-key', PrivateKeyType: 'Rsa', PrivateKeyCreatedDate: '2026-01-05T09:00:00Z' }),
    registration: JSON.stringify({ ManagedInstanceID: id, Region: region }),
  };
}

const CLOUD_INIT_SUDOERS_REL = 'etc/sudoers.d/90-cloud-init-users';
const EIC_STANDIN_PATHS = ['/opt/aws/bin/eic_run_authorized_keys', '/usr/share/ec2-instance-connect/eic_run_authorized_keys'];

/** The EIC key commands the seeded sshd configuration (sshd_config, its drop-ins, ssh(d).service drop-ins) names. */
async function eicCommandsNamed(root: string, profileCommands: readonly string[]): Promise<string[]> {
  const files = ['etc/ssh/sshd_config'];
  for (const dir of ['etc/ssh/sshd_config.d', 'usr/lib/systemd/system/ssh.service.d', 'usr/lib/systemd/system/sshd.service.d', 'lib/systemd/system/ssh.service.d']) {
    const names = await readdir(path.join(root, dir)).catch(() => [] as string[]);
    files.push(...names.map((n) => path.join(dir, n)));
  }
  const text = (await Promise.all(files.map((f) => readFile(path.join(root, f), 'utf8').catch(() => '')))).join('\n');
  return [...new Set([...profileCommands, ...EIC_STANDIN_PATHS])].filter((p) => p.endsWith('/eic_run_authorized_keys') && text.includes(p));
}

async function put(root: string, rel: string, content: string | Buffer, mode = 0o644): Promise<void> {
  const p = path.join(root, rel);
  await mkdir(path.dirname(p), { recursive: true, mode: 0o755 });
  await writeFile(p, content, { mode });
}

export function hostEnv(h: LabHost, c: TreeContext): string {
  const vars: Record<string, string> = {
    LAB_URL: c.labUrl,
    LAB_HOST: h.key,
    LAB_FAMILY: h.family,
    LAB_ARCH: h.arch,
    LAB_FAULT: h.fault ?? '',
    LAB_REGION: c.region,
    LAB_NODE: c.nodePath,
    LAB_BIN: c.labBin,
  };
  return Object.entries(vars).map(([k, v]) => `${k}=${shq(v)}\n`).join('');
}

export async function seedHostTree(h: LabHost, c: TreeContext): Promise<void> {
  if (h.chroot) {
    // A real root filesystem: its own passwd, packages and sshd; only its identity is the lab's.
    if (!c.chroot) throw new Error(`${h.key} is a chroot host but the lab has no rootfs`);
    await seedChrootTree(h.dir, c.chroot.rootfs, c.chroot.debs);
  } else {
    await mkdir(h.dir, { recursive: true, mode: 0o755 });
    const profile = profileById(h.os);
    for (const layer of profile.stockLayers(h.arch, h.variant)) {
      await cp(path.join(STOCK_DIR, layer), h.dir, { recursive: true, force: true });
    }
    const user = loginUser(h);
    if (h.firstUser?.cloudInit) {
      // What cloud-init writes for the default user it creates (cc_users_groups, sudo: ALL=(ALL) NOPASSWD:ALL).
      await put(h.dir, CLOUD_INIT_SUDOERS_REL, `# Created by cloud-init v. 25.1.4 on Mon, 05 Jan 2026 09:00:00 +0000\n\n# User rules for ${user.name}\n${user.name} ALL=(ALL) NOPASSWD:ALL\n`, 0o440);
    }
    // EC2 Instance Connect's key command, where the image's sshd configuration runs it (lab-bin stand-in).
    for (const eic of await eicCommandsNamed(h.dir, profile.eicCommands)) {
      await put(h.dir, eic.slice(1), await readFile(path.join(c.labBin, 'eic_run_authorized_keys.sh')), 0o755);
    }
    const uid = 1000;
    await put(h.dir, 'etc/passwd', `root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n${user.name}:x:${uid}:${uid}::${user.home}:/bin/bash\n`);
    await put(h.dir, 'etc/group', `root:x:0:\nnogroup:x:65534:\n${user.name}:x:${uid}:\n`);
    await put(h.dir, `${LAB_STATE}/installed`, basePackages(h));
    await put(h.dir, 'etc/ssh/ssh_host_ed25519_key.pub', `${h.hardware.sshHostKey}\n`);
  }
  await put(h.dir, 'etc/hostname', `${h.computerName}\n`);
  await put(h.dir, 'etc/machine-id', `${h.hardware.machineId}\n`, 0o444);
  await mkdir(path.join(h.dir, 'tmp'), { recursive: true, mode: 0o1777 });
  await mkdir(path.join(h.dir, 'root'), { recursive: true, mode: 0o700 });
  await put(h.dir, `${LAB_STATE}/host.env`, hostEnv(h, c));
  if (h.board) {
    // The kernel's device-tree model: how stns-fleet tells a 64-bit Raspberry Pi OS from plain Debian.
    await put(h.dir, 'proc/device-tree/model', `${PI_MODEL}\0`);
    await boardHardware(h);
    const r = registrationJson(h.board.initialId, c.region);
    await put(h.dir, VAULT_KEY, r.vault, 0o600);
    await put(h.dir, FINGERPRINT, fingerprintJson(h.hardware.machineId, `${h.hardware.machineId.slice(0, 8)}-0000-4000-8000-${h.hardware.machineId.slice(8, 20)}`), 0o600);
    await put(h.dir, REGISTRATION, r.registration);
    await put(h.dir, `${LAB_STATE}/agent`, `running ${c.startedAt}\n`);
  }
}

/** What the kernel shows of a board: cpuinfo (SoC serial), eth0's MAC, the boot ID, the local IPv4 address. */
async function boardHardware(h: LabHost): Promise<void> {
  const hw = h.hardware;
  await put(h.dir, 'proc/cpuinfo', `processor\t: 0\nBogoMIPS\t: 108.00\nHardware\t: BCM2835\nRevision\t: d03115\nSerial\t\t: ${hw.serial}\nModel\t\t: ${PI_MODEL}\n`);
  await put(h.dir, 'sys/class/net/eth0/address', `${hw.mac}\n`);
  await put(h.dir, 'sys/class/net/lo/address', '00:00:00:00:00:00\n');
  await put(h.dir, 'proc/sys/kernel/random/boot_id', `${hw.bootId}\n`);
  await put(
    h.dir,
    'proc/net/fib_trie',
    `Main:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 0.0.0.0\n        /0 universe UNICAST\n     |-- ${h.ip}\n        /32 host LOCAL\n` +
      'Local:\n  +-- 127.0.0.0/8 2 0 2\n     |-- 127.0.0.1\n        /32 host LOCAL\n',
  );
}

/** PlatformName / PlatformVersion as the SSM agent reports them: os-release NAME and VERSION_ID. */
export async function platformOf(h: LabHost): Promise<{ name: string; version: string }> {
  const text = await readFile(path.join(h.dir, 'etc/os-release'), 'utf8').catch(() => '');
  const r = parseOsRelease(text);
  return { name: r['NAME'] ?? 'Linux', version: r['VERSION_ID'] ?? '' };
}

/** The managed-node ID a board's agent authenticates as (its vault), if any. */
export function boardIdentity(h: LabHost): string | undefined {
  try {
    const j = JSON.parse(readFileSync(path.join(h.dir, VAULT_KEY), 'utf8')) as { InstanceID?: unknown };
    return typeof j.InstanceID === 'string' && j.InstanceID !== '' ? j.InstanceID : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether the board's hardware still matches its agent's fingerprint (docs/reference/ssm.md §6): the agent refuses to
 * authenticate (MachineFingerprintDoesNotMatch, then hibernates) when /etc/machine-id (else
 * /var/lib/dbus/machine-id) is not the one it registered with. No fingerprint: the agent makes one at start.
 */
export function fingerprintMatches(h: LabHost): boolean {
  let want: unknown;
  try {
    want = (JSON.parse(readFileSync(path.join(h.dir, FINGERPRINT), 'utf8')) as { hardwareHash?: Record<string, unknown> }).hardwareHash?.['machine-id'];
  } catch {
    return true;
  }
  if (typeof want !== 'string') return true;
  for (const f of ['etc/machine-id', 'var/lib/dbus/machine-id']) {
    try {
      return createHash('sha256').update(readFileSync(path.join(h.dir, f), 'utf8').trim()).digest('hex') === want;
    } catch {
      // try the next one
    }
  }
  return false;
}

/** Whether a board's agent runs, and since when. */
export function agentState(h: LabHost): { running: boolean; since: number } {
  try {
    const [state, since] = readFileSync(path.join(h.dir, LAB_STATE, 'agent'), 'utf8').trim().split(/\s+/);
    return { running: state === 'running', since: Number(since) || 0 };
  } catch {
    return { running: false, since: 0 };
  }
}

/** Starts or stops a board's agent, as `service amazon-ssm-agent start|stop` on it does (lab-bin/services.sh). */
export function setAgentState(h: LabHost, running: boolean, at = Date.now()): void {
  writeFileSync(path.join(h.dir, LAB_STATE, 'agent'), `${running ? 'running' : 'stopped'} ${at}\n`);
}
