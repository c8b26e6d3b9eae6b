#!/bin/sh
# stns-fleet lab stand-in for the package tools: dpkg-query, dpkg, rpm, apt-get, yum, dnf.
# Run as `packages.sh TOOL ARGS...`. The package database is $STNS_FLEET_ROOT/var/lib/stns-fleet-lab/installed
# ("name version" per line). Installing the STNS packages needs their repository to be configured in the
# host tree (as on a real host, where apt/yum would not find them otherwise); installing libnss-stns-v2
# puts a stns-key-wrapper into the tree that asks the lab's STNS server.
set -u
R="${STNS_FLEET_ROOT:-}"
R="${R%/}"
LAB="$R/var/lib/stns-fleet-lab"
DB="$LAB/installed"
LAB_FAMILY=debian
LAB_ARCH=amd64
LAB_NODE=node
LAB_BIN=.
# shellcheck disable=SC1091 # written by the lab when it seeds the host
[ -f "$LAB/host.env" ] && . "$LAB/host.env"
tool="$1"
shift

# The stand-ins run in every facts and converge of every host at once: the shell's own loops, not an awk per
# package (a real dpkg-query is one small C process).
pkg_version() { # name → version, or fail
	[ -f "$DB" ] || return 1
	while read -r n v _; do
		[ "$n" = "$1" ] && printf '%s\n' "$v" && return 0
	done <"$DB"
	return 1
}

replace_all() { # TEXT FROM TO: sets out to TEXT with every FROM replaced by TO
	out=""
	rest=$1
	while :; do
		case "$rest" in
		*"$2"*) out=$out${rest%%"$2"*}$3 rest=${rest#*"$2"} ;;
		*) out=$out$rest && return 0 ;;
		esac
	done
}

rpm_arch() { if [ "$LAB_ARCH" = arm64 ]; then echo aarch64; else echo x86_64; fi; }

# The STNS repository must be configured before its packages can be found (read by the shell: no process).
repo_configured() {
	if [ "$LAB_FAMILY" = debian ]; then set -- "$R"/etc/apt/sources.list.d/*.list; else set -- "$R"/etc/yum.repos.d/*.repo; fi
	for f in "$@"; do
		[ -f "$f" ] || continue
		while IFS= read -r l || [ -n "$l" ]; do
			if [ "$LAB_FAMILY" = debian ]; then
				case "$l" in "deb "*" stns "*) return 0 ;; esac
			else
				case "$l" in "baseurl="*) return 0 ;; esac
			fi
		done <"$f"
	done
	return 1
}

put_file() { # path mode content
	[ -d "$R${1%/*}" ] || mkdir -p "$R${1%/*}"
	printf '%s' "$3" >"$R$1" && chmod "$2" "$R$1"
}

install_one() { # name
	pkg_version "$1" >/dev/null && return 0
	case "$1" in
	libnss-stns-v2)
		put_file /usr/lib/stns/stns-key-wrapper 0755 "#!/bin/sh
# stns-fleet lab: libnss-stns-v2's stns-key-wrapper, asking the lab's STNS server (answered by the lab itself
# when it runs the host: served.sh).
if [ -n \"\${STNS_FLEET_LAB_URL:-}\" ]; then exec /bin/sh '$LAB_BIN/served.sh' stns-key-wrapper \"\$@\"; fi
exec '$LAB_NODE' '$LAB_BIN/stns-key-wrapper.mjs' \"\$@\"
"
		{ [ -d "$R/usr/local/bin" ] || mkdir -p "$R/usr/local/bin"; } && ln -sf /usr/lib/stns/stns-key-wrapper "$R/usr/local/bin/stns-key-wrapper"
		put_file /usr/lib/stns-fleet-lab/libnss_stns.so.2 0644 "stns-fleet lab: marker for libnss_stns
"
		# The package's example config, every line commented out (kept when the file exists: confold).
		[ -e "$R/etc/stns/client/stns.conf" ] || put_file /etc/stns/client/stns.conf 0644 '#api_endpoint     = "http://<server-ip>:1104/v1/"
#auth_token        = "xxxxxxxxxxxxxxx"
'
		version=2.6.10-1
		;;
	cache-stnsd)
		put_file /usr/sbin/cache-stnsd 0755 '#!/bin/sh
# stns-fleet lab: marker for cache-stnsd (the lab runs no daemon)
exit 0
'
		version=1:0.3.19-1
		;;
	*) version=1.0-lab ;;
	esac
	{ [ -d "$LAB" ] || mkdir -p "$LAB"; } && printf '%s %s\n' "$1" "$version" >>"$DB"
}

case "$tool" in
dpkg-query)
	# shellcheck disable=SC2016 # dpkg-query's own ${…} format fields, expanded below
	fmt='${binary:Package}\t${Version}\n' STATUS_FMT='Package: ${Package}\nStatus: ${Status}\nVersion: ${Version}\n'
	names=""
	while [ $# -gt 0 ]; do
		case "$1" in
		-W | --show) ;;
		# The host script reads a tree's database with --admindir=$STNS_FLEET_ROOT/var/lib/dpkg: the lab's is the tree's already.
		--admindir=*) ;;
		--admindir) shift ;;
		-s | --status) fmt="$STATUS_FMT" ;;
		-f) fmt="$2"; shift ;;
		-f=*) fmt="${1#-f=}" ;;
		-f?*) fmt="${1#-f}" ;;
		--showformat=*) fmt="${1#--showformat=}" ;;
		-*) echo "dpkg-query: lab stand-in: unsupported option $1" >&2; exit 2 ;;
		*) names="$names $1" ;;
		esac
		shift
	done
	rc=0
	for n in $names; do
		if v=$(pkg_version "$n"); then
			# shellcheck disable=SC2016 # dpkg-query's own ${…} fields
			{
				replace_all "$fmt" '${binary:Package}' "$n"
				replace_all "$out" '${Package}' "$n"
				replace_all "$out" '${Version}' "$v"
				replace_all "$out" '${Status}' 'install ok installed'
				replace_all "$out" '\n' '
'
				replace_all "$out" '\t' '	'
			}
			printf '%s' "$out"
		else
			echo "dpkg-query: no packages found matching $n" >&2
			rc=1
		fi
	done
	exit "$rc"
	;;
dpkg)
	if [ "$LAB_FAMILY" != debian ]; then echo "sh: 1: dpkg: not found" >&2; exit 127; fi
	case "${1:-}" in
	--print-architecture) echo "$LAB_ARCH" ;;
	*) echo "dpkg: lab stand-in: only --print-architecture is supported" >&2; exit 2 ;;
	esac
	;;
rpm)
	# rpm --root $STNS_FLEET_ROOT -q: the lab's database is the tree's already.
	case "${1:-}" in
	--root) shift 2 ;;
	--root=*) shift ;;
	esac
	[ "${1:-}" = -q ] || { echo "rpm: lab stand-in: only [--root DIR] -q NAME... is supported" >&2; exit 1; }
	shift
	rc=0
	for n in "$@"; do
		if v=$(pkg_version "$n"); then echo "$n-$v.$(rpm_arch)"; else echo "package $n is not installed"; rc=$((rc + 1)); fi
	done
	exit "$rc"
	;;
apt-get | yum | dnf)
	sub=""
	names=""
	while [ $# -gt 0 ]; do
		case "$1" in
		-o | -c | -t) shift ;;
		-*) ;;
		*) if [ -z "$sub" ]; then sub="$1"; else names="$names $1"; fi ;;
		esac
		shift
	done
	case "$sub" in
	update | makecache) echo "Reading package lists... Done" ;;
	install)
		repo=unknown
		for n in $names; do
			case "$n" in
			libnss-stns-v2 | cache-stnsd)
				[ "$repo" != unknown ] || { repo_configured && repo=yes || repo=no; }
				if [ "$repo" = no ]; then
					if [ "$tool" = apt-get ]; then echo "E: Unable to locate package $n" >&2; exit 100; fi
					echo "No match for argument: $n" >&2
					echo "Error: Unable to find a match: $n" >&2
					exit 1
				fi
				;;
			esac
		done
		for n in $names; do install_one "$n" || exit 100; done
		echo "stns-fleet lab: installed$names"
		;;
	*) echo "$tool: lab stand-in: '$sub' is not supported (update, install)" >&2; exit 100 ;;
	esac
	;;
*)
	echo "packages.sh: unknown tool $tool" >&2
	exit 2
	;;
esac
