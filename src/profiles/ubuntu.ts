import { aptSource, debianPam, osIs } from './debian-family.js';
import type { OsProfile } from './types.js';

function ubuntu(version: '20.04' | '22.04' | '24.04', codename: string, openssh: string): OsProfile {
  return {
    id: `ubuntu-${version}`,
    label: `Ubuntu ${version} (${codename})`,
    family: 'debian',
    stockLayers: () => [`ubuntu-${version}`],
    matches: (h) => osIs(h, 'ubuntu', version),
    defaultArch: 'amd64',
    sshd: { service: 'ssh', openssh },
    pam: debianPam,
    packageSource: aptSource(codename),
    // The ec2-instance-connect package on Ubuntu wires this through a systemd drop-in for ssh.service.
    eicCommands: ['/usr/share/ec2-instance-connect/eic_run_authorized_keys'],
  };
}

export const ubuntu2004 = ubuntu('20.04', 'focal', '8.2p1');
export const ubuntu2204 = ubuntu('22.04', 'jammy', '8.9p1');
export const ubuntu2404 = ubuntu('24.04', 'noble', '9.6p1');
