// The ec2-instance-connect package on Ubuntu wires its keys command through a systemd drop-in for
// ssh.service; the sshd strategy finds it there.
import { debianFamilyProfile } from './debian-family.js';

export const ubuntu2004 = debianFamilyProfile({ osId: 'ubuntu', version: '20.04', codename: 'focal', openssh: '8.2p1', name: 'Ubuntu' });
export const ubuntu2204 = debianFamilyProfile({ osId: 'ubuntu', version: '22.04', codename: 'jammy', openssh: '8.9p1', name: 'Ubuntu' });
export const ubuntu2404 = debianFamilyProfile({ osId: 'ubuntu', version: '24.04', codename: 'noble', openssh: '9.6p1', name: 'Ubuntu' });
