import { debianFamilyProfile } from './debian-family.js';

export const debian11 = debianFamilyProfile({ osId: 'debian', version: '11', codename: 'bullseye', openssh: '8.4p1', name: 'Debian' });
export const debian12 = debianFamilyProfile({ osId: 'debian', version: '12', codename: 'bookworm', openssh: '9.2p1', name: 'Debian' });
// Debian 13: OpenSSH 10.0 (sshd, sshd-session, sshd-auth); ssh.service without -o options; the same Include at the
// top of sshd_config. No STNS trixie repository: the bookworm one (src/profiles/package-releases.ts).
export const debian13 = debianFamilyProfile({ osId: 'debian', version: '13', codename: 'trixie', openssh: '10.0p1', name: 'Debian' });
