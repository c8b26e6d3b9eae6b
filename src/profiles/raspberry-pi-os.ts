// Raspberry Pi OS: 64-bit images say ID=debian (tell them apart by /etc/rpi-issue or the device-tree
// model), 32-bit images say ID=raspbian. STNS builds no armhf packages, so 32-bit boards are unsupported
// unless the packages are already on the image.
//
// One profile for every release (bullseye, bookworm, trixie), reading the release from os-release, rather than
// one per Debian release as for Debian and Ubuntu: a group of boards is a set of devices (pi.names, harden_sudo,
// reactivate) that are reflashed and upgraded over time, so `os: raspberry-pi-os` must stay true across the
// bookworm → trixie move; what differs between the releases is the package repository (from VERSION_CODENAME)
// and image files (010_pi-nopasswd gone, another first user, cloud-init), which are read from each host.
import { aptSource, debianPam, sshdPrograms } from './debian-family.js';
import type { HostIdentity, OsProfile } from './types.js';

const CODENAMES: Record<string, string> = { '11': 'bullseye', '12': 'bookworm', '13': 'trixie' };

function codenameOf(h: HostIdentity): string | undefined {
  const byVersion = CODENAMES[h.osRelease['VERSION_ID'] ?? ''];
  const named = h.osRelease['VERSION_CODENAME'];
  return named !== undefined && Object.values(CODENAMES).includes(named) ? named : byVersion;
}

const bookworm = {
  id: 'bookworm',
  description: 'Raspberry Pi OS 12 (bookworm) image, with 010_pi-nopasswd',
  layers: (arch: string): string[] => (arch === 'armhf' ? ['raspberry-pi-os', 'raspberry-pi-os-32bit'] : ['raspberry-pi-os']),
};
const trixie = {
  id: 'trixie',
  description: 'Raspberry Pi OS 13 (trixie) image, 64-bit: no 010_pi-nopasswd',
  layers: (): string[] => ['raspberry-pi-os-13'],
};

export const raspberryPiOs: OsProfile = {
  id: 'raspberry-pi-os',
  label: 'Raspberry Pi OS (trixie, bookworm, bullseye)',
  family: 'debian',
  // 32-bit images differ from the 64-bit ones in os-release (ID=raspbian); the rest is the same Debian.
  stockVariants: [bookworm, trixie],
  stockLayers: (arch, variant) => (variant === 'trixie' ? trixie.layers() : bookworm.layers(arch)),
  matches: (h) => {
    const id = h.osRelease['ID'];
    const v = h.osRelease['VERSION_ID'] ?? '';
    return v in CODENAMES && (id === 'raspbian' || (id === 'debian' && h.raspberryPi));
  },
  defaultArch: 'arm64',
  // bookworm's; trixie has 10.0p1 (sshd, sshd-session, sshd-auth), which the host's own files show.
  sshd: { service: 'ssh', openssh: '9.2p1', programs: sshdPrograms('9.2p1') },
  sudo: 'sudo',
  notes: [],
  pam: debianPam,
  packageSource: (h, override) => {
    const codename = codenameOf(h);
    if (!codename) return { unsupported: `no STNS packages for Raspberry Pi OS ${h.osRelease['VERSION_ID'] ?? '?'}` };
    return aptSource(codename)(h, override);
  },
  eicCommands: [],
};
