#!/bin/sh
# stns-fleet-firstboot: registers this board with AWS Systems Manager from an activation file on the boot
# partition. Installed by `stns-fleet image-prep` as /usr/local/sbin/stns-fleet-firstboot and run by
# stns-fleet-firstboot.service at boot, before amazon-ssm-agent.service, when the file exists.
#
# The file: /boot/firmware/ssm-activation (Raspberry Pi OS bookworm), or /boot/ssm-activation (older images),
# three KEY=VALUE lines, written on the card from any computer:
#   code=<ActivationCode>
#   id=<ActivationId>
#   region=<AWS region>
# It is read as data (never sourced) and shredded once the board is registered. After a failure (no network
# yet, an expired activation) it is kept, so the next boot tries again; the reason is in
# /var/lib/stns-fleet/firstboot.status and `journalctl -u stns-fleet-firstboot`.
# Also makes SSH host keys when the image has none (image-prep removes them so every board gets its own).
# To move a running board to a new ID later: put a new file there and reboot.
set -u
umask 077
R="${STNS_FLEET_ROOT:-}"
R="${R%/}"
D="$R/var/lib/stns-fleet"
A="$R/var/lib/amazon/ssm"
ST="$D/firstboot.status"
mkdir -p "$D"

say() { printf 'stns-fleet-firstboot: %s\n' "$*"; }
status() { # state [key=value …]
	s="$1"
	shift
	{
		printf 'state=%s\ntime=%s\n' "$s" "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
		for kv in "$@"; do printf '%s\n' "$kv" | tr -d '\n'; echo; done
	} >"$ST.new" && mv -f "$ST.new" "$ST"
}
systemd_up() { [ -z "$R" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; }

# --- SSH host keys, before anything that needs the network ----------------------------------------------
if ! ls "$R"/etc/ssh/ssh_host_*_key >/dev/null 2>&1 && command -v ssh-keygen >/dev/null 2>&1; then
	if [ -n "$R" ]; then ssh-keygen -A -f "$R" >/dev/null; else ssh-keygen -A >/dev/null; fi
	say "made new SSH host keys"
	if systemd_up; then
		systemctl reset-failed ssh.service >/dev/null 2>&1 || true
		systemctl try-restart ssh.service >/dev/null 2>&1 || true
	fi
fi

# --- machine-id: systemd fills an empty one at boot; make sure (the agent's fingerprint uses it) ----------
if [ ! -s "$R/etc/machine-id" ]; then
	if [ -z "$R" ] && command -v systemd-machine-id-setup >/dev/null 2>&1; then systemd-machine-id-setup >/dev/null 2>&1; fi
	if [ ! -s "$R/etc/machine-id" ]; then od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$R/etc/machine-id" && echo >>"$R/etc/machine-id"; fi
	chmod 0444 "$R/etc/machine-id"
fi

F=""
for f in "$R/boot/firmware/ssm-activation" "$R/boot/ssm-activation"; do
	if [ -f "$f" ]; then
		F="$f"
		break
	fi
done
if [ -z "$F" ]; then
	say "no ssm-activation file on the boot partition: nothing to register"
	exit 0
fi

val() { sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*//p" "$F" | tr -d '\r' | sed 's/[[:space:]]*$//' | head -n 1; }
code=$(val code)
id=$(val id)
region=$(val region)
if [ ${#code} -lt 20 ] || ! printf '%s' "$id" | grep -Eq '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' ||
	! printf '%s' "$region" | grep -Eq '^[a-z]{2}(-[a-z]+)+-[0-9]+$'; then
	status failed step=read "reason=${F#"$R"} needs code=, id= (a UUID) and region= lines"
	say "${F#"$R"} is not a valid activation file (code=, id=, region= lines): not registering"
	exit 1
fi

agent=""
for b in amazon-ssm-agent /usr/bin/amazon-ssm-agent /snap/amazon-ssm-agent/current/amazon-ssm-agent; do
	if command -v "$b" >/dev/null 2>&1; then
		agent=$(command -v "$b")
		break
	fi
done
if [ -z "$agent" ]; then
	status failed step=preflight "reason=amazon-ssm-agent is not installed"
	say "amazon-ssm-agent is not installed: cannot register"
	exit 1
fi

if systemd_up; then systemctl stop amazon-ssm-agent.service >/dev/null 2>&1 || true; fi
"$agent" -register -clear >/dev/null 2>&1 || true
out=$("$agent" -register -code "$code" -id "$id" -region "$region" -y 2>&1)
rc=$?
# The agent's own words, without the code (compared as data, not as a pattern).
out=$(printf '%s\n' "$out" | SF_C="$code" awk '{ c = ENVIRON["SF_C"]; while ((i = index($0, c)) > 0) $0 = substr($0, 1, i - 1) "(sensitive)" substr($0, i + length(c)); print }' | tail -n 3 | tr '\n' ' ')
if [ "$rc" != 0 ]; then
	status failed step=register "reason=$out"
	say "registration failed (the file is kept for the next boot): $out"
	if systemd_up; then systemctl start amazon-ssm-agent.service >/dev/null 2>&1 || true; fi
	exit 1
fi
new=$(sed -n 's/.*"InstanceID"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$A/Vault/Store/RegistrationKey" 2>/dev/null | head -n 1)
[ -n "$new" ] || new=$(sed -n 's/.*"ManagedInstanceID"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$A/registration" 2>/dev/null | head -n 1)
shred -u "$F" 2>/dev/null || rm -f "$F"
status "done" "new=$new"
say "registered as ${new:-a new managed node}; ${F#"$R"} removed"
if systemd_up; then systemctl start amazon-ssm-agent.service >/dev/null 2>&1 || true; fi
exit 0
