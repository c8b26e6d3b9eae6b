// The lab's hosts as data: who they are (IDs, tags, OS, role), before any file exists. EC2 hosts (`i-`) take
// the web and db roles and rotate through the OS list; Raspberry Pis (`mi-`, Raspberry Pi OS arm64) come
// last; clones are extra boards made from the first Pi's image. Everything is drawn from the seed.
// Stock variants: every second Amazon Linux 2023 instance is the minimal AMI (no EC2 Instance Connect), the
// others the standard one; every second Pi is a trixie (Raspberry Pi OS 13) board, and every other trixie
// board has a first user made by cloud-init (not `pi`, with 90-cloud-init-users), so harden_sudo meets both.
import path from 'node:path';
import { profileById, type Arch, type OsProfileId } from 'stns-fleet';
import { assignFaults, type HostFault } from './faults.js';
import type { ResolvedOptions } from './options.js';
import { Rng } from './random.js';

export type Role = 'web' | 'db' | 'pi';

export interface Ec2Instance {
  instanceId: string;
  imageId: string;
  reservationId: string;
  instanceType: string;
  launchTime: Date;
  state: 'running' | 'stopped';
  availabilityZone: string;
  privateIp: string;
  privateDnsName: string;
  /** EC2 tags (what DescribeInstances shows and SSM tag targets match for `i-` hosts). */
  tags: Map<string, string>;
}

/** What identifies a machine beyond its files: cloned SD cards share the first two, never the rest. */
export interface Hardware {
  machineId: string;
  sshHostKey: string;
  /** Raspberry Pi boards: SoC serial, MAC of eth0, this boot's ID. */
  serial?: string;
  mac?: string;
  bootId?: string;
}

export interface LabHost {
  /** The lab's own name for the host, also its Name tag: lab-001, lab-002, … */
  key: string;
  role: Role;
  os: OsProfileId;
  arch: Arch;
  /** The profile's stock tree seeded (an id of profile.stockVariants; undefined: the default, the first). */
  variant?: string;
  /** The image's first user (uid 1000): the OS's default one, or the one the imager made (trixie boards).
   * `cloudInit`: cloud-init made it, with its NOPASSWD rule in /etc/sudoers.d/90-cloud-init-users. */
  firstUser?: { name: string; cloudInit?: boolean };
  family: 'debian' | 'rhel';
  /** The host's tree: a directory laid out like / (STNS_FLEET_ROOT of its commands). */
  dir: string;
  fault: HostFault | undefined;
  /** How long a `slow` host takes to pick a command up. */
  slowDelayMs: number;
  ip: string;
  computerName: string;
  ec2?: Ec2Instance;
  /** A model host (model-hosts.ts): `dir` is only its name (nothing is made there); its commands are answered
   * by the lab's model from what they did on the tree of the state the host is in. */
  model?: boolean;
  /** A chroot host: a copy of the cached Debian 12 rootfs, commands run with chroot (chroot-hosts.ts). */
  chroot?: boolean;
  /** Raspberry Pi boards: the managed-node ID on the image at lab start (a clone carries its original's). */
  board?: { initialId: string; cloneOf?: string };
  hardware: Hardware;
  /** Tags the lab starts with (for Pis they become the managed node's SSM tags). */
  initialTags: Map<string, string>;
}

/** The first user cloud-init makes on the lab's trixie boards (the imager's "username" setting). */
export const PI_CLOUD_INIT_USER = 'maker';

export function hostKey(n: number): string {
  return `lab-${String(n).padStart(3, '0')}`;
}

function ec2Ip(i: number): string {
  return `10.0.${Math.floor(i / 250)}.${(i % 250) + 4}`;
}

export function planHosts(o: ResolvedOptions, hostsDir: string): LabHost[] {
  const ids = new Rng(o.seed, 'ids');
  const slow = new Rng(o.seed, 'slow');
  const hw = new Rng(o.seed, 'hardware');
  const ec2Count = o.hosts - o.pis;
  const faults = assignFaults(o.faults, o.hosts, o.seed, (i, f) => f !== 'stopped' || i < ec2Count);
  const launch = new Date(Date.UTC(2026, 0, 5, 9, 0, 0));
  const zone = `${o.region}a`;
  const dnsSuffix = o.region === 'us-east-1' ? 'ec2.internal' : `${o.region}.compute.internal`;
  const hosts: LabHost[] = [];
  const base = (i: number, role: Role, os: OsProfileId, arch: Arch): LabHost => {
    const key = hostKey(i + 1);
    return {
      key,
      role,
      os,
      arch,
      family: profileById(os).family,
      dir: path.join(hostsDir, key),
      fault: faults[i],
      ...(o.modelHosts ? { model: true } : {}),
      slowDelayMs: slow.int(o.slowDelayMs[0], o.slowDelayMs[1]),
      ip: '',
      computerName: '',
      hardware: { machineId: hw.hex(32), sshHostKey: hw.sshEd25519(`root@${key}`) },
      initialTags: new Map([
        ['Env', 'lab'],
        ['Role', role],
        ['Name', key],
      ]),
    };
  };
  let al2023 = 0;
  for (let i = 0; i < ec2Count; i++) {
    const h = base(i, i % 3 === 2 ? 'db' : 'web', o.os[i % o.os.length]!, 'amd64');
    if (h.os === 'amazon-linux-2023' && al2023++ % 2 === 1) h.variant = 'minimal';
    h.ip = ec2Ip(i);
    h.computerName = `ip-${h.ip.replaceAll('.', '-')}.${dnsSuffix}`;
    h.ec2 = {
      instanceId: `i-${ids.hex(17)}`,
      imageId: `ami-${ids.hex(17)}`,
      reservationId: `r-${ids.hex(17)}`,
      instanceType: h.role === 'db' ? 't3.medium' : 't3.micro',
      launchTime: new Date(launch.getTime() + i * 60_000),
      state: h.fault === 'stopped' ? 'stopped' : 'running',
      availabilityZone: zone,
      privateIp: h.ip,
      privateDnsName: h.computerName,
      tags: new Map(h.initialTags),
    };
    hosts.push(h);
  }
  for (let i = ec2Count; i < o.hosts; i++) {
    const h = base(i, 'pi', 'raspberry-pi-os', 'arm64');
    const j = i - ec2Count;
    if (j % 2 === 1) {
      h.variant = 'trixie';
      if (j % 4 === 1) h.firstUser = { name: PI_CLOUD_INIT_USER, cloudInit: true };
    }
    h.ip = `192.168.50.${(i - ec2Count) % 250 + 10}`;
    h.computerName = h.key;
    h.board = { initialId: `mi-${ids.hex(17)}` };
    h.hardware = { ...h.hardware, serial: `10000000${hw.hex(8)}`, mac: `dc:a6:32:${hw.hex(2)}:${hw.hex(2)}:${hw.hex(2)}`, bootId: hw.uuid() };
    hosts.push(h);
  }
  const first = hosts.find((h) => h.board);
  for (let c = 0; c < o.faults.clones && first; c++) {
    const n = o.hosts + c;
    const h = base(n, 'pi', 'raspberry-pi-os', 'arm64');
    h.fault = undefined;
    h.ip = `192.168.60.${c % 250 + 10}`;
    // A cloned SD card: same hostname, same registration, same tags as the board it was copied from.
    h.computerName = first.computerName;
    h.initialTags = new Map(first.initialTags);
    h.hardware = {
      machineId: first.hardware.machineId,
      sshHostKey: first.hardware.sshHostKey,
      serial: `10000000${hw.hex(8)}`,
      mac: `dc:a6:32:${hw.hex(2)}:${hw.hex(2)}:${hw.hex(2)}`,
      bootId: hw.uuid(),
    };
    h.board = { initialId: first.board!.initialId, cloneOf: first.key };
    if (first.variant) h.variant = first.variant;
    if (first.firstUser) h.firstUser = first.firstUser;
    hosts.push(h);
  }
  for (let c = 0; c < o.chroot; c++) {
    const n = o.hosts + o.faults.clones + c;
    const h = base(n, 'web', 'debian-12', 'amd64');
    h.fault = undefined;
    h.chroot = true;
    h.ip = ec2Ip(n);
    h.computerName = `ip-${h.ip.replaceAll('.', '-')}.${dnsSuffix}`;
    h.ec2 = {
      instanceId: `i-${ids.hex(17)}`,
      imageId: `ami-${ids.hex(17)}`,
      reservationId: `r-${ids.hex(17)}`,
      instanceType: 't3.micro',
      launchTime: new Date(launch.getTime() + n * 60_000),
      state: 'running',
      availabilityZone: zone,
      privateIp: h.ip,
      privateDnsName: h.computerName,
      tags: new Map(h.initialTags),
    };
    hosts.push(h);
  }
  return hosts;
}
