#!/usr/bin/env bash
# Sets up a fresh clone of stns-fleet:
#  1. Debian packages the test suite and the lab need (debootstrap, shellcheck, openssl, gawk, busybox, attr), as root
#     with apt-get;
#     and, as root, the cached Debian 12 and 13 root filesystems (scripts/debian-rootfs.sh) for the chroot tests and
#     demo, and the Debian 12 image with the real libnss-stns-v2 (scripts/stns-real-rootfs.sh) for the real-login tests;
#  2. a Node >= 22.12 for npm itself: when the machine's Node is older (Node 20 is end of life), Node 24
#     is fetched from the npm registry's `node` package into .tools/node;
#  3. npm ci, which also installs the lab's workspace package (packages/lab) and builds dist/ and
#     packages/lab/dist/ (the `prepare` script). The `node` devDependency then runs every
#     npm script and `npx stns-fleet` on Node 24, whatever the machine ships.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'setup: %s\n' "$*" >&2; }

missing=()
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
# The host scripts seal and open the auth token with openssl: the lab's hosts run them on this machine.
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
# The stns.conf redactor runs on hosts with mawk (Debian, Ubuntu), gawk (Amazon Linux) or BusyBox: the tests
# compare all of them with its TypeScript twin.
command -v gawk >/dev/null 2>&1 || missing+=(gawk)
command -v busybox >/dev/null 2>&1 || missing+=(busybox)
# setfattr/getfattr: the host-script tests check that xattrs survive a write and a restore.
command -v setfattr >/dev/null 2>&1 || missing+=(attr)
# zsh and fish: `stns-fleet completion zsh|fish` is tested in the real shells (skipped, with the reason, without).
command -v zsh >/dev/null 2>&1 || missing+=(zsh)
command -v fish >/dev/null 2>&1 || missing+=(fish)
if ((${#missing[@]} > 0)); then
	if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
		say "installing ${missing[*]} (Debian packages)"
		DEBIAN_FRONTEND=noninteractive apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
	else
		say "warning: ${missing[*]} not installed; the shellcheck, chroot and lab tests need them (apt-get install ${missing[*]})"
	fi
fi

node_ok() { node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=12)?0:1)' 2>/dev/null; }
if ! node_ok; then
	say "Node $(node --version 2>/dev/null || echo none) is older than 22.12: fetching Node 24 from the npm registry into .tools/node"
	npm install --silent --no-save --no-package-lock --no-audit --no-fund --prefix .tools/node node@24 >/dev/null
	export PATH="$PWD/.tools/node/node_modules/.bin:$PATH"
	node_ok || { say "error: could not get Node >= 22.12"; exit 1; }
fi
say "installing dependencies with npm ci (Node $(node --version))"
npm ci --no-audit --no-fund
# The Debian 12 root filesystem (cached) for the chroot tests and the demo's real-sshd host: as root only.
if [[ $(id -u) == 0 ]] && command -v debootstrap >/dev/null 2>&1; then
	say "preparing the cached Debian 12 and 13 root filesystems (about two minutes the first time)"
	bash scripts/debian-rootfs.sh >/dev/null || say "warning: no Debian root filesystem: the demo runs without its chroot host"
	bash scripts/debian-rootfs.sh --suite trixie >/dev/null || say "warning: no Debian 13 root filesystem: the Debian 13 chroot tests skip, and fail in CI"
	# The real libnss-stns-v2, built from ../shared/upstream's source (about 2 minutes the first time, cached):
	# the real-login and real-module tests run on it.
	say "preparing the cached Debian 12 root filesystem with the real libnss-stns-v2 (about 2 minutes the first time)"
	bash scripts/stns-real-rootfs.sh >/dev/null || say "note: no real libnss-stns-v2 image (the upstream tarball is missing or the build failed): the real-login tests skip, and fail in CI"
fi
say "ready: try 'npm run demo', 'npm run stns-fleet -- --help', 'npm test'"
