// verify: on each host, ask STNS for every verify user the way sshd and NSS will (stns-key-wrapper, getent)
// and check that sshd, started the way its service starts it, really runs the keys command we expect.
// The script only reads; the judgement (and the reasons) are made here.
import { shq } from '../host-script/generate.js';
import { scrub, type SecretValues } from '../render/secrets.js';
import { KEY_WRAPPER } from '../sshd/strategy.js';
import type { InvocationResult } from '../transport/types.js';

export interface VerifyExpect {
  users: string[];
  testOptions: string[];
  keysCommand?: string;
  keysCommandUser?: string;
}

export interface UserCheck {
  user: string;
  ok: boolean;
  keys: number;
  problem?: string;
}

export interface HostVerdict {
  id: string;
  ok: boolean;
  users: UserCheck[];
  sshd: { ok: boolean; seen?: string; expected?: string };
  problems: string[];
}

const KEY_LINE = "'^\\(ssh-\\|ecdsa-\\|sk-\\)'";

export function verifyScript(e: VerifyExpect): string {
  const opts = e.testOptions.map((o) => ` -o ${shq(o)}`).join('');
  return `#!/bin/sh
# stns-fleet verify (read-only): STNS users and keys as sshd and NSS see them, and sshd's keys command.
R="\${STNS_FLEET_ROOT:-}"
R="\${R%/}"
K="$R${KEY_WRAPPER}"
for u in ${e.users.map(shq).join(' ')}; do
	if [ -x "$K" ]; then out=$("$K" "$u" 2>&1); rc=$?; else out="stns-key-wrapper is not installed"; rc=127; fi
	n=$(printf '%s\\n' "$out" | grep -c ${KEY_LINE})
	msg=$(printf '%s\\n' "$out" | grep -v ${KEY_LINE} | head -n 2 | tr '\\n' ' ' | cut -c1-200)
	printf 'STNS_FLEET_VERIFY keys %s %s %s %s\\n' "$u" "$rc" "$n" "$msg"
	ent=$(getent passwd "$u" 2>&1); rc=$?
	printf 'STNS_FLEET_VERIFY passwd %s %s %s\\n' "$u" "$rc" "$(printf '%s\\n' "$ent" | head -n 1 | cut -d: -f1,3,6)"
done
s=$(command -v sshd 2>/dev/null || echo /usr/sbin/sshd)
"$s" -T${opts} 2>&1 | grep -i '^authorizedkeyscommand' | sed 's/^/STNS_FLEET_VERIFY sshd /'
echo 'STNS_FLEET_VERIFY end'
`;
}

export function keysProblem(rc: number, msg: string): string {
  const m = msg.toLowerCase();
  if (rc === 127) return 'stns-key-wrapper is not installed';
  if (/\b40[13]\b|unauthori[sz]ed|forbidden|token/.test(m)) return `the STNS server rejected the auth token (${msg.trim()})`;
  if (/refused|timed? ?out|timeout|resolve|unreachable|no route|couldn't connect|could not connect|connection/.test(m)) {
    return `the STNS endpoint is unreachable (${msg.trim()})`;
  }
  if (/\b404\b|not found|no such user|unknown user/.test(m)) return 'user unknown to STNS';
  return `stns-key-wrapper failed (exit ${rc}${msg.trim() ? `: ${msg.trim()}` : ''})`;
}

export function judgeVerify(r: InvocationResult, output: string, e: VerifyExpect, secrets: SecretValues): HostVerdict {
  const text = scrub(output, secrets);
  const problems: string[] = [];
  if (!text.includes('STNS_FLEET_VERIFY end')) {
    const why = r.status === 'Success' ? 'the verify output is incomplete' : `the verify command did not run: ${r.status}/${r.statusDetails}`;
    return { id: r.instanceId, ok: false, users: [], sshd: { ok: false }, problems: [why] };
  }
  const users: UserCheck[] = e.users.map((user) => ({ user, ok: true, keys: 0 }));
  for (const l of text.split('\n')) {
    const [tag, kind, user = '', rcs = '', ...rest] = l.split(' ');
    if (tag !== 'STNS_FLEET_VERIFY') continue;
    const u = users.find((x) => x.user === user);
    if (kind === 'keys' && u) {
      const n = Number(rest[0] ?? 0);
      u.keys = n;
      if (Number(rcs) !== 0) Object.assign(u, { ok: false, problem: keysProblem(Number(rcs), rest.slice(1).join(' ')) });
      else if (n === 0) Object.assign(u, { ok: false, problem: 'STNS knows the user but has no SSH keys for it' });
    } else if (kind === 'passwd' && u && u.ok && Number(rcs) !== 0) {
      Object.assign(u, { ok: false, problem: Number(rcs) === 2 ? 'user unknown to NSS (getent passwd): is stns on the passwd line?' : `getent passwd failed (exit ${rcs})` });
    }
  }
  const seen = /^STNS_FLEET_VERIFY sshd authorizedkeyscommand (.*)$/im.exec(text)?.[1]?.trim();
  const sshdOk = e.keysCommand === undefined ? seen !== undefined && seen !== 'none' : seen === e.keysCommand;
  if (!sshdOk) problems.push(`sshd uses AuthorizedKeysCommand ${seen ?? '(none)'}${e.keysCommand ? `, expected ${e.keysCommand}` : ''}`);
  for (const u of users) if (!u.ok) problems.push(`${u.user}: ${u.problem}`);
  return { id: r.instanceId, ok: problems.length === 0, users, sshd: { ok: sshdOk, ...(seen ? { seen } : {}), ...(e.keysCommand ? { expected: e.keysCommand } : {}) }, problems };
}
