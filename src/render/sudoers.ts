// harden_sudo: true — take passwordless root away from the two accounts a cloned Raspberry Pi / SSM image
// hands out: ssm-user (the SSM agent's Session Manager user) and the image's first user (pi).
//
// Decisions (docs/raspberry-pi.md):
// - /etc/sudoers.d/ssm-agent-users is REWRITTEN with no rule, never deleted: the agent creates it with
//   `ssm-user ALL=(ALL) NOPASSWD:ALL` whenever it is missing (amazon-ssm-agent
//   agent/session/utility/utility_unix.go, createSudoersFileIfNotPresent), so a deleted file comes back at
//   the next Session Manager session. It is created on hosts that have /etc/sudoers (sudo installed) even
//   when the agent has not written it yet, so that it never does.
// - /etc/sudoers.d/010_pi-nopasswd is rewritten with every rule that says NOPASSWD commented out (the
//   whole logical line, continuations included); every other line is kept byte for byte. The image's user
//   stays in group sudo, so `%sudo ALL=(ALL:ALL) ALL` in /etc/sudoers still gives it sudo WITH its
//   password. The file is never created (absent means there is nothing to disable).
// - SSM Run Command runs as root, so stns-fleet itself never needs either rule: no lockout of automation.
// Both files are 0440 root:root and validated with `visudo -c -f` before they are put in place
// (templates/host/converge.sh, role 'sudoers'), then the whole configuration with `visudo -c`.
import { readText, type HostSnapshot } from '../host/snapshot.js';
import type { DesiredFile } from './desired.js';

export const SSM_SUDOERS = '/etc/sudoers.d/ssm-agent-users';
export const PI_NOPASSWD_SUDOERS = '/etc/sudoers.d/010_pi-nopasswd';
export const SUDOERS = '/etc/sudoers';
/** What facts must read for harden_sudo (src/render/watch.ts). */
export const SUDOERS_WATCH = [SUDOERS, SSM_SUDOERS, PI_NOPASSWD_SUDOERS];

export const SSM_SUDOERS_HARDENED = [
  '# Managed by stns-fleet (harden_sudo: true): ssm-user has no sudo rights on this host.',
  '# The SSM agent writes "ssm-user ALL=(ALL) NOPASSWD:ALL" here whenever this file is missing,',
  '# so it is kept, with no rule, instead of being deleted.',
  '',
].join('\n');

const DISABLED = '# disabled by stns-fleet (harden_sudo): ';
const HEADER = '# Managed by stns-fleet (harden_sudo: true): passwordless sudo is disabled below; members of group sudo\n# still get sudo with their password (the %sudo rule in /etc/sudoers).\n';

/** Comments out every rule that carries NOPASSWD or `!authenticate` (a logical line: `\`-continued lines count as one). */
export function disableNopasswd(text: string): string {
  const lines = text.split('\n');
  const out: string[] = [];
  let changed = false;
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    while (i < lines.length - 1 && /\\$/.test(lines[i]!) && !/^\s*#/.test(lines[start]!)) i++;
    const logical = lines.slice(start, i + 1);
    const first = logical[0]!;
    const isComment = /^\s*#/.test(first) && !/^\s*#include/.test(first);
    if (!isComment && /(^|[\s:,()=])NOPASSWD\s*:|!\s*authenticate\b/.test(logical.join(' '))) {
      changed = true;
      out.push(...logical.map((l) => `${DISABLED}${l}`));
    } else out.push(...logical);
  }
  if (!changed) return text;
  return text.startsWith(HEADER) ? out.join('\n') : `${HEADER}${out.join('\n')}`;
}

/** The sudoers files harden_sudo wants on this host (none when the host has nothing to harden). */
export function hardenedSudoers(snapshot: HostSnapshot): DesiredFile[] {
  const files: DesiredFile[] = [];
  if (snapshot.files.has(SUDOERS) || snapshot.files.has(SSM_SUDOERS)) {
    files.push({ path: SSM_SUDOERS, content: Buffer.from(SSM_SUDOERS_HARDENED), mode: 0o440, ownership: 'enforce', role: 'sudoers' });
  }
  const pi = readText(snapshot, PI_NOPASSWD_SUDOERS);
  if (pi !== undefined) {
    files.push({ path: PI_NOPASSWD_SUDOERS, content: Buffer.from(disableNopasswd(pi)), mode: 0o440, ownership: 'enforce', role: 'sudoers' });
  }
  return files;
}
