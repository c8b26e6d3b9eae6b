// `apply`'s view: the plan about to be applied (in full before a question, or with --verbose; otherwise in
// short: what will not happen, one line per unit, the counts), the rollout's progress (phases, hosts done),
// then what the hosts ended as, grouped, and a summary; or the same facts as one JSON document, every host.
// Fed by the rollout's typed events.
import type { ApplyEvent, ApplyReport } from '../../apply/rollout.js';
import type { FleetPlan } from '../../plan/fleet-plan.js';
import { applyJson, applyText } from '../apply-report.js';
import type { Emitter } from '../emitter.js';
import { planSummaryText, planText } from '../plan-report.js';
import { BaseView, type Presentation, type View } from './view.js';

type ApplyViewEvent =
  /** The plan about to be applied, before anything is asked or sent; `confirm`: the user will be asked to
   * confirm it next (no --yes, and something to change). */
  | { kind: 'plan'; plan: FleetPlan; confirm: boolean }
  /** The user did not answer "yes". */
  | { kind: 'declined' }
  | ApplyEvent;

interface ApplyResult {
  plan: FleetPlan;
  /** Undefined when nothing was applied (nothing to change). */
  report?: ApplyReport;
}

export interface ApplyView extends View<ApplyResult, ApplyViewEvent> {
  /** Asks whether to change `hosts` host(s) (only "yes" is yes); undefined when there is no terminal to ask on. */
  confirm(hosts: number, signal?: AbortSignal): Promise<boolean> | undefined;
}

abstract class ApplyBase extends BaseView<ApplyResult, ApplyViewEvent> implements ApplyView {
  confirm(hosts: number, signal?: AbortSignal): Promise<boolean> | undefined {
    return this.emitter.confirm?.(`\nApply these changes to ${hosts} host(s)? Only "yes" is accepted: `, signal);
  }
  protected override onEvent(e: ApplyViewEvent): void {
    if (e.kind === 'stopping') this.emitter.err(`stopping: ${e.reason}\n`);
    if (e.kind === 'declined') this.emitter.err('Apply cancelled; nothing was changed.\n');
  }
}

class ApplyTextView extends ApplyBase {
  #changing = new Set<string>();
  #finished = 0;
  protected override onEvent(e: ApplyViewEvent): void {
    super.onEvent(e);
    if (e.kind === 'plan') {
      // The full plan when it is what the user is about to say yes to (there is a terminal to ask on), or asked
      // for; otherwise, e.g. --yes or a saved plan already reviewed, its summary.
      const full = this.verbose || (e.confirm && this.emitter.confirm !== undefined);
      this.emitter.out(full ? planText(e.plan, undefined, { verbose: this.verbose }) : planSummaryText(e.plan));
      this.#changing = new Set(e.plan.hosts.filter((h) => h.status === 'change').map((h) => h.id));
    }
    if (e.kind === 'phase') this.progress.status(`${e.phase}: ${e.hosts.length} host(s)`);
    if (e.kind === 'host' && this.#changing.has(e.outcome.id)) {
      this.progress.status(`${++this.#finished}/${this.#changing.size} hosts done (last: ${e.outcome.id} ${e.outcome.outcome})`);
    }
  }
  result(r: ApplyResult): void {
    this.emitter.out(r.report ? applyText(r.plan, r.report, { verbose: this.verbose }) : 'Nothing to apply.\n');
  }
}

class ApplyJsonView extends ApplyBase {
  result(r: ApplyResult): void {
    this.json(applyJson(r.plan, r.report));
  }
}

export function applyView(json: boolean, emitter: Emitter, o: Presentation = {}): ApplyView {
  return json ? new ApplyJsonView(emitter, { ...o, machine: true }) : new ApplyTextView(emitter, o);
}
