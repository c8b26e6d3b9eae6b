#!/usr/bin/env bash
# Side-by-side peer: Ansible doing a stns-client-setup-style job (stns.conf, nsswitch, pam_mkhomedir, an sshd
# drop-in; no package install, no validation, no backup: less work than stns-fleet does) on N Debian 12
# directory hosts made from a stock tree, with the local connection (no SSH, no SSM: the cheapest transport
# Ansible has). Needs ansible-playbook (Debian: apt-get install -y ansible-core).
# Usage: run.sh N [FORKS] [STOCK_TREE]   prints: ansible peer: hosts=N forks=F first=S second=S
set -eu
N=${1:-50}; FORKS=${2:-10}
HERE=$(cd "$(dirname "$0")" && pwd); FIX=${3:?"usage: run.sh N [FORKS] STOCK_TREE"}
command -v ansible-playbook >/dev/null || { echo "ansible-playbook not found (apt-get install -y ansible-core)" >&2; exit 3; }
W=$(mktemp -d /tmp/peer-ansible-XXXX); trap 'rm -rf "$W"' EXIT
{ echo "[fleet]"; for i in $(seq 1 "$N"); do
    d="$W/h$i"; mkdir -p "$d"; cp -a "$FIX/." "$d/"; mkdir -p "$d/etc/ssh/sshd_config.d"
    echo "h$i ansible_connection=local host_root=$d ansible_python_interpreter=/usr/bin/python3"; done; } > "$W/hosts"
t() { local s; s=$(date +%s.%N); ANSIBLE_HOST_KEY_CHECKING=False ansible-playbook -i "$W/hosts" -f "$FORKS" "$HERE/stns-client.yml" >"$W/log" 2>&1 || { grep -m3 -i "fatal\|msg" "$W/log" >&2; exit 1; }; python3 -c "print(round($(date +%s.%N)-$s,2))"; }
first=$(t); second=$(t)
grep -q stns "$W/h1/etc/nsswitch.conf"
echo "ansible peer: hosts=$N forks=$FORKS first=${first}s second=${second}s"
