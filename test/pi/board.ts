// Helpers for the Raspberry Pi script tests (not a test file): a board laid out under a root directory (its
// /proc and /sys faked as plain files, which the scripts read under STNS_FLEET_ROOT or in a chroot without
// /proc mounted), a stand-in amazon-ssm-agent, and shellcheck.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runSh, type ShResult } from '../helpers/sh.js';
export { shellcheck } from '../helpers/shellcheck.js';

export const OLD_ID = 'mi-0123456789abcdef0';
export const SERIAL = '10000000a1b2c3d4';
export const MAC = 'dc:a6:32:01:02:03';
export const OLD_MACHINE_ID = '0123456789abcdef0123456789abcdef';
export const VAULT_KEY = '/var/lib/amazon/ssm/Vault/Store/RegistrationKey';
export const REGISTRATION = '/var/lib/amazon/ssm/registration';
export const AGENT_LOG = '/var/log/ssm-agent-standin.log';

async function put(root: string, abs: string, content: string, mode = 0o644): Promise<void> {
  const p = path.join(root, abs);
  await mkdir(path.dirname(p), { recursive: true });
  await writeFile(p, content, { mode });
  await chmod(p, mode);
}

/** A registered Raspberry Pi under `root`: kernel files, registration, machine-id, agent credentials. */
export async function seedBoard(root: string, o: { serial?: string; mac?: string; id?: string; ip?: string } = {}): Promise<void> {
  const id = o.id ?? OLD_ID;
  await put(root, '/proc/cpuinfo', `processor\t: 0\nHardware\t: BCM2835\nRevision\t: d03115\nSerial\t\t: ${o.serial ?? SERIAL}\nModel\t\t: Raspberry Pi 4 Model B Rev 1.5\n`);
  await put(root, '/proc/device-tree/model', 'Raspberry Pi 4 Model B Rev 1.5\0');
  await put(root, '/proc/sys/kernel/random/boot_id', '3f1e2d3c-1111-2222-3333-444455556666\n');
  await put(root, '/proc/net/fib_trie', `Main:\n  +-- 0.0.0.0/0 3 0 5\n     |-- ${o.ip ?? '192.168.1.20'}\n        /32 host LOCAL\nLocal:\n     |-- 127.0.0.1\n        /32 host LOCAL\n`);
  await put(root, '/proc/net/if_inet6', '20010db8000000000000000000000020 02 40 00 80     eth0\nfe80000000000000dea632fffe010203 02 40 20 80     eth0\n00000000000000000000000000000001 01 80 10 80       lo\n');
  await put(root, '/sys/class/net/eth0/address', `${o.mac ?? MAC}\n`);
  await put(root, '/sys/class/net/lo/address', '00:00:00:00:00:00\n');
  await put(root, '/etc/hostname', 'raspberrypi\n');
  await put(root, '/etc/machine-id', `${OLD_MACHINE_ID}\n`, 0o444);
  await put(root, '/var/lib/amazon/ssm/Vault/Manifest', '{"RegistrationKey":"Store/RegistrationKey"}', 0o600);
  await put(root, VAULT_KEY, JSON.stringify({ InstanceID: id, Region: 'ap-northeast-1', PrivateKey: 'OLD-PRIVATE-KEY', PrivateKeyType: 'Rsa' }), 0o600);
  await put(root, '/var/lib/amazon/ssm/Vault/Store/InstanceFingerprint', '{"fingerprint":"old"}', 0o600);
  await put(root, REGISTRATION, JSON.stringify({ ManagedInstanceID: id, Region: 'ap-northeast-1' }));
  await put(root, `/var/lib/amazon/ssm/${id}/document/state/current/.keep`, '');
  await put(root, '/root/.aws/credentials', '[default]\naws_access_key_id = ASIAOLD\naws_secret_access_key = old\naws_session_token = old\n', 0o600);
}

/**
 * A stand-in amazon-ssm-agent: records every call (and, for the tests, the machine-id and the code it was
 * given), answers -register -clear and -register -code/-id/-region as the real one does on disk, fails for a
 * code that starts with EXPIRED, and echoes the code (the caller must scrub it). Honours STNS_FLEET_ROOT.
 */
export const STANDIN_AGENT = `#!/bin/sh
R="\${STNS_FLEET_ROOT:-}"
R="\${R%/}"
L="$R${AGENT_LOG}"
S="$R/var/lib/amazon/ssm/Vault/Store"
mkdir -p "$(dirname "$L")"
code="" id="" region="" clear=0 yes=0 register=0 verbs=""
while [ $# -gt 0 ]; do
	case "$1" in
	-register) register=1; verbs="$verbs -register" ;;
	-clear) clear=1; verbs="$verbs -clear" ;;
	-y) yes=1; verbs="$verbs -y" ;;
	-code) code="$2"; verbs="$verbs -code"; shift ;;
	-id) id="$2"; verbs="$verbs -id $2"; shift ;;
	-region) region="$2"; verbs="$verbs -region $2"; shift ;;
	esac
	shift
done
printf 'call%s\\n' "$verbs" >>"$L"
[ "$register" = 1 ] || exit 2
if [ -z "$code" ] || [ -z "$id" ] || [ -z "$region" ]; then
	if [ "$clear" = 1 ]; then
		rm -f "$S/RegistrationKey" "$S/InstanceFingerprint"
		echo "Registration information has been removed from the instance."
		exit 0
	fi
	exit 1
fi
printf 'machine-id-at-register %s\\n' "$(cat "$R/etc/machine-id")" >>"$L"
printf 'code-at-register %s\\n' "$code" >>"$L"
echo "registering with code $code"
case "$code" in EXPIRED*) echo "ActivationExpired: activation $id has expired ($code)" >&2; exit 1 ;; esac
if [ -s "$S/RegistrationKey" ] && [ "$yes" != 1 ]; then echo "already registered" >&2; exit 1; fi
new="mi-$(od -An -N9 -tx1 /dev/urandom | tr -d ' \\n' | cut -c1-17)"
mkdir -p "$S"
printf '{"InstanceID":"%s","Region":"%s","PrivateKey":"NEW-PRIVATE-KEY","PrivateKeyType":"Rsa"}' "$new" "$region" >"$S/RegistrationKey"
printf '{"ManagedInstanceID":"%s","Region":"%s"}' "$new" "$region" >"$R/var/lib/amazon/ssm/registration"
echo "Successfully registered the instance with AWS SSM using Managed instance-id: $new"
`;

/** An init script so Debian's `service amazon-ssm-agent stop|start` (no systemd in a chroot) is recorded. */
export const STANDIN_INIT = `#!/bin/sh
echo "service $1" >>${AGENT_LOG}
exit 0
`;

export async function installStandins(root: string, o: { init?: boolean } = {}): Promise<void> {
  await put(root, '/usr/bin/amazon-ssm-agent', STANDIN_AGENT, 0o755);
  if (o.init) await put(root, '/etc/init.d/amazon-ssm-agent', STANDIN_INIT, 0o755);
}

export async function agentLog(root: string): Promise<string[]> {
  return (await readFile(path.join(root, AGENT_LOG), 'utf8').catch(() => '')).split('\n').filter(Boolean);
}

/** Runs a script with /bin/sh on this machine, STNS_FLEET_ROOT=root, extra PATH entries first. */
export function runOnTree(script: string, root: string, o: { path?: string; args?: string[]; env?: Record<string, string> } = {}): Promise<ShResult> {
  return runSh(script, { PATH: `${o.path ? `${o.path}:` : ''}/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`, STNS_FLEET_ROOT: root, ...o.env }, o.args ?? []);
}

/** Waits until `read()` gives something `done` accepts (the detached worker runs on after its launcher). */
export async function waitFor<T>(read: () => Promise<T>, done: (v: T) => boolean, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  let v = await read();
  while (!done(v) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    v = await read();
  }
  return v;
}

export function statusOf(text: string): Record<string, string> {
  return Object.fromEntries(text.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}
