// Which STNS package repository a host installs from. Upstream (STNS/package, unchanged since 2024-10; see
// docs/reference/stns-client.md) builds:
//   apt  https://repo.stns.jp/<codename>/ stns <codename>   focal jammy noble bullseye bookworm, amd64 and arm64 only
//   yum  centos/<arch>/7 (el7), centos/<arch>/2 (the el7 builds, for Amazon Linux 2), almalinux/<arch>/9 (el9)
// and nothing for Debian 13 (trixie), Ubuntu 26.04 (resolute) or Amazon Linux 2023, nor for armhf. For those
// releases stns-fleet uses the nearest compatible repository below, and says so in plan (a note on each host it
// applies to). The inventory's `stns.package_release` (per group) replaces the choice. A host whose image already
// carries the packages installs nothing, whatever the repository.
//
// Why the nearest one works: libnss-stns-v2 is built with curl, OpenSSL and zlib linked statically (STNS/libnss
// Makefile), so its only shared-library dependency is glibc, which runs binaries built against an older glibc;
// cache-stnsd is a static Go binary. The mapped repository is always the newest built release whose glibc is not
// newer than the host's.

/** Apt codenames the STNS repository builds. */
const APT_RELEASES_BUILT: readonly string[] = ['focal', 'jammy', 'noble', 'bullseye', 'bookworm'];

/** The yum trees, by the name `stns.package_release` uses for them. */
const RPM_RELEASES: Readonly<Record<string, string>> = {
  el9: 'almalinux/$basearch/9',
  el7: 'centos/$basearch/7',
  amzn2: 'centos/$basearch/2',
};

/** The documented mapping: a release upstream builds nothing for → the repository used instead, and why. */
export const NEAREST_RELEASE: Readonly<Record<string, { release: string; why: string }>> = {
  trixie: { release: 'bookworm', why: "Debian 13's glibc 2.41 runs the bookworm builds (glibc 2.36)" },
  resolute: { release: 'noble', why: "Ubuntu 26.04's glibc runs the noble builds (glibc 2.39)" },
  amzn2023: { release: 'el9', why: 'Amazon Linux 2023 has the glibc of RHEL 9 (2.34), which the el9 builds target' },
};

const OVERRIDE = 'set stns.package_release for the group to choose another';

type ReleaseChoice = { release: string; note?: string } | { unsupported: string };

function mapped(own: string, label: string): ReleaseChoice {
  const near = NEAREST_RELEASE[own];
  if (!near) return { release: own };
  return {
    release: near.release,
    note:
      `STNS packages: upstream builds no ${label} repository; installing from the ${near.release} one ` +
      `(${near.why}; libnss-stns-v2 links only glibc dynamically). ${OVERRIDE}, or use an image that already carries the packages`,
  };
}

/** The apt release for a host whose own codename is `own`, or the inventory's `override`. */
export function aptRelease(own: string, override?: string): ReleaseChoice {
  if (override === undefined) return mapped(own, own);
  if (override in RPM_RELEASES) {
    return { unsupported: `stns.package_release is ${override}, an STNS yum repository; this host installs with apt (codenames: ${APT_RELEASES_BUILT.join(', ')})` };
  }
  const known = APT_RELEASES_BUILT.includes(override);
  if (override === own && known) return { release: own };
  return {
    release: override,
    note:
      `STNS packages from the ${override} repository, as stns.package_release says for this group (the host is ${own})` +
      (known ? '' : `; stns-fleet knows no such STNS repository (built: ${APT_RELEASES_BUILT.join(', ')}): apt fails if it is missing`),
  };
}

/** The yum tree for a host whose own release is `own` (a key of RPM_RELEASES or NEAREST_RELEASE), or `override`. */
export function rpmRelease(own: string, label: string, override?: string): ({ release: string; path: string; note?: string }) | { unsupported: string } {
  const choice = override === undefined ? mapped(own, label) : { release: override };
  if ('unsupported' in choice) return choice;
  const path = RPM_RELEASES[choice.release];
  if (path === undefined) {
    return {
      unsupported:
        override === undefined
          ? `no STNS yum repository for ${label}`
          : `stns.package_release is ${override}; the STNS yum repositories are ${Object.keys(RPM_RELEASES).join(', ')}`,
    };
  }
  const note = override === undefined ? choice.note : override === own ? undefined : `STNS packages from the ${override} repository (${path}), as stns.package_release says for this group (the host is ${label})`;
  return { release: choice.release, path, ...(note ? { note } : {}) };
}
