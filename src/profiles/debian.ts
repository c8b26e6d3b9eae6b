import { aptSource, debianPam, osIs } from './debian-family.js';
import type { OsProfile } from './types.js';

function debian(version: '11' | '12', codename: string, openssh: string): OsProfile {
  return {
    id: `debian-${version}`,
    label: `Debian ${version} (${codename})`,
    family: 'debian',
    stockLayers: () => [`debian-${version}`],
    matches: (h) => osIs(h, 'debian', version) && !h.raspberryPi,
    defaultArch: 'amd64',
    sshd: { service: 'ssh', openssh },
    pam: debianPam,
    packageSource: aptSource(codename),
    eicCommands: ['/usr/share/ec2-instance-connect/eic_run_authorized_keys'],
  };
}

export const debian11 = debian('11', 'bullseye', '8.4p1');
export const debian12 = debian('12', 'bookworm', '9.2p1');
