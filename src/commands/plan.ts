// `stns-fleet plan`: what would change on every host, as diffs per group of hosts that share a change.
// Exit codes as `terraform plan -detailed-exitcode`: 0 nothing to change, 2 changes, 1 error.
import { writeFile } from 'node:fs/promises';
import { planExitCode } from '../fleet/plan.js';
import { planJson, planText } from '../output/plan-report.js';
import { progressMode } from '../output/progress.js';
import { scrubbingIo, type Io } from './io.js';
import { discoverAndPlan } from './planning.js';
import { openSession, resolveSecrets, type CommonOptions, type TransportFactory } from './session.js';

export interface PlanOptions extends CommonOptions {
  out?: string;
}

export async function planCommand(o: PlanOptions, makeTransport: TransportFactory, rawIo: Io): Promise<number> {
  const s = await openSession(o, makeTransport);
  const secrets = await resolveSecrets(s);
  const io = scrubbingIo(rawIo, () => secrets.values());
  for (const w of s.warnings) io.err(`${w}\n`);
  const { fleet, plan } = await discoverAndPlan(s, secrets, progressMode(o));
  if (o.out) {
    await writeFile(o.out, `${JSON.stringify(plan, null, 2)}\n`, { mode: 0o644 });
  }
  if (o.json) io.out(`${JSON.stringify({ ...(planJson(plan, fleet) as object), ...(o.out ? { saved: o.out } : {}) }, null, 2)}\n`);
  else {
    io.out(planText(plan, fleet));
    if (o.out) io.out(`Saved to ${o.out}: apply exactly this plan with \`stns-fleet apply ${o.out}\`.\n`);
  }
  return planExitCode(plan);
}
