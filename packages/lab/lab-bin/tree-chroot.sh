#!/bin/sh
# stns-fleet lab stand-in for chroot. The host script runs a tree's own programs inside it
# (`chroot $STNS_FLEET_ROOT PROGRAM ARGS...`: its package manager, its sshd). A directory host's tools already act
# on its tree (they are the lab's stand-ins, first on PATH, and read STNS_FLEET_ROOT), so entering the tree changes
# nothing: PROGRAM is run by its name, as the host would find it, with the same environment. Only the host's own
# tree can be entered; anything else is refused as chroot refuses what it cannot do (exit 125).
# Run as `tree-chroot.sh chroot ARGS...` (the lab's wrapper names the tool first, as for packages.sh).
set -u
R="${STNS_FLEET_ROOT:-}"
shift
if [ $# -lt 1 ]; then
	echo "chroot: missing operand" >&2
	exit 125
fi
dir=$1
shift
if [ -z "$R" ] || [ "$(cd "$dir" 2>/dev/null && pwd -P)" != "$(cd "$R" 2>/dev/null && pwd -P)" ]; then
	echo "chroot: lab stand-in: only this host's own tree (${R:-none}) can be entered, not $dir" >&2
	exit 125
fi
if [ $# -eq 0 ]; then set -- /bin/sh -i; fi
prog=${1##*/}
shift
exec "$prog" "$@"
