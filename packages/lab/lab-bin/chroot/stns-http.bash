# shellcheck shell=bash
# stns-fleet lab, inside a chroot host (a Debian rootfs without curl or Node): ask the STNS server named in
# /etc/stns/client/stns.conf with bash's /dev/tcp. Sourced by the stns-key-wrapper and getent of the
# lab's dummy libnss-stns-v2 package. http:// endpoints only (the lab's server is plain HTTP on loopback).

# The value of a top-level TOML key: a basic string ("…" with \" and \\ escapes) or a bare word.
stns_conf() { # key [file]
	local f="${2:-/etc/stns/client/stns.conf}" line v
	[ -r "$f" ] || return 1
	while IFS= read -r line; do
		case "$line" in \[*) return 1 ;; esac
		[[ "$line" =~ ^[[:space:]]*$1[[:space:]]*=[[:space:]]*(.*)$ ]] || continue
		v="${BASH_REMATCH[1]}"
		if [[ "$v" == \"* ]]; then
			v="${v#\"}"
			v="${v%%\"[[:space:]]}"
			v="${v%\"}"
			v="${v//\\\"/\"}"
			v="${v//\\\\/\\}"
		fi
		printf '%s' "$v"
		return 0
	done <"$f"
	return 1
}

# GET <api_endpoint>/<query>; the body on stdout when the server answers 200, else fail.
stns_get() { # query
	local ep token hostport host port path status line
	ep=$(stns_conf api_endpoint) || ep="http://localhost:1104/v1"
	token=$(stns_conf auth_token) || token=""
	[[ "$ep" =~ ^http://([^/]+)(/.*)?$ ]] || return 1
	hostport="${BASH_REMATCH[1]}"
	path="${BASH_REMATCH[2]%/}"
	host="${hostport%:*}"
	port="${hostport##*:}"
	[ "$port" = "$hostport" ] && port=80
	exec 3<>"/dev/tcp/$host/$port" || return 1
	printf 'GET %s/%s HTTP/1.0\r\nHost: %s\r\n%sConnection: close\r\n\r\n' "$path" "$1" "$hostport" "${token:+Authorization: token $token$'\r\n'}" >&3
	IFS= read -r status <&3
	[[ "$status" == *" 200 "* ]] || { exec 3<&-; return 1; }
	while IFS= read -r line <&3; do [ "${line%$'\r'}" = "" ] && break; done
	cat <&3
	exec 3<&-
}

# The string values of "name": […] in a JSON object (STNS keys and group members: no quotes inside).
json_strings() { # name
	sed -n "s/.*\"$1\":\[\([^]]*\)\].*/\1/p" | tr ',' '\n' | sed -n 's/^[[:space:]]*"\(.*\)"[[:space:]]*$/\1/p'
}

json_value() { # name: a number or a string
	sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\)\"\{0,1\}[,}].*/\1/p" | head -n 1
}
