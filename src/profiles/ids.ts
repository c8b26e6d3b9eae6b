// The OS profiles stns-fleet knows. An inventory may name one of these (or `auto`) per group.
export const OS_PROFILE_IDS = [
  'amazon-linux-2',
  'amazon-linux-2023',
  'ubuntu-20.04',
  'ubuntu-22.04',
  'ubuntu-24.04',
  'ubuntu-26.04',
  'debian-11',
  'debian-12',
  'debian-13',
  'raspberry-pi-os',
] as const;

export type OsProfileId = (typeof OS_PROFILE_IDS)[number];

export function isOsProfileId(s: string): s is OsProfileId {
  return (OS_PROFILE_IDS as readonly string[]).includes(s);
}
