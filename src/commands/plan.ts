// `stns-fleet plan`: what would change on every host, as diffs per group of hosts that share a change.
// Exit codes (src/exit-codes.ts) as `terraform plan -detailed-exitcode`, plus incomplete: 0 nothing to change,
// 2 changes, 3 some hosts skipped or unreachable, 1 a host could not be planned, 130/143 interrupted.
import { writeFile } from 'node:fs/promises';
import { exitCode, interruptedLabel, interruption, planFacts } from '../exit-codes.js';
import { countByStatus } from '../plan/fleet-plan.js';
import { planFileText } from '../plan/plan-file.js';
import { planJson, planText } from '../output/plan-report.js';
import { progressFor } from '../output/progress.js';
import { scrubbingIo, type Io } from '../output/io.js';
import { discoverAndPlan } from './planning.js';
import { openSession, resolveSecrets, type CommonOptions, type TransportFactory } from './session.js';

export interface PlanOptions extends CommonOptions {
  out?: string;
}

export async function planCommand(o: PlanOptions, makeTransport: TransportFactory, rawIo: Io, signal?: AbortSignal): Promise<number> {
  const s = await openSession(o, makeTransport);
  const secrets = await resolveSecrets(s);
  const io = scrubbingIo(rawIo, () => secrets.values());
  for (const w of s.warnings) io.err(`${w}\n`);
  const { fleet, plan } = await discoverAndPlan(s, secrets, progressFor(o, io), signal ? { signal } : {});
  const interrupted = interruption(signal);
  // An interrupted plan is not the fleet's plan: it is shown, never saved for apply.
  const save = o.out && !interrupted ? o.out : undefined;
  if (save) {
    await writeFile(save, planFileText(plan), { mode: 0o644 });
  }
  if (o.json) {
    io.out(`${JSON.stringify({ ...(planJson(plan, fleet) as object), ...(save ? { saved: save } : {}), ...(interrupted ? { interrupted: interruptedLabel(interrupted) } : {}) }, null, 2)}\n`);
  } else {
    io.out(planText(plan, fleet));
    if (save) io.out(`Saved to ${save}: apply exactly this plan with \`stns-fleet apply ${save}\`.\n`);
    if (interrupted) io.out(`Plan ${interruptedLabel(interrupted)}: hosts whose facts were not read are shown as unreachable${o.out ? `; ${o.out} was not written` : ''}.\n`);
  }
  return exitCode({ interrupted, ...planFacts(countByStatus(plan)) });
}
