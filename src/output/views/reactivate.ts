// `reactivate`'s view: the run's steps as progress and its warnings on stderr; before the question, what would
// be done; at the end the suspects, the boards (old ID → new ID, outcome), the activations and a summary (or,
// declined, a line on stderr); or the report as one JSON document (the same fields it has always had).
import { interruptedLabel } from '../../exit-codes.js';
import type { ReactivateEvent, ReactivateReport } from '../../pi/reactivate.js';
import type { Emitter } from '../emitter.js';
import { table } from '../table.js';
import { BaseView, type Presentation, type View } from './view.js';

export interface ReactivateResult {
  report: ReactivateReport;
  /** The report's IDs that their group's targets name by ID: the inventory still says the old ID after a move. */
  listedById: string[];
}

type ReactivateViewEvent =
  /** What the run says as it goes (src/pi/reactivate): a step (the status line) or a warning (stderr). */
  | { kind: 'run'; event: ReactivateEvent }
  /** What would be done, shown before the question. */
  | { kind: 'planned'; planned: ReactivateResult };

export interface ReactivateView extends View<ReactivateResult, ReactivateViewEvent> {
  /** Asks whether to move the boards (only "yes" is yes); undefined when there is no terminal to ask on. */
  confirm(signal?: AbortSignal): Promise<boolean> | undefined;
}

const count = <T>(xs: T[], f: (x: T) => boolean): number => xs.filter(f).length;

function reactivateText(r: ReactivateReport, listedById: readonly string[] = []): string {
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
    if (r.interrupted) out.push(`The run was ${interruptedLabel(r.interrupted)}: the activation was deleted; run reactivate again to finish.`);
    for (const i of r.ids) {
      if (listedById.includes(i.id)) {
        out.push(`Note: group ${i.group} lists ${i.id} by ID in the inventory; the boards now answer under the new IDs above (they carry its tags, so a tag selector finds them).`);
      }
    }
  } else if (r.declined) out.push('', 'Declined: nothing was changed.');
  else out.push('', r.ids.some((i) => i.action === 'planned') ? 'Dry run: run again without --dry-run to move these boards.' : 'Dry run: nothing here can be changed as the inventory stands (see above).');
  return `${out.join('\n')}\n`;
}

abstract class ReactivateBase extends BaseView<ReactivateResult, ReactivateViewEvent> implements ReactivateView {
  confirm(signal?: AbortSignal): Promise<boolean> | undefined {
    return this.emitter.confirm?.('\nMove these boards to new managed-node IDs (new machine-id and SSH host keys as configured)? Only "yes" is accepted: ', signal);
  }
  protected override onEvent(e: ReactivateViewEvent): void {
    if (e.kind !== 'run') return;
    // Each of the run's steps is a milestone (a poll, a board sent, a board moved): plain progress shows every one.
    if (e.event.kind === 'progress') this.progress.status(e.event.text, { milestone: true });
    else this.emitter.err(`warning: ${e.event.text}\n`);
  }
}

class ReactivateTextView extends ReactivateBase {
  protected override onEvent(e: ReactivateViewEvent): void {
    super.onEvent(e);
    if (e.kind === 'planned') this.emitter.out(reactivateText(e.planned.report, e.planned.listedById));
  }
  result({ report, listedById }: ReactivateResult): void {
    // Declined: what would have been done is on screen already, above the question.
    if (report.declined) this.emitter.err('Cancelled; nothing was changed.\n');
    else this.emitter.out(reactivateText(report, listedById));
  }
}

class ReactivateJsonView extends ReactivateBase {
  result({ report }: ReactivateResult): void {
    this.json(report);
  }
}

export function reactivateView(json: boolean, emitter: Emitter, o: Presentation = {}): ReactivateView {
  return json ? new ReactivateJsonView(emitter, { ...o, machine: true }) : new ReactivateTextView(emitter, o);
}
