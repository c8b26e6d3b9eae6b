// The profile registry, and detection from a host's identity (never from the inventory's word alone).
import { UserError } from '../errors.js';
import { amazonLinux2, amazonLinux2023 } from './amazon-linux.js';
import { debian11, debian12, debian13 } from './debian.js';
import { OS_PROFILE_IDS, type OsProfileId } from './ids.js';
import { raspberryPiOs } from './raspberry-pi-os.js';
import type { HostIdentity, OsProfile } from './types.js';
import { ubuntu2004, ubuntu2204, ubuntu2404, ubuntu2604 } from './ubuntu.js';

export const PROFILES: readonly OsProfile[] = [
  amazonLinux2,
  amazonLinux2023,
  ubuntu2004,
  ubuntu2204,
  ubuntu2404,
  ubuntu2604,
  debian11,
  debian12,
  debian13,
  raspberryPiOs,
];

export function profileById(id: string): OsProfile {
  const p = PROFILES.find((x) => x.id === id);
  if (!p) {
    throw new UserError(`unknown OS "${id}"`, { hint: `known: ${OS_PROFILE_IDS.join(', ')}` });
  }
  return p;
}

export function detectProfile(identity: HostIdentity): OsProfile | undefined {
  return PROFILES.find((p) => p.matches(identity));
}

/** What the host says it is, for messages: PRETTY_NAME plus the fields detection reads. */
export function describeIdentity(identity: HostIdentity): string {
  const r = identity.osRelease;
  if (Object.keys(r).length === 0) return 'a host with no /etc/os-release';
  const fields = [`ID=${r['ID'] ?? '(unset)'}`, `VERSION_ID=${r['VERSION_ID'] ?? '(unset)'}`];
  if (identity.raspberryPi) fields.push('Raspberry Pi');
  return `${r['PRETTY_NAME'] ?? r['NAME'] ?? r['ID'] ?? 'unknown OS'} (${fields.join(', ')})`;
}

/**
 * The profile for a host, strictly from what the host says (ID, VERSION_ID, Raspberry Pi markers): detected for
 * `auto`; for a named OS, that profile only when the host is that OS. A host no profile matches is "unsupported",
 * never given a near profile; a named OS the host contradicts is refused, naming both. Detection is unambiguous:
 * at most one profile matches any identity.
 */
export function chooseProfile(identity: HostIdentity, wanted: 'auto' | OsProfileId, asked = `the inventory says ${wanted}`): OsProfile | { error: string } {
  const detected = detectProfile(identity);
  const what = describeIdentity(identity);
  if (detected && (wanted === 'auto' || detected.id === wanted)) return detected;
  if (wanted === 'auto') return { error: `unsupported OS: ${what}; stns-fleet supports ${OS_PROFILE_IDS.join(', ')}` };
  if (detected) return { error: `${asked} but the host is ${detected.id}: ${what}; a profile is never forced onto another OS` };
  return {
    error:
      `${asked} but the host is not: ${what}, an OS stns-fleet does not support ` +
      `(supported: ${OS_PROFILE_IDS.join(', ')}); a profile is never forced onto another OS`,
  };
}
