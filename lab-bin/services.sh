#!/bin/sh
# stns-fleet lab stand-in for systemctl and service (`services.sh TOOL ARGS...`). Every unit action succeeds
# and changes nothing, except for amazon-ssm-agent: stop/start/restart record the agent's state in
# $STNS_FLEET_ROOT/var/lib/stns-fleet-lab/agent ("running|stopped <epoch ms>"), which the lab reads to route
# commands (a board whose agent is stopped does not answer; one that (re)started answers its ID's next command,
# see src/lab/fleet.ts). Milliseconds, as the amazon-ssm-agent stand-in writes them.
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
case "$unit" in
amazon-ssm-agent | amazon-ssm-agent.service | snap.amazon-ssm-agent.amazon-ssm-agent.service) ;;
*) exit 0 ;;
esac
state="$R/var/lib/stns-fleet-lab/agent"
now() {
	t=$(date +%s%3N 2>/dev/null)
	case "$t" in '' | *[!0-9]*) t="$(date +%s)000" ;; esac
	echo "$t"
}
case "$action" in
stop) printf 'stopped %s\n' "$(now)" >"$state" ;;
start | restart) printf 'running %s\n' "$(now)" >"$state" ;;
is-active | status)
	if grep -q '^running' "$state" 2>/dev/null; then
		[ "$action" = status ] && echo "amazon-ssm-agent is running"
		[ "$action" = is-active ] && case " $* " in *" --quiet "* | *" -q "*) ;; *) echo active ;; esac
		exit 0
	fi
	[ "$action" = is-active ] && echo inactive
	exit 3
	;;
*) ;;
esac
exit 0
