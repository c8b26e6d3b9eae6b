// `stns-fleet plan`: what would change on every host, per group of hosts that share a change; shown by the
// view the CLI chose (text, JSON, Markdown). Exit codes (src/exit-codes.ts) as `terraform plan
// -detailed-exitcode`, plus incomplete: 0 nothing to change, 2 changes, 3 some hosts skipped or unreachable,
// 1 a host could not be planned, 130/143 interrupted.
import { writeFile } from 'node:fs/promises';
import { exitCode, interruption, planFacts } from '../exit-codes.js';
import { countByStatus } from '../plan/fleet-plan.js';
import { planFileText } from '../plan/plan-file.js';
import type { PlanView } from '../output/views/plan.js';
import { discoverAndPlan } from './planning.js';
import { openSession, readSecrets, type FleetOptions, type TransportFactory } from './session.js';

export interface PlanCommandOptions extends FleetOptions {
  out?: string;
}

export async function runPlan(o: PlanCommandOptions, makeTransport: TransportFactory, view: PlanView, signal?: AbortSignal): Promise<number> {
  const s = await openSession(o, makeTransport);
  const secrets = readSecrets(s, (v) => view.emitter.protect(v));
  for (const w of s.warnings) view.event({ kind: 'warning', text: w });
  const { fleet, plan } = await discoverAndPlan(s, secrets, view.progress, signal ? { signal } : {});
  const interrupted = interruption(signal);
  // An interrupted plan is not the fleet's plan: it is shown, never saved for apply.
  const save = o.out && !interrupted ? o.out : undefined;
  if (save) await writeFile(save, planFileText(plan), { mode: 0o644 });
  view.result({
    plan,
    fleet,
    ...(save ? { saved: save } : {}),
    ...(o.out && !save ? { notSaved: o.out } : {}),
    ...(interrupted ? { interrupted } : {}),
  });
  return exitCode({ interrupted, ...planFacts(countByStatus(plan)) });
}
