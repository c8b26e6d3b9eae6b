// The plan as Markdown, for a pull request comment or a CI step summary ($GITHUB_STEP_SUMMARY): the counts
// first, then what will not happen (units that cannot be planned, open; the hosts that get nothing, one row
// per reason with the hosts it applies to), then one collapsed <details> per unit of hosts that share a change
// (its hosts, files, sshd, NSS, packages, notes and the redacted diffs; a diff already shown for another unit
// is named, not repeated). Drawn from the same structured plan as the text view, so it shows exactly what
// `plan` shows, secrets included as "(sensitive)". Everything that comes from hosts or the inventory is
// escaped: a Name tag cannot inject markup.
import { countByStatus, type FleetPlan, type PlanUnit } from '../plan/fleet-plan.js';
import type { KeysCommand } from '../sshd/strategy.js';
import type { Fleet } from '../targets/fleet.js';
import { changeSymbol, formatFileDiff } from './diff.js';
import { firstFew, groupBy } from './host-groups.js';
import { notPlanned, unitsOf, type PlanTextOptions } from './plan-report.js';
import { modeText } from './plan-summary.js';

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

const keys = (k: KeysCommand | undefined): string => (k ? `${code(k.command)} as ${code(k.user)} (${md(k.source)})` : 'unset');

const hostName = (id: string, name: string | undefined): string => `${code(id)}${name ? ` (${md(name)})` : ''}`;

/** Up to 20 hosts named, more show the first 20 and "… and N more"; every one when verbose. */
function hostList(ids: string[], names: Map<string, string | undefined>, verbose: boolean): string {
  const { shown, more } = firstFew(ids, verbose, 20, 20);
  const list = shown.map((id) => hostName(id, names.get(id))).join(', ');
  return more > 0 ? `${list} … and ${more} more` : list;
}

/** Diffs already shown, each with the unit it was first shown for: a later unit names it instead. */
type Shown = Map<string, string>;

function summaryLine(u: PlanUnit, what: string): string {
  return `<summary><code>${html(u.id)}</code>: ${u.hostIds.length} host(s), group <code>${html(u.group)}</code>, ${html(u.profile ?? 'unknown OS')} (${html(u.arch)}): ${what}</summary>`;
}

function changingUnit(u: PlanUnit, names: Map<string, string | undefined>, verbose: boolean, shown: Shown): string[] {
  const c = u.changes;
  const files = (c?.files ?? []).filter((f) => !f.absent);
  const changing = files.filter((f) => f.action !== 'noop').length;
  const out = ['<details>', summaryLine(u, `${changing} file(s) to change`), '', `Hosts: ${hostList(u.hostIds, names, verbose)}`, ''];
  if (c) {
    out.push('| | file | change |', '|---|---|---|');
    for (const f of files) {
      const owner = f.ownership === 'enforce' && f.action !== 'noop' ? `, ${modeText(f.mode)} root:root` : '';
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
  const diffs: string[] = [];
  const same = new Map<string, string[]>();
  for (const f of (c?.files ?? []).filter((x) => x.action !== 'noop')) {
    const d = formatFileDiff(f);
    const first = shown.get(d);
    if (first) same.set(first, [...(same.get(first) ?? []), f.path]);
    else {
      shown.set(d, u.id);
      diffs.push(d.trimEnd());
    }
  }
  for (const [first, paths] of same) out.push(`- the same diff as ${code(first)}: ${paths.map(code).join(', ')}`);
  if (diffs.length > 0) out.push('', ...block('diff', diffs.join('\n')));
  out.push('', '</details>', '');
  return out;
}

function brokenUnit(u: PlanUnit, names: Map<string, string | undefined>, verbose: boolean): string[] {
  return [
    '<details open>',
    summaryLine(u, 'cannot be planned'),
    '',
    `Hosts: ${hostList(u.hostIds, names, verbose)}`,
    '',
    ...u.problems.map((x) => `- **error**: ${md(x)}`),
    ...u.notes.map((n) => `- note: ${md(n)}`),
    '',
    '</details>',
    '',
  ];
}

export function planMarkdown(p: FleetPlan, fleet?: Fleet, o: PlanTextOptions = {}): string {
  const verbose = o.verbose === true;
  const names = new Map(p.hosts.map((h) => [h.id, h.name]));
  const c = countByStatus(p);
  const out: string[] = [
    `### stns-fleet plan: ${c.change} to change, ${c.unchanged} unchanged, ${c.skipped} skipped, ${c.unreachable} unreachable, ${c.error} with errors`,
    '',
    `Inventory ${code(p.inventory.path)} (sha256 ${code(p.inventory.sha256.slice(0, 12))}), group(s) ${p.groups.map(code).join(', ')}, planned ${md(p.createdAt)}.`,
    '',
  ];
  const { changing, broken, converged } = unitsOf(p);
  for (const u of broken) out.push(...brokenUnit(u, names, verbose));
  const other = notPlanned(p, fleet);
  if (other.length > 0) {
    out.push('Not planned:', '', '| status | host | group | why |', '|---|---|---|---|');
    for (const g of groupBy(other, (h) => `${h.status}\0${h.reason}`)) {
      const { shown, more } = firstFew(g, verbose, 5, 3); // a table cell: the first few, as in the text
      const list = shown.map((h) => hostName(h.id, h.name)).join(', ');
      const hosts = g.length === 1 ? list : `${g.length} hosts: ${list}${more > 0 ? ` … and ${more} more` : ''}`;
      out.push(`| ${g[0]!.status} | ${hosts} | ${[...new Set(g.map((h) => h.group))].map(code).join(', ')} | ${md(g[0]!.reason)} |`);
    }
    out.push('');
  }
  const shown: Shown = new Map();
  for (const u of changing) out.push(...changingUnit(u, names, verbose, shown));
  if (converged.length > 0) {
    out.push(`Already converged: ${converged.map((u) => `${code(u.id)} (${u.hostIds.length} host(s))`).join(', ')}`, '');
    if (verbose) out.push(...converged.map((u) => `- ${code(u.id)}: ${hostList(u.hostIds, names, true)}`), '');
    const notes = converged.flatMap((u) => u.notes.map((n) => `- note (${code(u.id)}): ${md(n)}`));
    if (notes.length > 0) out.push(...notes, '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}
