// harden_sudo: true — take passwordless root away from the accounts a cloned Raspberry Pi / SSM image hands
// out: ssm-user (the SSM agent's Session Manager user) and the image's first user, whatever its name and
// whichever file gives it the rule (010_pi-nopasswd on bookworm images, 90-cloud-init-users where cloud-init
// made the default user, a renamed copy, …). Nothing is assumed about file or user names: every file sudo reads
// in /etc/sudoers.d is looked at, and what is changed is reported line by line (plan notes).
//
// Decisions (docs/raspberry-pi.md):
// - /etc/sudoers.d/ssm-agent-users is REWRITTEN with no rule, never deleted: the agent creates it with
//   `ssm-user ALL=(ALL) NOPASSWD:ALL` whenever it is missing (amazon-ssm-agent
//   agent/session/utility/utility_unix.go, createSudoersFileIfNotPresent), so a deleted file comes back at
//   the next Session Manager session. It is created on hosts that have /etc/sudoers (sudo installed) even
//   when the agent has not written it yet, so that it never does.
// - /etc/sudoers.d/010_pi-nopasswd (the image's own file for its first user) is rewritten with every rule that
//   says NOPASSWD commented out (the whole logical line, continuations included).
// - Every other file sudo reads in /etc/sudoers.d (a name without a dot that does not end in ~) is rewritten
//   with its UNRESTRICTED passwordless rules commented out: NOPASSWD rules whose command list is ALL, and any
//   `!authenticate`. A NOPASSWD rule for listed commands only (a monitoring or deploy account's) is kept and
//   reported, because disabling it would break that automation and it does not hand out root.
// - Every other line is kept byte for byte; a file with nothing to disable is not touched and never created.
//   The users stay in their groups, so `%sudo ALL=(ALL:ALL) ALL` (or %wheel) still gives them sudo WITH their
//   password; a user without a password (a trixie image's first user until one is set) has no sudo then.
// - /etc/sudoers and /etc/sudoers-rs (which sudo-rs reads instead of /etc/sudoers when it exists) are never
//   edited: a passwordless rule found there is a warning saying where, to remove by hand with visudo.
// - SSM Run Command runs as root, so stns-fleet itself never needs any of these rules: no lockout of automation.
// Every changed file is 0440 root:root and validated with `visudo -c -f` before it is put in place
// (templates/host/converge.sh, role 'sudoers'), then the whole configuration with `visudo -c`.
import { byteOrder, listDir, readText, type HostSnapshot } from '../model/host-snapshot.js';
import type { DesiredFile } from './desired-file.js';

export const SSM_SUDOERS = '/etc/sudoers.d/ssm-agent-users';
export const PI_NOPASSWD_SUDOERS = '/etc/sudoers.d/010_pi-nopasswd';
/** cloud-init's rule for its default user (`<user> ALL=(ALL) NOPASSWD:ALL`), on cloud images and trixie Pi images. */
export const CLOUD_INIT_SUDOERS = '/etc/sudoers.d/90-cloud-init-users';
export const SUDOERS = '/etc/sudoers';
/** sudo-rs reads this instead of /etc/sudoers when it exists (sudo-rs src/sudo/mod.rs candidate_sudoers_file). */
export const SUDOERS_RS = '/etc/sudoers-rs';
const SUDOERS_DIR = '/etc/sudoers.d';
/** What facts must read for harden_sudo (src/render/watch.ts): the main files and the drop-ins known by name
 * (read even where the facts cannot list a directory's every file yet), plus the whole directory. */
export const SUDOERS_WATCH = [SUDOERS, SUDOERS_RS, SSM_SUDOERS, PI_NOPASSWD_SUDOERS, CLOUD_INIT_SUDOERS];
export const SUDOERS_DIR_WATCH = { dir: SUDOERS_DIR, suffix: '' };

export const SSM_SUDOERS_HARDENED = [
  '# Managed by stns-fleet (harden_sudo: true): ssm-user has no sudo rights on this host.',
  '# The SSM agent writes "ssm-user ALL=(ALL) NOPASSWD:ALL" here whenever this file is missing,',
  '# so it is kept, with no rule, instead of being deleted.',
  '',
].join('\n');

const DISABLED = '# disabled by stns-fleet (harden_sudo): ';
const HEADER = '# Managed by stns-fleet (harden_sudo: true): passwordless sudo is disabled below; members of group sudo\n# still get sudo with their password (the %sudo rule in /etc/sudoers).\n';

/** A passwordless rule of a sudoers file: where it starts (1-based), its text, who it is for. */
interface NopasswdRule {
  line: number;
  text: string;
  who: string;
  /** Its command list is ALL (or it is `!authenticate`): passwordless root. */
  unrestricted: boolean;
}

const NOPASSWD = /(^|[\s:,()=])NOPASSWD\s*:/;
const NO_AUTH = /!\s*authenticate\b/;

function isUnrestricted(rule: string): boolean {
  if (NO_AUTH.test(rule)) return true;
  const m = NOPASSWD.exec(rule);
  if (!m) return false;
  // After the tag: more tags (SETENV:) and the command list, which may name further Runas/host specs after ':'.
  return rule
    .slice(m.index + m[0].length)
    .split(/[,:]/)
    .some((item) => item.trim() === 'ALL');
}

/** Every logical rule (`\`-continued lines count as one) of a sudoers text that carries NOPASSWD or `!authenticate`. */
export function nopasswdRules(text: string): NopasswdRule[] {
  const lines = text.split('\n');
  const out: NopasswdRule[] = [];
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    while (i < lines.length - 1 && /\\$/.test(lines[i]!) && !/^\s*#/.test(lines[start]!)) i++;
    const logical = lines.slice(start, i + 1);
    const first = logical[0]!;
    const isComment = /^\s*#/.test(first) && !/^\s*#include/.test(first);
    const joined = logical.join(' ');
    if (!isComment && (NOPASSWD.test(joined) || NO_AUTH.test(joined))) {
      const head = first.trim().split(/\s+/)[0] ?? '';
      // `Defaults:deploy !authenticate` is for deploy; a rule's first word is its user list.
      const who = /^Defaults[:>@!]/.test(head) ? head.replace(/^Defaults[:>@!]/, '') : head;
      out.push({ line: start + 1, text: logical.map((l) => l.trim()).join(' '), who, unrestricted: isUnrestricted(joined) });
    }
  }
  return out;
}

/** Comments out every rule that carries NOPASSWD or `!authenticate` (a logical line: `\`-continued lines count as
 * one), or with `only: 'unrestricted'` only those that give passwordless root (command list ALL, !authenticate). */
export function disableNopasswd(text: string, o: { only?: 'unrestricted' } = {}): string {
  const rules = nopasswdRules(text).filter((r) => o.only !== 'unrestricted' || r.unrestricted);
  if (rules.length === 0) return text;
  const lines = text.split('\n');
  const starts = new Set(rules.map((r) => r.line - 1));
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!starts.has(i)) {
      out.push(lines[i]!);
      continue;
    }
    const start = i;
    while (i < lines.length - 1 && /\\$/.test(lines[i]!)) i++;
    out.push(...lines.slice(start, i + 1).map((l) => `${DISABLED}${l}`));
  }
  return text.startsWith(HEADER) ? out.join('\n') : `${HEADER}${out.join('\n')}`;
}

/** The drop-ins sudo reads: sudoers(5) @includedir skips names that contain a dot or end in ~. */
function sudoersDropIns(s: HostSnapshot): string[] {
  return listDir(s, SUDOERS_DIR)
    .filter((p) => {
      const name = p.slice(SUDOERS_DIR.length + 1);
      return !name.includes('.') && !name.endsWith('~');
    })
    .sort(byteOrder);
}

interface SudoHardening {
  files: DesiredFile[];
  /** What changes, rule by rule (plan notes). */
  notes: string[];
  /** Passwordless rules stns-fleet leaves in place (main files). */
  warnings: string[];
}

const sudoersFile = (path: string, content: string): DesiredFile => ({ path, content: Buffer.from(content), mode: 0o440, ownership: 'enforce', role: 'sudoers' });

/** The sudoers files harden_sudo wants on this host (none when the host has nothing to harden), and why. */
export function planSudoHardening(snapshot: HostSnapshot): SudoHardening {
  const out: SudoHardening = { files: [], notes: [], warnings: [] };
  const ssm = readText(snapshot, SSM_SUDOERS);
  if (snapshot.files.has(SUDOERS) || snapshot.files.has(SUDOERS_RS) || ssm !== undefined) {
    out.files.push(sudoersFile(SSM_SUDOERS, SSM_SUDOERS_HARDENED));
    if (ssm === undefined) out.notes.push(`harden_sudo: ${SSM_SUDOERS} is created with no rule, so that the SSM agent never writes ssm-user's passwordless one`);
    else if (ssm !== SSM_SUDOERS_HARDENED) {
      const rules = nopasswdRules(ssm).map((r) => `line ${r.line}: ${r.text}`);
      out.notes.push(`harden_sudo: ${SSM_SUDOERS} is rewritten with no rule${rules.length ? ` (had ${rules.join('; ')})` : ''}`);
    }
  }
  for (const path of sudoersDropIns(snapshot)) {
    if (path === SSM_SUDOERS) continue;
    const text = readText(snapshot, path)!;
    const only = path === PI_NOPASSWD_SUDOERS ? undefined : ('unrestricted' as const);
    const rules = nopasswdRules(text);
    const hardened = disableNopasswd(text, only ? { only } : {});
    for (const r of rules) {
      if (!only || r.unrestricted) out.notes.push(`harden_sudo: ${path}:${r.line}: passwordless sudo disabled for ${r.who} (${r.text})`);
      else out.notes.push(`harden_sudo: ${path}:${r.line}: kept: ${r.who} may run only the commands it lists without a password (${r.text})`);
    }
    // Changed, or hardened before (our header): either way a managed file, shown in plan ("in sync" once applied).
    if (hardened !== text || text.startsWith(HEADER)) out.files.push(sudoersFile(path, hardened));
  }
  for (const main of [SUDOERS, SUDOERS_RS]) {
    const text = readText(snapshot, main);
    if (text === undefined) continue;
    for (const r of nopasswdRules(text).filter((x) => x.unrestricted)) {
      out.warnings.push(`harden_sudo leaves ${main} alone: line ${r.line} gives ${r.who} passwordless sudo (${r.text}); remove it there with visudo`);
    }
  }
  if (snapshot.files.has(SUDOERS_RS)) out.notes.push(`sudo-rs reads ${SUDOERS_RS} instead of ${SUDOERS} on this host (classic sudo still reads ${SUDOERS})`);
  return out;
}

/** The sudoers files harden_sudo wants on this host (none when the host has nothing to harden). */
function hardenedSudoers(snapshot: HostSnapshot): DesiredFile[] {
  return planSudoHardening(snapshot).files;
}
