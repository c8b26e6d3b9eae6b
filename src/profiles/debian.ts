import { debianFamilyProfile } from './debian-family.js';

export const debian11 = debianFamilyProfile({ osId: 'debian', version: '11', codename: 'bullseye', openssh: '8.4p1', name: 'Debian' });
export const debian12 = debianFamilyProfile({ osId: 'debian', version: '12', codename: 'bookworm', openssh: '9.2p1', name: 'Debian' });
