// What stns-fleet must know about one OS to make it an STNS client. Profiles are data plus small pure
// functions; no stage learns an OS name. Decisions that depend on the host's actual files (where sshd's
// AuthorizedKeysCommand comes from, whether Include is read) are made from the files, not from here.
import type { OsProfileId } from './ids.js';
import type { OsRelease } from './os-release.js';

/** Debian architecture names; RPM hosts are mapped (x86_64 → amd64, aarch64 → arm64). */
export type Arch = 'amd64' | 'arm64' | 'armhf' | 'i386' | 'other';

/** Facts that identify a host beyond os-release. */
export interface HostIdentity {
  osRelease: OsRelease;
  arch: Arch;
  /** /etc/rpi-issue exists or the device-tree model names a Raspberry Pi. */
  raspberryPi: boolean;
}

export type PackageSource =
  | { manager: 'apt'; suite: string; component: string; pathPrefix: string }
  | { manager: 'yum' | 'dnf'; path: string };

export interface OsProfile {
  id: OsProfileId;
  label: string;
  family: 'debian' | 'rhel';
  /** Directories under stock/ holding the distro's stock files (from shared/fixtures, see stock/SOURCES.md),
   * later layers over earlier ones. */
  stockLayers(arch: Arch): string[];
  /** True when `identity` is this OS. */
  matches(identity: HostIdentity): boolean;
  /** The architecture assumed when rendering without a host (render --os). */
  defaultArch: Arch;
  sshd: { service: 'ssh' | 'sshd'; openssh: string };
  pam: {
    file: string;
    control: 'optional' | 'required';
    /** Insert the mkhomedir line after the first line matching one of these (in order of preference). */
    after: RegExp[];
    /** Other PAM files that may already carry pam_mkhomedir for sshd (through @include/include). */
    alsoCheck: string[];
  };
  /** Where STNS packages come from, or why there are none for this host. */
  packageSource(identity: HostIdentity): PackageSource | { unsupported: string };
  /** Paths of EC2 Instance Connect's key command on this OS, when it is installed. */
  eicCommands: string[];
}
