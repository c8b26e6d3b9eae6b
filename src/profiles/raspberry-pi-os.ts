// Raspberry Pi OS: 64-bit images say ID=debian (tell them apart by /etc/rpi-issue or the device-tree
// model), 32-bit images say ID=raspbian. STNS builds no armhf packages, so 32-bit boards are unsupported
// unless the packages are already on the image.
import { aptSource, debianPam } from './debian-family.js';
import type { OsProfile } from './types.js';

const CODENAMES: Record<string, string> = { '11': 'bullseye', '12': 'bookworm' };

export const raspberryPiOs: OsProfile = {
  id: 'raspberry-pi-os',
  label: 'Raspberry Pi OS (bookworm, bullseye)',
  family: 'debian',
  // 32-bit images differ from the 64-bit ones in os-release (ID=raspbian); the rest is the same Debian.
  stockLayers: (arch) => (arch === 'armhf' ? ['raspberry-pi-os', 'raspberry-pi-os-32bit'] : ['raspberry-pi-os']),
  matches: (h) => {
    const id = h.osRelease['ID'];
    const v = h.osRelease['VERSION_ID'] ?? '';
    return v in CODENAMES && (id === 'raspbian' || (id === 'debian' && h.raspberryPi));
  },
  defaultArch: 'arm64',
  sshd: { service: 'ssh', openssh: '9.2p1' },
  pam: debianPam,
  packageSource: (h) => {
    const codename = h.osRelease['VERSION_CODENAME'] ?? CODENAMES[h.osRelease['VERSION_ID'] ?? ''];
    if (!codename || !Object.values(CODENAMES).includes(codename)) {
      return { unsupported: `no STNS packages for Raspberry Pi OS ${h.osRelease['VERSION_ID'] ?? '?'}` };
    }
    return aptSource(codename)(h);
  },
  eicCommands: [],
};
