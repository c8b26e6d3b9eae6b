#!/bin/sh
# stns-fleet lab stand-in served by the lab process: `served.sh NAME ARGS...` asks the lab
# (POST $STNS_FLEET_LAB_URL/_lab/NAME) what NAME would answer on this host's tree, instead of starting a node
# process per call (sshd -t runs twice in every converge, getent and the key wrapper twice each in every
# verify: issue #15). The request is the tree, then each argument, each ended by a NUL; the answer is a few
# lines of sh that print the stand-in's stdout and stderr and exit with its status (served-standins.ts). A lab
# that does not answer is a command that cannot run (255).
set -u
name=$1
shift
if ! answer=$(printf '%s\0' "${STNS_FLEET_ROOT:-}" "$@" | curl -sS --fail --max-time 60 --data-binary @- -H 'content-type: application/octet-stream' "${STNS_FLEET_LAB_URL:?}/_lab/$name"); then
	echo "$name: lab stand-in: the lab at ${STNS_FLEET_LAB_URL} did not answer" >&2
	exit 255
fi
eval "$answer"
