// `stns-fleet apply [plan.json]`: show the plan, ask (unless --yes), then roll out: canary, verify the
// canary, the rest under the concurrency and error budget. An interrupt (Ctrl-C, SIGTERM: the signal) at any
// phase stops new work, cancels the in-flight commands and still reports every host. With a saved plan,
// exactly that plan is applied: a host that drifted since refuses. What happens reaches the view the CLI
// chose as typed events (the plan, the rollout's ApplyEvents) and one result. Exit codes: src/exit-codes.ts.
import { UserError } from '../errors.js';
import { countByStatus, type InventoryRef } from '../plan/fleet-plan.js';
import { bindSavedPlan } from '../plan/bind.js';
import { readPlanFile, type SavedPlan } from '../plan/plan-file.js';
import { exitCode, interruptedLabel, interruption, planFacts } from '../exit-codes.js';
import { applyPlan, notApplied, planned, type ApplyReport, type RolloutLimits } from '../apply/rollout.js';
import { verifyHosts } from '../verify/run.js';
import { rolloutOf, verifyUsersOf } from '../inventory/resolve.js';
import { amount, type Amount } from '../inventory/fields.js';
import { runSteps, stepFailed } from '../output/progress.js';
import type { ApplyView } from '../output/views/apply.js';
import { discoverAndPlan, progressCounter } from './planning.js';
import { openSession, readSecrets, type FleetOptions, type TransportFactory } from './session.js';
import { verifyTargets } from '../verify/targets.js';
import { parseDuration } from './duration.js';

export interface ApplyCommandOptions extends Omit<FleetOptions, 'inventory'> {
  inventory?: string;
  planFile?: string;
  yes?: boolean;
  canary?: string;
  maxConcurrency?: string;
  maxErrors?: string;
  timeout?: string;
}

function amountOption(v: string | undefined, flag: string, min: number): Amount | undefined {
  if (v === undefined) return undefined;
  const parsed = amount(flag, min, min === 0 ? 0 : 1, `${min} or "10%"`).safeParse(/^\d+$/.test(v) ? Number(v) : v);
  if (!parsed.success) throw new UserError(`${flag} ${v}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data as Amount;
}

/** A saved plan applies only to the inventory it was made from, unchanged, and to the groups it planned. */
function checkSavedInventory(saved: SavedPlan, now: InventoryRef, o: ApplyCommandOptions): void {
  const file = o.planFile!;
  if (o.group && o.group.length > 0 && JSON.stringify([...o.group].sort()) !== JSON.stringify([...saved.groups].sort())) {
    throw new UserError(`${file} was planned for group(s) ${saved.groups.join(', ')}; -g cannot change that`, { hint: 'apply it without -g, or make a new plan with the groups you want' });
  }
  if (now.sha256 !== saved.inventory.sha256) {
    throw new UserError(`${now.path} changed since ${file} was made (its sha256 differs): nothing was applied`, {
      hint: 'run `stns-fleet plan --out FILE` again, review it, and apply the new file',
    });
  }
}

export async function runApply(o: ApplyCommandOptions, makeTransport: TransportFactory, view: ApplyView, signal?: AbortSignal): Promise<number> {
  const saved = o.planFile ? await readPlanFile(o.planFile) : undefined;
  const inventory = o.inventory ?? saved?.inventory.path;
  if (!inventory) throw new UserError('apply needs -i INVENTORY or a saved plan file', { hint: 'stns-fleet apply -i inventories/prod.yaml, or stns-fleet apply plan.json' });
  const s = await openSession({ ...o, inventory, ...(saved ? { group: saved.groups } : {}) }, makeTransport);
  if (saved) checkSavedInventory(saved, s.inventoryRef, o);
  const pendingSecrets = readSecrets(s, (v) => view.emitter.protect(v));
  for (const w of s.warnings) view.event({ kind: 'warning', text: w });
  const deadline = o.timeout ? Date.now() + parseDuration(o.timeout) : undefined;

  // A saved plan is bound to a fresh one (src/plan/bind.ts): only what both agree on is applied.
  const { plan: fresh, secrets } = await discoverAndPlan(s, pendingSecrets, view.progress, { ...(signal ? { signal } : {}), ...(deadline ? { deadline } : {}) });
  const plan = saved ? bindSavedPlan(saved, fresh, o.planFile!, s.limit) : fresh;
  const c = countByStatus(plan);
  // Whether the user is asked next: the view shows the full plan then, its summary otherwise.
  view.event({ kind: 'plan', plan, confirm: !o.yes && c.change > 0 && !interruption(signal) });
  const report = (r: ApplyReport | undefined): number => {
    view.result({ plan, ...(r ? { report: r } : {}) });
    // Nothing applied (r undefined): the hosts as planned, e.g. drifted ones of a saved plan, still count.
    const outcomes = r?.outcomes ?? plan.hosts.map((h) => planned(h)).filter((x) => x !== undefined);
    const failed = r?.stopped !== undefined || outcomes.some((x) => x.outcome === 'failed' || x.outcome === 'drifted' || x.outcome === 'cancelled');
    const p = planFacts(c);
    return exitCode({ interrupted: interruption(signal), failed: failed || p.failed, incomplete: p.incomplete });
  };
  // Interrupted before the rollout (while planning, or at the prompt): nothing is sent, every host reported.
  const notStarted = (): number | undefined => {
    const sig = interruption(signal);
    return sig ? report(notApplied(plan, `${interruptedLabel(sig)} before the rollout: nothing was changed`)) : undefined;
  };
  const early = notStarted();
  if (early !== undefined) return early;
  if (c.change === 0) return report(undefined);
  if (!o.yes) {
    const asked = view.confirm(c.change, signal);
    if (!asked) {
      throw new UserError('refusing to prompt for confirmation: stdin is not a terminal', { hint: 'review the plan, then run again with --yes' });
    }
    const ok = await asked;
    const interrupted = notStarted();
    if (interrupted !== undefined) return interrupted;
    if (!ok) {
      view.event({ kind: 'declined' });
      return exitCode({ failed: true });
    }
  }

  const inv = rolloutOf(s.inventory);
  const rollout: RolloutLimits = {
    canary: amountOption(o.canary, '--canary', 0) ?? inv.canary,
    maxConcurrency: amountOption(o.maxConcurrency, '--max-concurrency', 1) ?? inv.maxConcurrency,
    maxErrors: amountOption(o.maxErrors, '--max-errors', 0) ?? inv.maxErrors,
  };
  const usersOf = (g: string): string[] => verifyUsersOf(s.inventory, g);
  let applied: ApplyReport | undefined;
  await runSteps(
    [
      {
        title: `Applying to ${c.change} host(s): canary ${JSON.stringify(rollout.canary)}, max concurrency ${JSON.stringify(rollout.maxConcurrency)}, max errors ${JSON.stringify(rollout.maxErrors)}`,
        run: async (say) => {
          applied = await applyPlan({
            plan,
            transport: s.transport,
            secrets,
            rollout,
            ...(signal ? { signal } : {}),
            ...(deadline ? { deadline } : {}),
            onEvent: (e) => view.event(e),
            verifyCanary: async (ids) => {
              const targets = verifyTargets(plan, ids, usersOf);
              const v = await verifyHosts(s.transport, targets, secrets, { ...(signal ? { signal } : {}), onUpdate: progressCounter(ids.length, say, 'verified') });
              const bad = v.filter((x) => !x.ok);
              return { ok: bad.length === 0, detail: bad.map((b) => `${b.id}: ${b.problems.join('; ')}`).join(' | ') };
            },
          });
          const n = applied.outcomes.filter((x) => x.outcome === 'changed').length;
          // A stopped rollout ends its step as failed (✖), never as done.
          return applied.stopped ? stepFailed(`Apply stopped: ${applied.stopped}`) : `Applied: ${n} host(s) changed`;
        },
      },
    ],
    view.progress,
  ).catch((e: unknown) => {
    if (!applied) throw e;
  });
  return report(applied!);
}
