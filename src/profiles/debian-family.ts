// Shared pieces of the Debian-family profiles (Debian, Ubuntu, Raspberry Pi OS): same PAM layout, same
// apt repository shape, sshd service `ssh`.
import type { OsProfileId } from './ids.js';
import { aptRelease } from './package-releases.js';
import type { Arch, HostIdentity, OsProfile, PackageSource } from './types.js';

/** Architectures the STNS apt repository builds (STNS/package assets/conf/distributions). */
const STNS_APT_ARCHES: readonly Arch[] = ['amd64', 'arm64'];

export const debianPam: OsProfile['pam'] = {
  file: '/etc/pam.d/sshd',
  // Debian's own pam-auth-update profile for mkhomedir uses `optional`: a failure to create a home
  // directory must not lock a user out.
  control: 'optional',
  after: [/^@include\s+common-session\s*$/, /^session\s+/],
  alsoCheck: ['/etc/pam.d/common-session'],
};

/** The programs of OpenSSH's daemon: split into sshd-session at 9.8 and into sshd-auth at 10.0. */
export function sshdPrograms(openssh: string): string[] {
  const [major = 0, minor = 0] = openssh.split(/[.p]/).map(Number);
  if (major >= 10) return ['sshd', 'sshd-session', 'sshd-auth'];
  if (major === 9 && minor >= 8) return ['sshd', 'sshd-session'];
  return ['sshd'];
}

/** The STNS apt repository for a host of release `codename` (mapped when upstream builds none, or as the
 * inventory says); armhf and other architectures have no packages there at all. */
export function aptSource(codename: string) {
  return (identity: HostIdentity, override?: string): PackageSource | { unsupported: string } => {
    if (!STNS_APT_ARCHES.includes(identity.arch)) {
      return {
        unsupported:
          `the STNS apt repository builds amd64 and arm64 only; this host is ${identity.arch}. ` +
          'Install libnss-stns-v2 on it yourself (build from source) and stns-fleet will configure it.',
      };
    }
    const r = aptRelease(codename, override);
    if ('unsupported' in r) return r;
    return { manager: 'apt', suite: 'stns', component: r.release, pathPrefix: r.release, release: r.release, ...(r.note ? { note: r.note } : {}) };
  };
}

function osIs(identity: HostIdentity, id: string, version: string): boolean {
  return identity.osRelease['ID'] === id && identity.osRelease['VERSION_ID'] === version;
}

/** A Debian or Ubuntu release: detected by os-release ID and VERSION_ID (a Raspberry Pi is not Debian here). */
export function debianFamilyProfile(o: {
  osId: 'debian' | 'ubuntu';
  name: string;
  version: string;
  codename: string;
  openssh: string;
  socket?: string;
  sudo?: OsProfile['sudo'];
  notes?: string[];
}): OsProfile {
  const id = `${o.osId}-${o.version}` as OsProfileId;
  return {
    id,
    label: `${o.name} ${o.version} (${o.codename})`,
    family: 'debian',
    stockLayers: () => [id],
    stockVariants: [{ id: o.codename, description: `${o.name} ${o.version} stock files`, layers: () => [id] }],
    matches: (h) => osIs(h, o.osId, o.version) && !h.raspberryPi,
    defaultArch: 'amd64',
    sshd: { service: 'ssh', openssh: o.openssh, programs: sshdPrograms(o.openssh), ...(o.socket ? { socket: o.socket } : {}) },
    sudo: o.sudo ?? 'sudo',
    notes: o.notes ?? [],
    pam: debianPam,
    packageSource: aptSource(o.codename),
    eicCommands: ['/usr/share/ec2-instance-connect/eic_run_authorized_keys'],
  };
}
