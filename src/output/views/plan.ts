// `plan`'s view: the plan as text (what will not happen first, then per unit the files, sshd, NSS, packages
// and diffs; hosts summarised unless --verbose), as one JSON document (every host), or as Markdown for a pull
// request or a CI step summary; then whether it was saved, or why not.
import { interruptedLabel, type InterruptSignal } from '../../exit-codes.js';
import type { FleetPlan } from '../../plan/fleet-plan.js';
import type { Fleet } from '../../targets/fleet.js';
import type { Emitter } from '../emitter.js';
import { code, planMarkdown } from '../plan-markdown.js';
import { planJson, planText } from '../plan-report.js';
import { BaseView, type Presentation, type View } from './view.js';

import type { PlanFormat } from './formats.js';

export interface PlanResult {
  plan: FleetPlan;
  fleet: Fleet;
  /** Where the plan was saved (--out). */
  saved?: string;
  /** The --out that was not written, because the plan was interrupted. */
  notSaved?: string;
  interrupted?: InterruptSignal;
}

export type PlanView = View<PlanResult>;

class PlanTextView extends BaseView<PlanResult> {
  result(r: PlanResult): void {
    this.emitter.out(planText(r.plan, r.fleet, { verbose: this.verbose }));
    if (r.saved) this.emitter.out(`Saved to ${r.saved}: apply exactly this plan with \`stns-fleet apply ${r.saved}\`.\n`);
    if (r.interrupted) {
      this.emitter.out(`Plan ${interruptedLabel(r.interrupted)}: hosts whose facts were not read are shown as unreachable${r.notSaved ? `; ${r.notSaved} was not written` : ''}.\n`);
    }
  }
}

class PlanJsonView extends BaseView<PlanResult> {
  result(r: PlanResult): void {
    this.json({ ...(planJson(r.plan, r.fleet) as object), ...(r.saved ? { saved: r.saved } : {}), ...(r.interrupted ? { interrupted: interruptedLabel(r.interrupted) } : {}) });
  }
}

class PlanMarkdownView extends BaseView<PlanResult> {
  result(r: PlanResult): void {
    const tail: string[] = [];
    if (r.saved) tail.push(`Saved to ${code(r.saved)}: apply exactly this plan with ${code(`stns-fleet apply ${r.saved}`)}.`);
    if (r.interrupted) tail.push(`**Plan ${interruptedLabel(r.interrupted)}**: hosts whose facts were not read are shown as unreachable${r.notSaved ? `; ${code(r.notSaved)} was not written` : ''}.`);
    this.emitter.out(planMarkdown(r.plan, r.fleet, { verbose: this.verbose }) + (tail.length ? `\n${tail.join('\n\n')}\n` : ''));
  }
}

export function planView(format: PlanFormat, emitter: Emitter, o: Presentation = {}): PlanView {
  if (format === 'json') return new PlanJsonView(emitter, { ...o, machine: true });
  return format === 'markdown' ? new PlanMarkdownView(emitter, o) : new PlanTextView(emitter, o);
}
