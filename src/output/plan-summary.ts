// The human summary of one host's plan: one line per file, then what sshd and NSS will effectively do.
// Shared by `render` and `plan`.
import { changeSymbol } from './diff.js';
import type { HostPlan } from '../plan/host-plan.js';
import { NSS_DATABASES } from '../render/nsswitch.js';
import type { KeysCommand } from '../sshd/strategy.js';

const MODE = (m: number): string => m.toString(8).padStart(4, '0');

function keys(k: KeysCommand | undefined): string {
  return k ? `"${k.command}" as ${k.user} (${k.source})` : 'unset';
}

export function describeOutcome(plan: HostPlan): string[] {
  const d = plan.desired;
  const lines: string[] = [];
  const w = Math.max(...plan.changes.map((c) => c.file.path.length));
  for (const c of plan.changes) {
    if (c.action === 'noop' && c.file.content === null) continue; // absent and staying absent: not worth a line
    const owner = c.file.ownership === 'enforce' ? ` ${MODE(c.file.mode)} root:root` : '';
    const repo = c.file.role === 'repo' && c.action !== 'noop' ? ' (the STNS package repository, for the install)' : '';
    lines.push(`${changeSymbol(c)} ${c.file.path.padEnd(w)}  ${c.action === 'noop' ? 'in sync' : c.action}${c.action === 'noop' ? '' : owner}${repo}`);
  }
  const s = d.sshd;
  if (s.strategy === 'unchanged' && !s.error) lines.push(`sshd: AuthorizedKeysCommand ${keys(s.before)}: already right`);
  else {
    lines.push(`sshd: AuthorizedKeysCommand ${keys(s.before)}`);
    lines.push(`   → ${keys(s.after)}${s.chainsEic ? '; EC2 Instance Connect keys still served after STNS keys' : ''}`);
  }
  for (const db of NSS_DATABASES) {
    const b = d.nss.before[db]?.join(' ') ?? '(no line)';
    const a = d.nss.after[db]?.join(' ') ?? '(no line)';
    lines.push(`nss ${db}: ${b}${a === b ? ' (unchanged)' : ` → ${a}`}`);
  }
  if (d.packages) {
    lines.push(`packages: ${d.packages.packages.join(' ')} via ${d.packages.manager} (installed by the host script only if missing)`);
  } else if (d.packagesUnsupported) lines.push(`packages: ${d.packagesUnsupported}`);
  else lines.push('packages: already installed');
  return lines;
}
