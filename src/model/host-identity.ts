// A host's identity from its files: os-release (/etc, then /usr/lib), and whether it is a Raspberry Pi
// (/etc/rpi-issue, or the device-tree model naming one).
import { parseOsRelease } from '../profiles/os-release.js';
import type { Arch, HostIdentity } from '../profiles/types.js';
import { readText, type HostSnapshot } from './host-snapshot.js';

/** Read as a file: the device-tree model names a Raspberry Pi (/proc is not under STNS_FLEET_ROOT on a tree). */
export const PI_MODEL = '/proc/device-tree/model';

export function isRaspberryPi(s: HostSnapshot): boolean {
  return s.files.has('/etc/rpi-issue') || (readText(s, PI_MODEL) ?? '').includes('Raspberry Pi');
}

export function identityOf(s: HostSnapshot, arch: Arch, extra: { raspberryPi?: boolean } = {}): HostIdentity {
  const text = readText(s, '/etc/os-release') ?? readText(s, '/usr/lib/os-release') ?? '';
  return { osRelease: parseOsRelease(text), arch, raspberryPi: extra.raspberryPi ?? isRaspberryPi(s) };
}

/** `uname -m` or `dpkg --print-architecture` output → our architecture names. */
export function archOf(machine: string): Arch {
  const m = machine.trim();
  if (m === 'x86_64' || m === 'amd64') return 'amd64';
  if (m === 'aarch64' || m === 'arm64') return 'arm64';
  if (m === 'armhf' || /^armv[67]/.test(m)) return 'armhf';
  if (m === 'i386' || m === 'i686') return 'i386';
  return 'other';
}
