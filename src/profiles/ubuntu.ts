// The ec2-instance-connect package on Ubuntu wires its keys command through a systemd drop-in for
// ssh.service; the sshd strategy finds it there. Since 22.10 ssh is socket-activated by default (ssh.socket
// starts ssh.service); the unit stns-fleet manages is still `ssh` (26.04 has no sshd.service alias).
import { debianFamilyProfile } from './debian-family.js';

export const ubuntu2004 = debianFamilyProfile({ osId: 'ubuntu', version: '20.04', codename: 'focal', openssh: '8.2p1', name: 'Ubuntu' });
export const ubuntu2204 = debianFamilyProfile({ osId: 'ubuntu', version: '22.04', codename: 'jammy', openssh: '8.9p1', name: 'Ubuntu' });
export const ubuntu2404 = debianFamilyProfile({ osId: 'ubuntu', version: '24.04', codename: 'noble', openssh: '9.6p1', name: 'Ubuntu', socket: 'ssh.socket' });
// Ubuntu 26.04 LTS: OpenSSH 10.2, sudo-rs as the default sudo; no STNS resolute repository: the noble one.
export const ubuntu2604 = debianFamilyProfile({
  osId: 'ubuntu',
  version: '26.04',
  codename: 'resolute',
  openssh: '10.2p1',
  name: 'Ubuntu',
  socket: 'ssh.socket',
  sudo: 'sudo-rs',
});
