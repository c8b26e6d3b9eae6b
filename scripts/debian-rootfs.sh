#!/usr/bin/env bash
# Build (or reuse) a cached Debian 12 (bookworm) or Debian 13 (trixie) minbase
# root filesystem with openssh-server, for the chroot test harness
# (test/chroot/harness.ts).
#
# Usage: scripts/debian-rootfs.sh [--force] [--suite SUITE] [--arch arm64] [--name NAME --add PKG,... --deb FILE...]
#   stdout: the absolute path of the ready rootfs directory (one line)
#   stderr: progress
#   --suite SUITE  bookworm (the default) or trixie; the plain tree of a
#                suite is cached as SUITE/
#   --name NAME  a variant, cached as NAME/ instead of bookworm/ (e.g. the
#                libnss builder root or the real-STNS image of
#                scripts/stns-real-rootfs.sh); needs --add or --deb
#   --add PKGS   more packages for debootstrap --include (comma-separated)
#   --deb FILE   a local .deb to dpkg -i into the tree after debootstrap
#                (repeatable; its sha256 is part of the recipe)
#   --arch arm64 a foreign arm64 tree made to look like 64-bit Raspberry Pi
#                OS (/etc/rpi-issue), cached as SUITE-arm64/: debootstrap
#                --foreign, qemu-aarch64-static copied in, second stage run
#                under binfmt_misc emulation (needs the qemu-user-static
#                package; binfmt_misc is mounted if it is not). Slow: the
#                first build takes minutes (2.5 on a fast machine, up to
#                25 on slow ones). On an arm64 host it is a native build.
#
# Cache: ${STNS_FLEET_CACHE:-$HOME/.cache/stns-fleet}/bookworm/{rootfs,RECIPE}
# (trixie: .../trixie/{rootfs,RECIPE}; a variant: .../NAME/{rootfs,RECIPE};
# all share .lock and debs/; --arch arm64: .../SUITE-arm64/, with its own
# .lock-arm64 and debs-arm64/).
# The finished tree is kept as a plain directory: the harness mounts it as an
# overlayfs lower dir per test (or copies it). Do not edit it in place.
# It is built in a temp dir next to it and renamed into place; RECIPE holds
# the recipe string below, and a different recipe triggers a rebuild.
#
# Mirror: taken from this machine's apt sources (the non-security suite);
# with none found, debootstrap's own default is used. No archive host name
# is written in this repository on purpose.
set -euo pipefail

RECIPE_VERSION=1
SUITE=bookworm
VARIANT=minbase
# openssl: every Debian cloud image has it (ca-certificates needs it), and the host scripts open the sealed token with it.
INCLUDE=openssh-server,openssl

log() { printf 'debian-rootfs: %s\n' "$*" >&2; }
die() { printf 'debian-rootfs: error: %s\n' "$*" >&2; exit 1; }

force=0
NAME=""
WANT_ARCH=""
ADD=""
DEBS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --force) force=1 ;;
    --suite) [ $# -ge 2 ] || die "--suite needs a value"; SUITE=$2; shift ;;
    --name) [ $# -ge 2 ] || die "--name needs a value"; NAME=$2; shift ;;
    --add) [ $# -ge 2 ] || die "--add needs a value"; ADD=$2; shift ;;
    --deb) [ $# -ge 2 ] || die "--deb needs a value"; DEBS+=("$2"); shift ;;
    --arch) [ $# -ge 2 ] || die "--arch needs a value"; WANT_ARCH=$2; shift ;;
    -h|--help) sed -n '2,36p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 0 ;;
    *) die "unknown argument: $1" ;;
  esac
  shift
done
case "$SUITE" in
  bookworm|trixie) ;;
  *) die "bad --suite: $SUITE (bookworm or trixie)" ;;
esac
case "$WANT_ARCH" in
  ''|arm64) ;;
  *) die "bad --arch: $WANT_ARCH (only arm64)" ;;
esac
# The plain tree of this suite (and architecture): SUITE, or SUITE-arm64.
PLAIN=$SUITE
[ -z "$WANT_ARCH" ] || PLAIN="$SUITE-$WANT_ARCH"
[ -n "$NAME" ] || NAME=$PLAIN
case "$NAME" in
  ''|*[!a-z0-9.-]*|[.-]*) die "bad --name: $NAME (lower-case letters, digits, . and -)" ;;
esac
case "$ADD" in
  *[!a-z0-9.+,-]*) die "bad --add: $ADD (package names separated by commas)" ;;
esac
if [ "$NAME" = "$PLAIN" ] && { [ -n "$ADD" ] || [ ${#DEBS[@]} -gt 0 ]; }; then
  die "--add and --deb make a variant: give it a --name other than $PLAIN"
fi
case "$NAME" in
  bookworm|trixie|bookworm-arm64|trixie-arm64) [ "$NAME" = "$PLAIN" ] || die "--name $NAME is the plain $NAME tree's cache: pick another name" ;;
esac
if [ "$NAME" != "$PLAIN" ] && [ -z "$ADD" ] && [ ${#DEBS[@]} -eq 0 ]; then
  die "--name $NAME without --add or --deb would be the plain $PLAIN tree"
fi

[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap and chroot need it)"
PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
export PATH
command -v debootstrap >/dev/null 2>&1 \
  || die "debootstrap is not installed (apt-get install -y debootstrap)"
command -v chroot >/dev/null 2>&1 || die "chroot is not installed (coreutils)"
command -v flock >/dev/null 2>&1 || die "flock is not installed (util-linux)"

ARCH=$(dpkg --print-architecture 2>/dev/null || uname -m)
HOST_ARCH=$ARCH
[ -z "$WANT_ARCH" ] || ARCH=$WANT_ARCH
FOREIGN=0
[ "$ARCH" = "$HOST_ARCH" ] || FOREIGN=1
RECIPE="v${RECIPE_VERSION} suite=${SUITE} variant=${VARIANT} include=${INCLUDE} arch=${ARCH} post=hostkeys,run-sshd,policy-rc.d,slim"
# The arm64 (Raspberry Pi OS-like) tree has its own recipe; the plain trees'
# strings above stay byte-identical.
if [ -n "$WANT_ARCH" ]; then
  RECIPE="$RECIPE,rpi-issue foreign=${FOREIGN}"
  [ "$FOREIGN" -eq 0 ] || RECIPE="$RECIPE emulator=qemu-aarch64-static"
fi
# A variant's recipe adds its packages and the sha256 of each local deb (the
# plain tree's recipe, and so its cache, stays as it was).
DEB_SUMS=""
for d in "${DEBS[@]}"; do
  [ -f "$d" ] || die "--deb $d: no such file"
  DEB_SUMS="${DEB_SUMS:+$DEB_SUMS,}$(basename "$d")@$(sha256sum "$d" | cut -d' ' -f1)"
done
if [ -n "$ADD" ]; then INCLUDE="$INCLUDE,$ADD"; fi
if [ "$NAME" != "$PLAIN" ]; then
  RECIPE="$RECIPE name=${NAME} add=${ADD} debs=${DEB_SUMS}"
fi

CACHE_ROOT=${STNS_FLEET_CACHE:-${HOME:-/root}/.cache/stns-fleet}
mkdir -p "$CACHE_ROOT"
CACHE_ROOT=$(cd "$CACHE_ROOT" && pwd -P)
FINAL="$CACHE_ROOT/$NAME"
ROOTFS="$FINAL/rootfs"

is_current() {
  [ -d "$ROOTFS" ] && [ -f "$FINAL/RECIPE" ] && [ "$(cat "$FINAL/RECIPE")" = "$RECIPE" ]
}

# Fast path without the lock (the ready tree is only ever renamed into place).
if [ "$force" -eq 0 ] && is_current; then
  log "cache hit: $ROOTFS"
  printf '%s\n' "$ROOTFS"
  exit 0
fi

# Serialise builders (several test processes or engineers may race here).
# The arm64 tree takes minutes under emulation: it has its own lock
# (and deb cache, below) so that it never holds up the other trees' builds.
LOCK="$CACHE_ROOT/.lock"
[ -z "$WANT_ARCH" ] || LOCK="$CACHE_ROOT/.lock-$WANT_ARCH"
exec 9>"$LOCK"
log "waiting for the cache lock $LOCK"
flock 9
if [ "$force" -eq 0 ] && is_current; then
  log "cache hit (built by another process): $ROOTFS"
  printf '%s\n' "$ROOTFS"
  exit 0
fi

# --- emulation for a foreign arm64 tree -------------------------------------
QEMU=/usr/bin/qemu-aarch64-static
if [ "$FOREIGN" -eq 1 ]; then
  [ -x "$QEMU" ] || die "arm64 emulation is unavailable: $QEMU is missing (apt-get install -y qemu-user-static)"
  if [ ! -e /proc/sys/fs/binfmt_misc/status ]; then
    log "mounting binfmt_misc on /proc/sys/fs/binfmt_misc"
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null \
      || die "arm64 emulation is unavailable: binfmt_misc is not mounted and cannot be mounted here"
  fi
  if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
    # qemu-user-static's postinst registers it through binfmt-support or
    # systemd-binfmt; neither runs in a container without init, so try both.
    if command -v update-binfmts >/dev/null 2>&1; then
      update-binfmts --enable qemu-aarch64 >&2 2>/dev/null || true
    fi
    if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] && [ -f /usr/lib/binfmt.d/qemu-aarch64.conf ]; then
      cat /usr/lib/binfmt.d/qemu-aarch64.conf >/proc/sys/fs/binfmt_misc/register 2>/dev/null || true
    fi
  fi
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] \
    || die "arm64 emulation is unavailable: no qemu-aarch64 entry in /proc/sys/fs/binfmt_misc (install qemu-user-static; on trixie-era packages qemu-user-binfmt)"
  grep -q '^enabled' /proc/sys/fs/binfmt_misc/qemu-aarch64 \
    || die "arm64 emulation is unavailable: the qemu-aarch64 binfmt entry is disabled"
  if ! grep -q '^flags:.*F' /proc/sys/fs/binfmt_misc/qemu-aarch64; then
    log "note: qemu-aarch64 is registered without the F flag; relying on $QEMU inside the tree"
  fi
  log "arm64 emulation: $(sed -n 's/^interpreter //p' /proc/sys/fs/binfmt_misc/qemu-aarch64) ($(sed -n 's/^flags: //p' /proc/sys/fs/binfmt_misc/qemu-aarch64))"
fi

# --- mirror from the machine's apt sources --------------------------------
# deb822 (/etc/apt/sources.list.d/*.sources): the first stanza with Types
# containing "deb" and a suite that is not *-security; its first URI.
mirror_from_deb822() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk '
      function flush() {
        if (uris != "" && types ~ /(^| )deb( |$)/ && enabled !~ /^[Nn]o/) {
          n = split(suites, s, " ")
          for (i = 1; i <= n; i++) if (s[i] !~ /-security$/) {
            split(uris, u, " "); print u[1]; found = 1; exit
          }
        }
        uris = ""; types = ""; suites = ""; enabled = ""
      }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      {
        line = $0
        if (match(line, /^[A-Za-z-]+:/)) {
          key = tolower(substr(line, 1, RLENGTH - 1))
          val = substr(line, RLENGTH + 1)
          gsub(/^[ \t]+|[ \t]+$/, "", val)
          if (key == "uris") uris = val
          else if (key == "types") types = val
          else if (key == "suites") suites = val
          else if (key == "enabled") enabled = val
        }
      }
      END { if (!found) flush() }
    ' "$f"
  done | head -n 1
}

# one-line format: deb [opts] URI SUITE COMPONENTS...
mirror_from_list() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk '
      $1 != "deb" { next }
      {
        i = 2
        if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
        uri = $i; suite = $(i + 1)
        if (uri != "" && suite != "" && suite !~ /-security$/) { print uri; exit }
      }
    ' "$f"
  done | head -n 1
}

MIRROR=$(mirror_from_deb822 || true)
[ -n "$MIRROR" ] || MIRROR=$(mirror_from_list || true)
# Only plain http(s)/file mirrors can be handed to debootstrap.
case "$MIRROR" in
  http://*|https://*|file:/*) ;;
  *) MIRROR="" ;;
esac
mirror_args=()
if [ -n "$MIRROR" ]; then
  log "mirror from the machine's apt sources: $MIRROR"
  mirror_args=("$MIRROR")
else
  log "no usable mirror in the apt sources; using debootstrap's default"
fi

# --- build -----------------------------------------------------------------
DEB_CACHE="$CACHE_ROOT/debs"
[ -z "$WANT_ARCH" ] || DEB_CACHE="$CACHE_ROOT/debs-$WANT_ARCH"
mkdir -p "$DEB_CACHE"
TMP=$(mktemp -d "$CACHE_ROOT/.build.XXXXXX")
chmod 0755 "$TMP"
cleanup() {
  # debootstrap mounts proc/sys while it runs and may leave them on failure;
  # never leave mounts behind. --one-file-system keeps rm on this filesystem.
  local m
  if [ -d "${TMP:-}" ]; then
    for m in proc sys dev/pts dev; do
      if mountpoint -q "$TMP/rootfs/$m" 2>/dev/null; then
        umount -l "$TMP/rootfs/$m" || true
      fi
    done
    rm -rf --one-file-system -- "$TMP"
  fi
}
trap cleanup EXIT

start=$(date +%s)
log "building $NAME: $SUITE ($VARIANT, +$INCLUDE, $ARCH) in $TMP (recipe: $RECIPE)"
foreign_args=()
[ "$FOREIGN" -eq 0 ] || foreign_args=(--foreign)
debootstrap \
  "${foreign_args[@]}" \
  --variant="$VARIANT" \
  --include="$INCLUDE" \
  --arch="$ARCH" \
  --cache-dir="$DEB_CACHE" \
  "$SUITE" "$TMP/rootfs" "${mirror_args[@]}" >&2 \
  || die "debootstrap failed (see output above; log in $TMP/rootfs/debootstrap/debootstrap.log is removed on exit)"

R="$TMP/rootfs"
if [ "$FOREIGN" -eq 1 ]; then
  # The emulator inside the tree: used by binfmt entries without the F flag,
  # and by the tests' chroot runs on machines registered that way.
  cp -- "$QEMU" "$R/usr/bin/qemu-aarch64-static"
  log "second stage under emulation (slow)"
  chroot "$R" /debootstrap/debootstrap --second-stage >&2 \
    || die "debootstrap --second-stage failed under emulation (log: $R/debootstrap/debootstrap.log, removed on exit)"
fi
log "post-processing"

# Keep services from being started by maintainer scripts run in the chroot.
cat >"$R/usr/sbin/policy-rc.d" <<'EOF'
#!/bin/sh
# stns-fleet test rootfs: never start services inside the chroot.
exit 101
EOF
chmod 0755 "$R/usr/sbin/policy-rc.d"

# sshd -t needs host keys and the privilege-separation directory; systemd's
# tmpfiles would create /run/sshd on a booted system.
chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin ssh-keygen -A >&2
mkdir -p "$R/run/sshd"
chmod 0755 "$R/run/sshd"

# Slim: package caches and lists are not needed for dpkg -i.
rm -f "$R"/var/cache/apt/archives/*.deb "$R"/var/cache/apt/*.bin
find "$R/var/lib/apt/lists" -mindepth 1 -maxdepth 1 -type f -delete
rm -rf --one-file-system -- "$R/debootstrap"
printf 'stns-fleet-test\n' >"$R/etc/hostname"
if [ -n "$WANT_ARCH" ]; then
  # Raspberry Pi OS marker (the profile also reads /proc/device-tree/model,
  # which a chroot cannot have). The 64-bit images say ID=debian.
  printf 'Raspberry Pi reference 2024-11-19\nGenerated using pi-gen (stns-fleet arm64 test tree)\n' >"$R/etc/rpi-issue"
fi

# Sanity: sshd -t must pass on the stock configuration.
chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin /usr/sbin/sshd -t \
  || die "sshd -t fails inside the fresh rootfs"

# A variant's local debs, installed by the tree's own dpkg (no network: their
# dependencies must be in the tree already, through --add).
for d in "${DEBS[@]}"; do
  b=$(basename "$d")
  log "installing $b"
  cp -- "$d" "$R/tmp/$b"
  chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin dpkg -i "/tmp/$b" >&2 \
    || die "dpkg -i $b failed inside the rootfs (its Depends must come with --add)"
  rm -f -- "$R/tmp/$b"
done

printf '%s\n' "$RECIPE" >"$TMP/RECIPE"

# Swap into place: rename the old tree away, rename the new one in, then drop
# the old one. (rename(2) cannot replace a non-empty directory in one step.)
if [ -e "$FINAL" ]; then
  OLD=$(mktemp -d "$CACHE_ROOT/.old.XXXXXX")
  mv -T "$FINAL" "$OLD/tree"
  mv -T "$TMP" "$FINAL"
  rm -rf --one-file-system -- "$OLD"
else
  mv -T "$TMP" "$FINAL"
fi
TMP=""

size=$(du -sh --one-file-system "$ROOTFS" | cut -f1)
log "built $ROOTFS ($size) in $(( $(date +%s) - start ))s"
printf '%s\n' "$ROOTFS"
