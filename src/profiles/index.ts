// The profile registry, and detection from a host's identity (never from the inventory's word alone).
import { FleetError } from '../errors.js';
import { amazonLinux2, amazonLinux2023 } from './amazon-linux.js';
import { debian11, debian12 } from './debian.js';
import { OS_PROFILE_IDS, type OsProfileId } from './ids.js';
import { raspberryPiOs } from './raspberry-pi-os.js';
import type { HostIdentity, OsProfile } from './types.js';
import { ubuntu2004, ubuntu2204, ubuntu2404 } from './ubuntu.js';

export const PROFILES: readonly OsProfile[] = [
  amazonLinux2,
  amazonLinux2023,
  ubuntu2004,
  ubuntu2204,
  ubuntu2404,
  debian11,
  debian12,
  raspberryPiOs,
];

export function profileById(id: string): OsProfile {
  const p = PROFILES.find((x) => x.id === id);
  if (!p) {
    throw new FleetError('PROFILE_UNKNOWN', `unknown OS "${id}"`, { hint: `known: ${OS_PROFILE_IDS.join(', ')}` });
  }
  return p;
}

export function detectProfile(identity: HostIdentity): OsProfile | undefined {
  return PROFILES.find((p) => p.matches(identity));
}

/** The profile for a host: detected, or the inventory's choice checked against what the host says it is. */
export function chooseProfile(identity: HostIdentity, wanted: 'auto' | OsProfileId): OsProfile | { error: string } {
  const detected = detectProfile(identity);
  const pretty = identity.osRelease['PRETTY_NAME'] ?? identity.osRelease['ID'] ?? 'unknown OS';
  if (wanted === 'auto') return detected ?? { error: `unsupported OS: ${pretty}` };
  if (detected && detected.id !== wanted) {
    return { error: `inventory says ${wanted} but the host is ${detected.id} (${pretty})` };
  }
  return profileById(wanted);
}
