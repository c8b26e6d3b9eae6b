// The human summary of one host's changes: one line per file, then what sshd and NSS will effectively do and
// the packages. Shared by `render` and `plan` (text and Markdown).
import { changeSymbol } from './diff.js';
import { hostChanges, type HostChanges, type NssChange, type PackageChange, type PlannedFile, type SshdChange } from '../plan/changes.js';
import type { HostPlan } from '../plan/host-plan.js';
import type { KeysCommand } from '../sshd/strategy.js';

/** A file mode as people write it: 0644. */
export const modeText = (m: number): string => m.toString(8).padStart(4, '0');

function keys(k: KeysCommand | undefined): string {
  return k ? `"${k.command}" as ${k.user} (${k.source})` : 'unset';
}

/** One line per file worth a line (absent and staying absent is not), paths padded to one column. */
function fileLines(files: PlannedFile[]): string[] {
  const w = Math.max(...files.map((f) => f.path.length));
  return files
    .filter((f) => !f.absent)
    .map((f) => {
      const owner = f.ownership === 'enforce' ? ` ${modeText(f.mode)} root:root` : '';
      const repo = f.role === 'repo' && f.action !== 'noop' ? ' (the STNS package repository, for the install)' : '';
      return `${changeSymbol(f)} ${f.path.padEnd(w)}  ${f.action === 'noop' ? 'in sync' : f.action}${f.action === 'noop' ? '' : owner}${repo}`;
    });
}

function sshdLines(s: SshdChange): string[] {
  if (s.alreadyRight) return [`sshd: AuthorizedKeysCommand ${keys(s.before)}: already right`];
  return [`sshd: AuthorizedKeysCommand ${keys(s.before)}`, `   → ${keys(s.after)}${s.chainsEic ? '; EC2 Instance Connect keys still served after STNS keys' : ''}`];
}

function nssLine(n: NssChange): string {
  const b = n.before?.join(' ') ?? '(no line)';
  const a = n.after?.join(' ') ?? '(no line)';
  return `nss ${n.database}: ${b}${a === b ? ' (unchanged)' : ` → ${a}`}`;
}

function packagesLine(p: PackageChange): string {
  if (p.state === 'install') return `packages: ${p.packages.join(' ')} via ${p.manager} (installed by the host script only if missing)`;
  return p.state === 'unsupported' ? `packages: ${p.reason}` : 'packages: already installed';
}

export function describeChanges(c: HostChanges): string[] {
  return [...fileLines(c.files), ...sshdLines(c.sshd), ...c.nss.map(nssLine), packagesLine(c.packages)];
}

/** describeChanges of a host plan (render, and tests that hold a HostPlan). */
export function describeOutcome(plan: HostPlan): string[] {
  return describeChanges(hostChanges(plan));
}
