// `stns-fleet reactivate`: find managed-node IDs shared by cloned Raspberry Pi SD cards and give every board its
// own ID (src/pi/reactivate.ts). Shows what it found and asks before changing anything (unless --yes);
// --dry-run stops after detection. Progress goes to stderr as plain lines (the confirmation prompt shares the
// terminal); the report to stdout. Exit: 0 nothing to do or every board moved, 2 not finished (boards off,
// pending, or found with --dry-run: run again), 1 a board failed, the run was interrupted, or declined.
import { FleetError } from '../errors.js';
import { targetsOf } from '../inventory/resolve.js';
import { progressMode } from '../output/progress.js';
import { PI_IDENTITY_LIB } from '../pi/identity-script.js';
import { reactivate, type ReactivateReport } from '../pi/reactivate.js';
import { PI_REREGISTER_LIB } from '../pi/reregister-script.js';
import { MANAGED_NODE_ID_RE, type Inventory } from '../inventory/schema.js';
import { loadTemplates } from '../render/templates.js';
import { parseDuration } from './duration.js';
import { scrubbingIo, type Io } from '../output/io.js';
import { openSession, type CommonOptions, type TransportFactory } from './session.js';

export interface ReactivateCliOptions extends CommonOptions {
  /** Treat these managed-node IDs as cloned whatever the polls say. */
  id?: string[];
  dryRun?: boolean;
  yes?: boolean;
  /** Identity polls per node (default 3). */
  polls?: string;
  /** Time between polls (default 5s). */
  interval?: string;
  /** How long to wait for each moved board's new ID (default 4m). */
  wait?: string;
}

function table(rows: string[][]): string {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]!))).join('  ').trimEnd()).join('\n');
}

function count<T>(xs: T[], f: (x: T) => boolean): number {
  return xs.filter(f).length;
}

export function reactivateText(r: ReactivateReport, inv?: Inventory): string {
  const out: string[] = [];
  if (r.clean) {
    out.push(`No cloned managed-node IDs: ${r.nodesPolled} online node(s) polled, each answered by one board of its own. Nothing to do.`);
    return `${out.join('\n')}\n`;
  }
  out.push(r.dryRun || r.declined ? 'Suspected clones (nothing was changed):' : 'Suspected clones:');
  for (const i of r.ids) {
    out.push(`  ${i.id}  group ${i.group}: ${i.reasons.join('; ')}`);
    out.push(`      expected boards: ${i.expected} (${i.expectedFrom === 'inventory' ? 'seen + listed in pi.names but not seen' : 'seen in the polls'})`);
    out.push(`      ${i.action === 'planned' ? 'would' : '→'} ${i.action === 'planned' ? i.detail : `${i.action}: ${i.detail}`}`);
  }
  if (r.boards.length > 0) {
    const rows = [['OLD ID', 'NEW ID', 'SERIAL', 'NAME', 'OUTCOME', 'DETAIL']];
    for (const b of r.boards) rows.push([b.oldId, b.newId ?? '-', b.serial ?? '-', b.name ?? '-', b.outcome, b.detail]);
    out.push('', table(rows));
  }
  if (r.activations.length > 0) {
    const deleted = count(r.activations, (a) => a.deleted);
    out.push('', `Activations: ${r.activations.length} created (${r.activations.map((a) => `${a.activationId}: ${a.registrationLimit} registrations${a.replaced ? `, replaced one that was ${a.replaced}` : ''}`).join('; ')}), ${deleted} deleted.`);
    for (const a of r.activations.filter((x) => !x.deleted)) out.push(`  NOT deleted: ${a.activationId} (${a.deleteError ?? 'unknown error'}); it expires at ${a.expiresAt}: delete it with \`aws ssm delete-activation --activation-id ${a.activationId}\``);
  }
  if (!r.dryRun && !r.declined) {
    const b = r.boards;
    out.push(
      '',
      `Summary: ${count(b, (x) => x.outcome === 'moved')} moved, ${count(b, (x) => x.outcome === 'failed')} failed, ${count(b, (x) => x.outcome === 'pending')} pending, ${count(b, (x) => x.outcome === 'offline')} not seen; ` +
        `${count(r.ids, (x) => x.action === 'deregistered')} old ID(s) deregistered, ${count(r.ids, (x) => x.action === 'kept')} kept.`,
    );
    if (r.aborted) out.push(`Interrupted (${r.aborted}): the activation was deleted; run reactivate again to finish.`);
    if (inv) {
      for (const i of r.ids) {
        if (targetsOf(inv, i.group).ids.includes(i.id)) {
          out.push(`Note: group ${i.group} lists ${i.id} by ID in the inventory; the boards now answer under the new IDs above (they carry its tags, so a tag selector finds them).`);
        }
      }
    }
  } else if (r.declined) out.push('', 'Declined: nothing was changed.');
  else out.push('', 'Dry run: run again without --dry-run to move these boards.');
  return `${out.join('\n')}\n`;
}

export function reactivateExitCode(r: ReactivateReport): number {
  if (r.aborted || r.declined || r.boards.some((b) => b.outcome === 'failed')) return 1;
  if (r.clean) return 0;
  if (r.dryRun) return 2;
  if (r.boards.some((b) => b.outcome === 'pending' || b.outcome === 'offline') || r.ids.some((i) => i.action === 'kept')) return 2;
  return 0;
}

function positive(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 20) throw new FleetError('USAGE', `${flag} ${v}: give a whole number from 1 to 20`);
  return Number(v);
}

/** `clock` is for tests (a virtual clock); the CLI passes only the first four. */
export async function reactivateCommand(
  o: ReactivateCliOptions,
  makeTransport: TransportFactory,
  rawIo: Io,
  signal?: AbortSignal,
  clock?: { now: () => number; sleep: (ms: number) => Promise<void> },
): Promise<number> {
  for (const id of o.id ?? []) {
    if (!MANAGED_NODE_ID_RE.test(id)) throw new FleetError('USAGE', `--id ${id}: not a managed node ID (mi- and 17 hex digits)`);
  }
  const polls = positive(o.polls, '--polls');
  const interval = o.interval === undefined ? undefined : parseDuration(o.interval, '--interval');
  const wait = o.wait === undefined ? undefined : parseDuration(o.wait, '--wait');
  const s = await openSession(o, makeTransport);
  const templates = await loadTemplates(o.templates, [PI_IDENTITY_LIB, PI_REREGISTER_LIB]);
  const codes: string[] = [];
  const io = scrubbingIo(rawIo, () => codes.map((c) => ({ auth_token: c }))); // scrub() treats every value alike
  for (const w of s.warnings) io.err(`${w}\n`);
  const quiet = progressMode(o) === 'silent';
  const region = o.region ?? s.inventory.aws.region;

  if (!o.dryRun && !o.yes && !rawIo.confirm) {
    throw new FleetError('USAGE', 'refusing to prompt for confirmation: stdin is not a terminal', { hint: 'see what would change with --dry-run, then run again with --yes' });
  }
  const r = await reactivate({
    inventory: s.inventory,
    groups: s.groups,
    transport: s.transport,
    templates,
    region,
    ...(polls ? { polls } : {}),
    ...(interval !== undefined ? { pollIntervalMs: interval } : {}),
    ...(wait !== undefined ? { newNodeTimeoutMs: wait } : {}),
    ...(o.id && o.id.length > 0 ? { forced: o.id } : {}),
    ...(o.dryRun ? { dryRun: true } : {}),
    ...(signal ? { signal } : {}),
    ...(clock ? { now: clock.now, sleep: clock.sleep } : {}),
    onSecret: (c) => void codes.push(c),
    onEvent: (e) => {
      if (e.kind === 'warning') io.err(`warning: ${e.text}\n`);
      else if (!quiet) io.err(`stns-fleet: ${e.text}\n`);
    },
    ...(!o.dryRun && !o.yes
      ? {
          confirm: async (planned: ReactivateReport) => {
            io.out(reactivateText(planned, s.inventory));
            return rawIo.confirm!(`\nMove these boards to new managed-node IDs (new machine-id and SSH host keys as configured)? Only "yes" is accepted: `);
          },
        }
      : {}),
  });
  if (r.declined && !o.json) {
    io.err('Cancelled; nothing was changed.\n');
    return 1;
  }
  if (o.json) io.out(`${JSON.stringify(r, null, 2)}\n`);
  else io.out(reactivateText(r, s.inventory));
  return reactivateExitCode(r);
}
