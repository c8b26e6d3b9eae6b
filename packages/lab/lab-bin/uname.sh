#!/bin/sh
# stns-fleet lab stand-in for uname: -m answers the lab host's machine (x86_64 or aarch64); anything else
# is the real uname.
set -u
R="${STNS_FLEET_ROOT:-}"
R="${R%/}"
LAB_ARCH=""
shift # the wrapper's own "uname"
# shellcheck disable=SC1091 # written by the lab when it seeds the host
[ -f "$R/var/lib/stns-fleet-lab/host.env" ] && . "$R/var/lib/stns-fleet-lab/host.env"
if [ "$#" = 1 ] && [ "$1" = -m ] && [ -n "$LAB_ARCH" ]; then
	if [ "$LAB_ARCH" = arm64 ]; then echo aarch64; else echo x86_64; fi
	exit 0
fi
for u in /usr/bin/uname /bin/uname; do [ -x "$u" ] && exec "$u" "$@"; done
echo "uname: not found" >&2
exit 127
