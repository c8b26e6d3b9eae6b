#!/bin/sh
# stns-fleet lab stand-in for systemctl and service (`services.sh TOOL ARGS...`). Every unit action succeeds
# and changes nothing, except for amazon-ssm-agent: stop/start/restart record the agent's state in
# $STNS_FLEET_ROOT/var/lib/stns-fleet-lab/agent ("running|stopped <epoch ms>"), which the lab reads to route
# commands (a board whose agent is stopped does not answer; one that (re)started answers its ID's next command,
# see src/fleet.ts). Milliseconds, as the amazon-ssm-agent stand-in writes them.
# And cache-stnsd (installed: $STNS_FLEET_ROOT/usr/sbin/cache-stnsd): start (when not running) and restart take a
# copy of /etc/stns/client/stns.conf and empty its cache, stop stops it; the lab's model of the daemon is
# lab-bin/lib/cache-stnsd.mjs, state under $STNS_FLEET_ROOT/var/lib/stns-fleet-lab/cache-stnsd/. The host script
# calls this on a directory host only with STNS_FLEET_LAB_SERVICES=1, which the lab sets.
set -u
R="${STNS_FLEET_ROOT:-}"
R="${R%/}"
tool="$1"
shift
if [ "$tool" = service ]; then
	unit="${1:-}"
	action="${2:-}"
else
	action=""
	unit=""
	for a in "$@"; do
		case "$a" in
		-*) ;;
		*) if [ -z "$action" ]; then action="$a"; elif [ -z "$unit" ]; then unit="$a"; fi ;;
		esac
	done
fi
# is-active / status of a unit whose state file says "running …" or "stopped …".
report_state() { # name state-file (then the command's own words in $@ for --quiet)
	name="$1"
	file="$2"
	shift 2
	if grep -q '^running' "$file" 2>/dev/null; then
		[ "$action" = status ] && echo "$name is running"
		[ "$action" = is-active ] && case " $* " in *" --quiet "* | *" -q "*) ;; *) echo active ;; esac
		exit 0
	fi
	[ "$action" = is-active ] && echo inactive
	exit 3
}
now() {
	t=$(date +%s%3N 2>/dev/null)
	case "$t" in '' | *[!0-9]*) t="$(date +%s)000" ;; esac
	echo "$t"
}
case "$unit" in
amazon-ssm-agent | amazon-ssm-agent.service | snap.amazon-ssm-agent.amazon-ssm-agent.service) ;;
cache-stnsd | cache-stnsd.service)
	S="$R/var/lib/stns-fleet-lab/cache-stnsd"
	if [ ! -x "$R/usr/sbin/cache-stnsd" ]; then
		case "$action" in
		is-active) case " $* " in *" --quiet "* | *" -q "*) ;; *) echo inactive ;; esac; exit 3 ;;
		status) echo "Unit cache-stnsd.service could not be found." >&2; exit 4 ;;
		*) echo "Failed to $action cache-stnsd.service: Unit cache-stnsd.service not found." >&2; exit 5 ;;
		esac
	fi
	case "$action" in
	start | restart)
		if [ "$action" = start ] && grep -q '^running' "$S/state" 2>/dev/null; then exit 0; fi
		if [ ! -r "$R/etc/stns/client/stns.conf" ]; then
			echo "Job for cache-stnsd.service failed because the control process exited with error code." >&2
			printf 'stopped %s\n' "$(now)" >"$S/state" 2>/dev/null
			exit 1
		fi
		rm -rf "$S" && mkdir -p "$S/cache" && cp "$R/etc/stns/client/stns.conf" "$S/stns.conf" && printf 'running %s\n' "$(now)" >"$S/state"
		exit
		;;
	stop) mkdir -p "$S" && rm -rf "$S/cache" && printf 'stopped %s\n' "$(now)" >"$S/state" ;;
	is-active | status) report_state cache-stnsd "$S/state" "$@" ;;
	esac
	exit 0
	;;
*) exit 0 ;;
esac
state="$R/var/lib/stns-fleet-lab/agent"
case "$action" in
stop) printf 'stopped %s\n' "$(now)" >"$state" ;;
start | restart) printf 'running %s\n' "$(now)" >"$state" ;;
is-active | status) report_state amazon-ssm-agent "$state" "$@" ;;
*) ;;
esac
exit 0
