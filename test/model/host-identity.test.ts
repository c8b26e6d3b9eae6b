// A host's identity from its files (src/model/host-identity.ts): os-release from /etc, else /usr/lib; a Raspberry
// Pi by /etc/rpi-issue or the device-tree model; and the architecture names of `uname -m` and dpkg.
import { expect, test } from 'vitest';
import { archOf, identityOf, isRaspberryPi, PI_MODEL } from '../../src/model/host-identity.js';
import { snapshotOf } from '../../src/model/host-snapshot.js';

const DEBIAN = 'PRETTY_NAME="Debian GNU/Linux 13 (trixie)"\nNAME="Debian GNU/Linux"\nVERSION_ID="13"\nID=debian\n';

test('os-release: /etc first, then /usr/lib, else nothing', () => {
  const usrLib = 'ID=ubuntu\nVERSION_ID="24.04"\n';
  expect(identityOf(snapshotOf({ '/etc/os-release': DEBIAN, '/usr/lib/os-release': usrLib }), 'amd64').osRelease).toEqual({
    PRETTY_NAME: 'Debian GNU/Linux 13 (trixie)',
    NAME: 'Debian GNU/Linux',
    VERSION_ID: '13',
    ID: 'debian',
  });
  expect(identityOf(snapshotOf({ '/usr/lib/os-release': usrLib }), 'arm64')).toEqual({ osRelease: { ID: 'ubuntu', VERSION_ID: '24.04' }, arch: 'arm64', raspberryPi: false });
  expect(identityOf(snapshotOf({}), 'amd64').osRelease).toEqual({});
});

test('a Raspberry Pi: /etc/rpi-issue, or a device-tree model naming one; the caller may say so itself', () => {
  expect(isRaspberryPi(snapshotOf({ '/etc/rpi-issue': '' }))).toBe(true);
  expect(isRaspberryPi(snapshotOf({ [PI_MODEL]: 'Raspberry Pi 5 Model B Rev 1.0\0' }))).toBe(true);
  expect(isRaspberryPi(snapshotOf({ [PI_MODEL]: 'Pine64 RockPro64 v2.1\0' }))).toBe(false);
  expect(isRaspberryPi(snapshotOf({ '/etc/os-release': DEBIAN }))).toBe(false);
  expect(identityOf(snapshotOf({ '/etc/os-release': DEBIAN, '/etc/rpi-issue': '' }), 'arm64').raspberryPi).toBe(true);
  expect(identityOf(snapshotOf({ '/etc/os-release': DEBIAN, '/etc/rpi-issue': '' }), 'arm64', { raspberryPi: false }).raspberryPi).toBe(false);
  expect(identityOf(snapshotOf({ '/etc/os-release': DEBIAN }), 'arm64', { raspberryPi: true }).raspberryPi).toBe(true);
});

test.each([
  ['x86_64', 'amd64'],
  ['amd64', 'amd64'],
  ['aarch64', 'arm64'],
  ['arm64', 'arm64'],
  ['armhf', 'armhf'],
  ['armv7l', 'armhf'],
  ['armv6l', 'armhf'],
  ['i686', 'i386'],
  ['i386', 'i386'],
  [' x86_64\n', 'amd64'],
  ['riscv64', 'other'],
  ['armv8l', 'other'],
  ['', 'other'],
])('archOf(%j) is %s', (machine, arch) => {
  expect(archOf(machine)).toBe(arch);
});
