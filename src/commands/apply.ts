// `stns-fleet apply [plan.json]`: show the plan, ask (unless --yes), then roll out: canary, verify the
// canary, the rest under the concurrency and error budget. Ctrl-C cancels the in-flight commands and still
// reports every host. With a saved plan, exactly that plan is applied: a host that drifted since refuses.
import { readFile } from 'node:fs/promises';
import { FleetError } from '../errors.js';
import { countByStatus, planExitCode, type FleetPlan } from '../fleet/plan.js';
import { applyPlan, type ApplyEvent, type RolloutSettings } from '../fleet/rollout.js';
import { verifyHosts } from '../fleet/verify-run.js';
import { rolloutOf, verifyUsersOf } from '../inventory/resolve.js';
import { amount, type Amount } from '../inventory/schema.js';
import { applyJson, applyText } from '../output/apply-report.js';
import { planText } from '../output/plan-report.js';
import { progressMode, runSteps } from '../output/progress.js';
import { scrubbingIo, type Io } from './io.js';
import { discoverAndPlan, progressCounter } from './planning.js';
import { openSession, resolveSecrets, type CommonOptions, type TransportFactory } from './session.js';
import { verifyTargets } from './verify.js';

export interface ApplyCliOptions extends Omit<CommonOptions, 'inventory'> {
  inventory?: string;
  planFile?: string;
  yes?: boolean;
  canary?: string;
  maxConcurrency?: string;
  maxErrors?: string;
  timeout?: string;
}

export async function readPlanFile(file: string): Promise<FleetPlan> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new FleetError('USAGE', `${file}: not a readable plan file (${(e as Error).message})`, { hint: 'make one with `stns-fleet plan -i FILE --out plan.json`' });
  }
  const p = raw as Partial<FleetPlan>;
  if (p.format !== 'stns-fleet-plan' || p.version !== 1 || !Array.isArray(p.units) || !Array.isArray(p.hosts) || typeof p.inventory !== 'string') {
    throw new FleetError('USAGE', `${file}: not a stns-fleet plan (version 1)`, { hint: 'make one with `stns-fleet plan -i FILE --out plan.json`' });
  }
  return p as FleetPlan;
}

function amountOption(v: string | undefined, flag: string, min: number): Amount | undefined {
  if (v === undefined) return undefined;
  const parsed = amount(flag, min, min === 0 ? 0 : 1, `${min} or "10%"`).safeParse(/^\d+$/.test(v) ? Number(v) : v);
  if (!parsed.success) throw new FleetError('USAGE', `${flag} ${v}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data as Amount;
}

export function parseDuration(v: string): number {
  const m = /^(\d+)(s|m|h)?$/.exec(v);
  if (!m) throw new FleetError('USAGE', `--timeout ${v}: give seconds, or a duration such as 90s, 15m, 1h`);
  return Number(m[1]) * (m[2] === 'h' ? 3600 : m[2] === 'm' ? 60 : 1) * 1000;
}

export async function applyCommand(o: ApplyCliOptions, makeTransport: TransportFactory, rawIo: Io, signal?: AbortSignal): Promise<number> {
  const saved = o.planFile ? await readPlanFile(o.planFile) : undefined;
  const inventory = o.inventory ?? saved?.inventory;
  if (!inventory) throw new FleetError('USAGE', 'apply needs -i INVENTORY or a saved plan file', { hint: 'stns-fleet apply -i inventories/prod.yaml, or stns-fleet apply plan.json' });
  const s = await openSession({ ...o, inventory }, makeTransport);
  const secrets = await resolveSecrets(s);
  const io = scrubbingIo(rawIo, () => secrets.values());
  const mode = progressMode(o);
  for (const w of s.warnings) io.err(`${w}\n`);
  const deadline = o.timeout ? Date.now() + parseDuration(o.timeout) : undefined;

  const plan = saved ?? (await discoverAndPlan(s, secrets, mode, { ...(signal ? { signal } : {}), ...(deadline ? { deadline } : {}) })).plan;
  if (!o.json) io.out(planText(plan));
  const c = countByStatus(plan);
  if (c.change === 0) {
    if (o.json) io.out(`${JSON.stringify(applyJson(plan, undefined), null, 2)}\n`);
    else io.out('Nothing to apply.\n');
    return planExitCode(plan) === 1 ? 1 : 0;
  }
  if (!o.yes) {
    if (!rawIo.confirm) {
      throw new FleetError('USAGE', 'refusing to prompt for confirmation: stdin is not a terminal', { hint: 'review the plan, then run again with --yes' });
    }
    const ok = await rawIo.confirm(`\nApply these changes to ${c.change} host(s)? Only "yes" is accepted: `);
    if (!ok) {
      io.err('Apply cancelled; nothing was changed.\n');
      return 1;
    }
  }

  const inv = rolloutOf(s.inventory);
  const rollout: RolloutSettings = {
    canary: amountOption(o.canary, '--canary', 0) ?? inv.canary,
    maxConcurrency: amountOption(o.maxConcurrency, '--max-concurrency', 1) ?? inv.maxConcurrency,
    maxErrors: amountOption(o.maxErrors, '--max-errors', 0) ?? inv.maxErrors,
  };
  const usersOf = (g: string): string[] => verifyUsersOf(s.inventory, g);
  let report: Awaited<ReturnType<typeof applyPlan>> | undefined;
  let say: (l: string) => void = () => undefined;
  const total = c.change;
  const changing = new Set(plan.hosts.filter((h) => h.status === 'change').map((h) => h.id));
  let finished = 0;
  const onEvent = (e: ApplyEvent): void => {
    if (e.kind === 'phase') say(`${e.phase}: ${e.hosts.length} host(s)`);
    if (e.kind === 'stopping') io.err(`stopping: ${e.reason}\n`);
    if (e.kind === 'host' && changing.has(e.outcome.id)) say(`${++finished}/${total} hosts done (last: ${e.outcome.id} ${e.outcome.outcome})`);
  };
  await runSteps(
    [
      {
        title: `Applying to ${total} host(s): canary ${JSON.stringify(rollout.canary)}, max concurrency ${JSON.stringify(rollout.maxConcurrency)}, max errors ${JSON.stringify(rollout.maxErrors)}`,
        run: async (sayLine) => {
          say = sayLine;
          report = await applyPlan({
            plan,
            transport: s.transport,
            secrets,
            rollout,
            ...(signal ? { signal } : {}),
            ...(deadline ? { deadline } : {}),
            onEvent,
            verifyCanary: async (ids) => {
              const targets = verifyTargets(plan, ids, usersOf);
              const v = await verifyHosts(s.transport, targets, secrets, { onUpdate: progressCounter(ids.length, sayLine, 'verified') });
              const bad = v.filter((x) => !x.ok);
              return { ok: bad.length === 0, detail: bad.map((b) => `${b.id}: ${b.problems.join('; ')}`).join(' | ') };
            },
          });
          const n = report.outcomes.filter((x) => x.outcome === 'changed').length;
          return report.stopped ? `Apply stopped: ${report.stopped}` : `Applied: ${n} host(s) changed`;
        },
      },
    ],
    mode,
  ).catch((e: unknown) => {
    if (!report) throw e;
  });
  const r = report!;
  if (o.json) io.out(`${JSON.stringify(applyJson(plan, r), null, 2)}\n`);
  else io.out(applyText(plan, r));
  const failed = r.outcomes.some((x) => x.outcome === 'failed' || x.outcome === 'drifted' || x.outcome === 'cancelled');
  return r.stopped || failed ? 1 : 0;
}
