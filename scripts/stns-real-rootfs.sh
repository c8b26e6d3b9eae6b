#!/usr/bin/env bash
# Build (or reuse) a cached Debian 12 root filesystem that carries the REAL
# libnss-stns-v2 (libnss_stns.so.2 and stns-key-wrapper), compiled from the
# upstream source tarball, for lab chroot hosts and test/e2e/real-login.test.ts.
#
# Usage: scripts/stns-real-rootfs.sh [--tarball FILE] [--deb-only] [--force]
#   stdout: the absolute path of the ready rootfs (with --deb-only: of the .deb)
#   stderr: progress
#   exit 3: the tarball is missing (callers skip, or fail in CI)
#   --tarball FILE  the upstream source (default $STNS_LIBNSS_TARBALL, else
#                   ../shared/upstream/STNS-libnss-c55c3265790a.tar.gz next to
#                   this repository; it is not copied into the repository)
#   --force         rebuild the .deb (and so the rootfs) even when cached
#
# Steps, each cached under ${STNS_FLEET_CACHE:-$HOME/.cache/stns-fleet}:
#   builder-bookworm/{rootfs,RECIPE}   Debian 12 + gcc, libc6-dev,
#       libcurl4-openssl-dev (scripts/debian-rootfs.sh --name builder-bookworm)
#   libnss-stns-v2/<sha256 of the tarball>/{libnss-stns-v2_VER_ARCH.deb,
#       RECIPE,build.log}   built by scripts/libnss-deb.sh inside a throw-away
#       copy of the builder root (lock: libnss-stns-v2/.lock)
#   bookworm-stns/{rootfs,RECIPE}   Debian 12 + openssh-server, openssl,
#       libcurl4, and that .deb installed by the tree's own dpkg
#       (scripts/debian-rootfs.sh --name bookworm-stns --deb ...)
# Every RECIPE names what went in (recipe version, tarball and script sha256,
# package version); a different recipe triggers a rebuild.
#
# The mirror is the one of this machine's apt sources, as debian-rootfs.sh
# finds it: no archive host name is written in this repository.
set -euo pipefail

RECIPE_VERSION=1
VERSION=${STNS_LIBNSS_VERSION:-2.6.10-1}
BUILDER_ADD=gcc,libc6-dev,libcurl4-openssl-dev
RUNTIME_ADD=libcurl4

log() { printf 'stns-real-rootfs: %s\n' "$*" >&2; }
die() { printf 'stns-real-rootfs: error: %s\n' "$*" >&2; exit 1; }

HERE=$(cd "$(dirname "$0")" && pwd -P)
REPO=$(dirname "$HERE")
TARBALL=${STNS_LIBNSS_TARBALL:-$REPO/../shared/upstream/STNS-libnss-c55c3265790a.tar.gz}
deb_only=0
force=0
while [ $# -gt 0 ]; do
  case "$1" in
    --tarball) [ $# -ge 2 ] || die "--tarball needs a value"; TARBALL=$2; shift ;;
    --deb-only) deb_only=1 ;;
    --force) force=1 ;;
    -h|--help) sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 0 ;;
    *) die "unknown argument: $1" ;;
  esac
  shift
done

if [ ! -f "$TARBALL" ]; then
  printf 'stns-real-rootfs: error: the libnss-stns-v2 source tarball is missing: %s (set STNS_LIBNSS_TARBALL or --tarball)\n' "$TARBALL" >&2
  exit 3
fi
[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap and chroot need it)"
PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
export PATH
for b in tar sha256sum flock chroot dpkg-deb; do
  command -v "$b" >/dev/null 2>&1 || die "$b is not installed"
done
TARBALL=$(cd "$(dirname "$TARBALL")" && pwd -P)/$(basename "$TARBALL")
TAR_SHA=$(sha256sum "$TARBALL" | cut -d' ' -f1)
SCRIPT="$HERE/libnss-deb.sh"
SCRIPT_SHA=$(sha256sum "$SCRIPT" | cut -d' ' -f1)

CACHE_ROOT=${STNS_FLEET_CACHE:-${HOME:-/root}/.cache/stns-fleet}
mkdir -p "$CACHE_ROOT"
CACHE_ROOT=$(cd "$CACHE_ROOT" && pwd -P)
export STNS_FLEET_CACHE="$CACHE_ROOT"

# --- 1. the builder root ------------------------------------------------------
BUILDER=$(bash "$HERE/debian-rootfs.sh" --name builder-bookworm --add "$BUILDER_ADD" | tail -n 1)
[ -x "$BUILDER/usr/bin/gcc" ] || die "the builder root $BUILDER has no gcc"

# --- 2. the .deb, keyed by the tarball's sha256 ---------------------------------
ARCH=$(chroot "$BUILDER" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin dpkg --print-architecture)
DEB_DIR="$CACHE_ROOT/libnss-stns-v2/$TAR_SHA"
DEB="$DEB_DIR/libnss-stns-v2_${VERSION}_${ARCH}.deb"
DEB_RECIPE="v${RECIPE_VERSION} tarball=$(basename "$TARBALL")@${TAR_SHA} script=${SCRIPT_SHA} version=${VERSION} builder=$(tr ' ' ';' <"$(dirname "$BUILDER")/RECIPE")"
deb_current() { [ -f "$DEB" ] && [ -f "$DEB_DIR/RECIPE" ] && [ "$(cat "$DEB_DIR/RECIPE")" = "$DEB_RECIPE" ]; }

if [ "$force" -eq 1 ] || ! deb_current; then
  mkdir -p "$CACHE_ROOT/libnss-stns-v2"
  exec 9>"$CACHE_ROOT/libnss-stns-v2/.lock"
  log "waiting for the lock $CACHE_ROOT/libnss-stns-v2/.lock"
  flock 9
  if [ "$force" -eq 1 ] || ! deb_current; then
    start=$(date +%s)
    TMP=$(mktemp -d "$CACHE_ROOT/libnss-stns-v2/.build.XXXXXX")
    trap 'rm -rf --one-file-system -- "$TMP"' EXIT
    log "building libnss-stns-v2 $VERSION from $(basename "$TARBALL") (sha256 $TAR_SHA) in a copy of $BUILDER"
    cp -a --reflink=auto -- "$BUILDER" "$TMP/root"
    mkdir -p "$TMP/root/src/libnss" "$TMP/root/out"
    tar -xzf "$TARBALL" -C "$TMP/root/src/libnss" --strip-components=1 --no-same-owner
    [ -f "$TMP/root/src/libnss/stns_key_wrapper.c" ] || die "$(basename "$TARBALL") does not look like the STNS/libnss source (no stns_key_wrapper.c at its top)"
    install -m 0755 "$SCRIPT" "$TMP/root/build-libnss-deb.sh"
    if ! chroot "$TMP/root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C HOME=/root \
        /bin/sh /build-libnss-deb.sh "$VERSION" /out >"$TMP/build.log" 2>&1; then
      cat "$TMP/build.log" >&2
      die "the libnss-stns-v2 build failed (log above)"
    fi
    built="$TMP/root/out/libnss-stns-v2_${VERSION}_${ARCH}.deb"
    [ -f "$built" ] || die "the build made no $(basename "$built")"
    contents=$(dpkg-deb -c "$built")
    for f in "./usr/lib/stns/stns-key-wrapper" "libnss_stns.so.2.0" "./etc/stns/client/stns.conf"; do
      grep -qF -- "$f" <<<"$contents" || die "$(basename "$built") lacks $f"
    done
    NEW="$TMP/deb"
    mkdir -p "$NEW"
    mv -- "$built" "$NEW/"
    mv -- "$TMP/build.log" "$NEW/build.log"
    printf '%s\n' "$DEB_RECIPE" >"$NEW/RECIPE"
    if [ -e "$DEB_DIR" ]; then
      OLD=$(mktemp -d "$CACHE_ROOT/libnss-stns-v2/.old.XXXXXX")
      mv -T -- "$DEB_DIR" "$OLD/dir"
      mv -T -- "$NEW" "$DEB_DIR"
      rm -rf --one-file-system -- "$OLD"
    else
      mv -T -- "$NEW" "$DEB_DIR"
    fi
    rm -rf --one-file-system -- "$TMP"
    trap - EXIT
    log "built $DEB in $(( $(date +%s) - start ))s"
  fi
  exec 9>&-
else
  log "cache hit: $DEB"
fi

if [ "$deb_only" -eq 1 ]; then
  printf '%s\n' "$DEB"
  exit 0
fi

# --- 3. the rootfs for chroot hosts, with the real package on its "image" -------
ROOTFS=$(bash "$HERE/debian-rootfs.sh" --name bookworm-stns --add "$RUNTIME_ADD" --deb "$DEB" | tail -n 1)
# shellcheck disable=SC2016 # dpkg-query's own ${Field} syntax
status=$(chroot "$ROOTFS" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin dpkg-query -W -f='${Status} ${Version}' libnss-stns-v2)
[ "$status" = "install ok installed $VERSION" ] || die "libnss-stns-v2 in $ROOTFS: $status"
ls "$ROOTFS"/usr/lib/*/libnss_stns.so.2 >/dev/null 2>&1 || die "$ROOTFS has no libnss_stns.so.2"
printf '%s\n' "$ROOTFS"
