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

/** Where the STNS packages come from. `release` is the STNS repository release used (an apt codename such as
 * `bookworm`, or `el9`/`el7`/`amzn2` for the yum trees); `note` says why when it is not the host's own release
 * (upstream builds none for it: the documented nearest one, src/profiles/package-releases.ts) or when the
 * inventory chose it (`stns.package_release`). */
export type PackageSource =
  | { manager: 'apt'; suite: string; component: string; pathPrefix: string; release: string; note?: string }
  | { manager: 'yum' | 'dnf'; path: string; release: string; note?: string };

/** A stock tree of a profile (stock/<layer>, later layers over earlier ones): a release or an image flavour. */
interface StockVariant {
  id: string;
  description: string;
  layers(arch: Arch): string[];
}

export interface OsProfile {
  id: OsProfileId;
  label: string;
  family: 'debian' | 'rhel';
  /** Directories under stock/ holding the distro's stock files (from shared/fixtures, see stock/SOURCES.md),
   * later layers over earlier ones: those of `variant` (an id of `stockVariants`), default the first. */
  stockLayers(arch: Arch, variant?: string): string[];
  /** The stock trees this profile has, the default first (one per release or image flavour). */
  stockVariants: readonly StockVariant[];
  /** True when `identity` is this OS. */
  matches(identity: HostIdentity): boolean;
  /** The architecture assumed when rendering without a host (render --os). */
  defaultArch: Arch;
  sshd: {
    /** The systemd unit (ssh on Debian/Ubuntu/Raspberry Pi OS; sshd on Amazon Linux). Never an alias. */
    service: 'ssh' | 'sshd';
    openssh: string;
    /** The programs the daemon is made of: OpenSSH 9.8+ splits it into sshd (the listener), sshd-session and
     * (10.0+) sshd-auth. A config change needs the listener to re-read its configuration (reload). */
    programs: readonly string[];
    /** Set where ssh is socket-activated by default (Ubuntu 22.10+: ssh.socket starts ssh.service, so the service
     * may be inactive until the first connection; Port/ListenAddress live in the socket unit). */
    socket?: string;
  };
  /** The sudo the OS installs by default: `sudo-rs` on Ubuntu 26.04 (its own visudo; reads /etc/sudoers-rs
   * instead of /etc/sudoers when that exists), else the classic sudo. */
  sudo: 'sudo' | 'sudo-rs';
  /** Shown in plan for every host of this profile (e.g. the end of vendor support). */
  notes: readonly string[];
  pam: {
    file: string;
    control: 'optional' | 'required';
    /** Insert the mkhomedir line after the first line matching one of these (in order of preference). */
    after: RegExp[];
    /** Other PAM files that may already carry pam_mkhomedir for sshd (through @include/include). */
    alsoCheck: string[];
  };
  /** Where STNS packages come from, or why there are none for this host. `release` is the inventory's
   * `stns.package_release` for the host's group, which replaces the profile's choice of repository. */
  packageSource(identity: HostIdentity, release?: string): PackageSource | { unsupported: string };
  /** Paths of EC2 Instance Connect's key command on this OS, when it is installed. */
  eicCommands: string[];
}
