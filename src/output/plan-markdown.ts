// The plan as Markdown, for a pull request comment or a CI step summary ($GITHUB_STEP_SUMMARY): the counts
// first, then one collapsed <details> per unit of hosts that share a change (its files, sshd, NSS, packages,
// notes and the redacted diffs), units that cannot be planned open, then the hosts that get nothing. Drawn
// from the same structured plan as the text view, so it shows exactly what `plan` shows, secrets included
// as "(sensitive)". Everything that comes from hosts or the inventory is escaped: a Name tag cannot inject
// markup.
import { countByStatus, type FleetPlan, type PlanUnit } from '../plan/fleet-plan.js';
import type { KeysCommand } from '../sshd/strategy.js';
import type { Fleet } from '../targets/fleet.js';
import { changeSymbol, unitDiffs } from './diff.js';

/** For HTML (the <summary> line). */
const html = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** For Markdown text (also safe in a table cell): every ASCII punctuation mark that means something, escaped. */
const md = (s: string): string => s.replace(/[\\`*_{}[\]()<>#+!|~]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');

/** Inline code: a fence longer than any run of backticks inside; `|` escaped so a table cell holds. */
export function code(s: string): string {
  const longest = Math.max(0, ...[...s.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const body = /^`|`$|^ .* $/.test(s) ? ` ${s} ` : s;
  return `${fence}${body.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ')}${fence}`;
}

/** A fenced block whose fence no line of `body` can close (a closing fence may be indented up to 3 spaces:
 * a diff's context line " ```" would close a ``` fence). */
function block(lang: string, body: string): string[] {
  const longest = Math.max(2, ...[...body.matchAll(/^ {0,3}(`+)/gm)].map((m) => m[1]!.length));
  const fence = '`'.repeat(longest + 1);
  return [`${fence}${lang}`, body.replace(/\n$/, ''), fence];
}

const MODE = (m: number): string => m.toString(8).padStart(4, '0');
const keys = (k: KeysCommand | undefined): string => (k ? `${code(k.command)} as ${code(k.user)} (${md(k.source)})` : 'unset');

function hostList(ids: string[], names: Map<string, string | undefined>, max = 20): string {
  const shown = ids.slice(0, max).map((id) => `${code(id)}${names.get(id) ? ` (${md(names.get(id)!)})` : ''}`);
  return ids.length > max ? `${shown.join(', ')} … and ${ids.length - max} more` : shown.join(', ');
}

function summaryLine(u: PlanUnit, what: string): string {
  return `<summary><code>${html(u.id)}</code>: ${u.hostIds.length} host(s), group <code>${html(u.group)}</code>, ${html(u.profile ?? 'unknown OS')} (${html(u.arch)}): ${what}</summary>`;
}

function changingUnit(u: PlanUnit, names: Map<string, string | undefined>): string[] {
  const c = u.changes;
  const files = (c?.files ?? []).filter((f) => !f.absent);
  const changing = files.filter((f) => f.action !== 'noop').length;
  const out = ['<details>', summaryLine(u, `${changing} file(s) to change`), '', `Hosts: ${hostList(u.hostIds, names)}`, ''];
  if (c) {
    out.push('| | file | change |', '|---|---|---|');
    for (const f of files) {
      const owner = f.ownership === 'enforce' && f.action !== 'noop' ? `, ${MODE(f.mode)} root:root` : '';
      const repo = f.role === 'repo' && f.action !== 'noop' ? ' (the STNS package repository, for the install)' : '';
      out.push(`| ${code(changeSymbol(f))} | ${code(f.path)} | ${f.action === 'noop' ? 'in sync' : f.action}${owner}${repo} |`);
    }
    out.push('');
    const s = c.sshd;
    out.push(
      s.alreadyRight
        ? `- sshd: AuthorizedKeysCommand ${keys(s.before)}: already right`
        : `- sshd: AuthorizedKeysCommand ${keys(s.before)} → ${keys(s.after)}${s.chainsEic ? '; EC2 Instance Connect keys still served after STNS keys' : ''}`,
    );
    for (const n of c.nss) {
      const b = n.before ? code(n.before.join(' ')) : '(no line)';
      const a = n.after ? code(n.after.join(' ')) : '(no line)';
      out.push(`- nss ${n.database}: ${b}${a === b ? ' (unchanged)' : ` → ${a}`}`);
    }
    const p = c.packages;
    out.push(
      p.state === 'install'
        ? `- packages: ${p.packages.map(code).join(' ')} via ${p.manager} (installed by the host script only if missing)`
        : p.state === 'unsupported'
          ? `- packages: ${md(p.reason)}`
          : '- packages: already installed',
    );
  }
  for (const w of u.warnings) out.push(`- **warning**: ${md(w)}`);
  for (const n of u.notes) out.push(`- note: ${md(n)}`);
  const diffs = unitDiffs(u);
  if (diffs.length > 0) out.push('', ...block('diff', diffs.map((d) => d.trimEnd()).join('\n')));
  out.push('', '</details>', '');
  return out;
}

function brokenUnit(u: PlanUnit, names: Map<string, string | undefined>): string[] {
  return [
    '<details open>',
    summaryLine(u, 'cannot be planned'),
    '',
    `Hosts: ${hostList(u.hostIds, names)}`,
    '',
    ...u.problems.map((x) => `- **error**: ${md(x)}`),
    ...u.notes.map((n) => `- note: ${md(n)}`),
    '',
    '</details>',
    '',
  ];
}

export function planMarkdown(p: FleetPlan, fleet?: Fleet): string {
  const names = new Map(p.hosts.map((h) => [h.id, h.name]));
  const c = countByStatus(p);
  const out: string[] = [
    `### stns-fleet plan: ${c.change} to change, ${c.unchanged} unchanged, ${c.skipped} skipped, ${c.unreachable} unreachable, ${c.error} with errors`,
    '',
    `Inventory ${code(p.inventory.path)} (sha256 ${code(p.inventory.sha256.slice(0, 12))}), group(s) ${p.groups.map(code).join(', ')}, planned ${md(p.createdAt)}.`,
    '',
  ];
  const broken = p.units.filter((u) => u.problems.length > 0);
  for (const u of p.units.filter((x) => x.changed && x.problems.length === 0)) out.push(...changingUnit(u, names));
  for (const u of broken) out.push(...brokenUnit(u, names));
  const same = p.units.filter((u) => !u.changed && u.problems.length === 0);
  if (same.length > 0) {
    out.push(`Already converged: ${same.map((u) => `${code(u.id)} (${u.hostIds.length} host(s))`).join(', ')}`, '');
    const notes = same.flatMap((u) => u.notes.map((n) => `- note (${code(u.id)}): ${md(n)}`));
    if (notes.length > 0) out.push(...notes, '');
  }
  const other = p.hosts.filter((h) => h.status === 'skipped' || h.status === 'unreachable' || (h.status === 'error' && !broken.some((u) => u.id === h.unit)));
  const notFound = fleet?.notFound ?? [];
  if (other.length + notFound.length > 0) {
    out.push('Not planned:', '', '| status | host | group | why |', '|---|---|---|---|');
    for (const h of other) out.push(`| ${h.status} | ${code(h.id)}${h.name ? ` (${md(h.name)})` : ''} | ${code(h.group)} | ${md(h.reason ?? '')} |`);
    for (const n of notFound) out.push(`| not found | ${code(n.id)} | ${code(n.group)} | neither EC2 nor SSM knows this ID |`);
    out.push('');
  }
  return `${out.join('\n').trimEnd()}\n`;
}
