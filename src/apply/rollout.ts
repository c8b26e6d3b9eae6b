// apply: canary hosts first, alone; stop if one fails or does not verify. Then the rest, every batch at once
// (hosts that share a change share one script and one SendCommand per ≤ 50 hosts, fewer where the script
// would outgrow what one command carries: batches.ts), with the concurrency
// split across batches and one error budget for the whole rollout: past it, every in-flight command is
// cancelled. An interrupt (the signal: Ctrl-C, SIGTERM) cancels the same way, and stops new work at every
// phase boundary: once it fired, no command is sent. Each host ends with exactly one outcome.
import { interruptedLabel, interruption } from '../exit-codes.js';
import { finishHostScript } from '../plan/host-script.js';
import { newRunKey, type RunKey } from '../host-script/seal.js';
import { amountToCount } from '../inventory/resolve.js';
import { batchesFor } from './batches.js';
import type { Amount } from '../inventory/fields.js';
import type { SecretValues } from '../render/secrets.js';
import type { InvocationResult, Transport } from '../transport/types.js';
import { classify, isError, type HostOutcome } from './outcome.js';
import type { FleetPlan, PlannedHost, PlanUnit } from '../plan/fleet-plan.js';

/** How a rollout goes: canary size, concurrency, error budget (the inventory's rollout, or the flags). */
export interface RolloutLimits {
  canary: Amount;
  maxConcurrency: Amount;
  maxErrors: Amount;
}

export type ApplyEvent =
  | { kind: 'phase'; phase: 'canary' | 'verify-canary' | 'rest'; hosts: string[] }
  | { kind: 'sent'; unit: string; hosts: string[] }
  | { kind: 'host'; outcome: HostOutcome }
  | { kind: 'stopping'; reason: string };

interface ApplyOptions {
  plan: FleetPlan;
  transport: Transport;
  secrets: Map<string, SecretValues>;
  rollout: RolloutLimits;
  signal?: AbortSignal;
  deadline?: number;
  deliveryTimeoutSeconds?: number;
  executionTimeoutSeconds?: number;
  /** Checks the canary hosts after they changed; a failure stops the rollout. */
  verifyCanary?: (hostIds: string[]) => Promise<{ ok: boolean; detail: string }>;
  onEvent?: (e: ApplyEvent) => void;
  runKey?: () => RunKey;
}

export interface ApplyReport {
  outcomes: HostOutcome[];
  /** Why the rollout stopped before the end, if it did. */
  stopped?: string;
  canary: string[];
}

/** What each host ends as when nothing is applied (`why`: e.g. interrupted before the rollout): the hosts the
 * plan would change are not attempted, the others as planned. */
export function notApplied(plan: FleetPlan, why: string): ApplyReport {
  return {
    outcomes: plan.hosts.map((h) => planned(h) ?? { id: h.id, outcome: 'skipped', detail: `not attempted: ${why}` }),
    stopped: why,
    canary: [],
  };
}

/** How the error budget shows in messages: as the user set it ("10%" also shows what it came to). */
function budgetLabel(a: Amount, count: number): string {
  return typeof a === 'string' ? `${a} (${count} host(s))` : String(count);
}

/** Canary hosts: round-robin over the units, so a canary of N covers up to N different changes. */
export function pickCanary(hosts: PlannedHost[], n: number): PlannedHost[] {
  const byUnit = new Map<string, PlannedHost[]>();
  for (const h of hosts) byUnit.set(h.unit!, [...(byUnit.get(h.unit!) ?? []), h]);
  const queues = [...byUnit.values()];
  const out: PlannedHost[] = [];
  for (let round = 0; out.length < n && queues.some((q) => q.length > round); round++) {
    for (const q of queues) if (q[round] && out.length < n) out.push(q[round]!);
  }
  return out;
}

/** What a host the rollout sends nothing to ends as, from its plan status; undefined for a host to change. */
export function planned(h: PlannedHost): HostOutcome | undefined {
  if (h.status === 'unchanged') return { id: h.id, outcome: 'unchanged', detail: 'already as planned: no command sent' };
  // A saved plan's host whose files changed since the plan (src/plan/bind.ts): drifted, as when its host script
  // refuses, so the counters and the exit code say so.
  if (h.drifted) return { id: h.id, outcome: 'drifted', detail: h.reason ?? 'changed since the plan' };
  if (h.status !== 'change') return { id: h.id, outcome: 'skipped', detail: h.reason ?? h.status };
  return undefined;
}

export async function applyPlan(o: ApplyOptions): Promise<ApplyReport> {
  const outcomes = new Map<string, HostOutcome>();
  const units = new Map(o.plan.units.map((u) => [u.id, u]));
  const runKeys = new Map<string, RunKey>();
  const emit = (e: ApplyEvent): void => o.onEvent?.(e);
  const record = (x: HostOutcome): void => {
    outcomes.set(x.id, x);
    emit({ kind: 'host', outcome: x });
  };
  for (const h of o.plan.hosts) {
    const p = planned(h);
    if (p) record(p);
  }
  const todo = o.plan.hosts.filter((h) => h.status === 'change');
  const finish = (stopped?: string): ApplyReport => {
    for (const h of todo) if (!outcomes.has(h.id)) record({ id: h.id, outcome: 'skipped', detail: stopped ? `not attempted: ${stopped}` : 'not attempted' });
    return { outcomes: o.plan.hosts.map((h) => outcomes.get(h.id)!), ...(stopped ? { stopped } : {}), canary };
  };

  const canaryHosts = pickCanary(todo, amountToCount(o.rollout.canary, todo.length));
  const canary = canaryHosts.map((h) => h.id);
  if (todo.length === 0) return finish();
  const interrupted = (before: string, more = true): string | undefined => {
    const sig = interruption(o.signal);
    return sig ? `${interruptedLabel(sig)} before ${before}: nothing ${more ? 'more ' : ''}was sent` : undefined;
  };

  /** Runs `hosts` (budget: errors tolerated; undefined for the canary, where any error stops the rollout). */
  const runHosts = async (hosts: PlannedHost[], concurrency: number, budget: { count: number; label: string } | undefined): Promise<string | undefined> => {
    const ctl = new AbortController();
    const onParent = (): void => ctl.abort();
    o.signal?.addEventListener('abort', onParent, { once: true });
    if (o.signal?.aborted) ctl.abort(); // 'abort' fired before the listener: it will not fire again
    let errors = 0;
    let stopped: string | undefined;
    const byUnit = new Map<string, PlannedHost[]>();
    for (const h of hosts) byUnit.set(h.unit!, [...(byUnit.get(h.unit!) ?? []), h]);
    const batches = [...byUnit].flatMap(([u, hs]) => {
      const unit = units.get(u)!;
      const values = o.secrets.get(unit.group) ?? {};
      return batchesFor(hs, (b) => scriptFor(unit, b, values, runKeys, o.runKey ?? newRunKey)).map((b) => ({ unit, ...b }));
    });
    // Final results only, once per host (the transport's promise); cancelled ones spend no budget (isError).
    const onUpdate = (r: InvocationResult): void => {
      const x = classify(r);
      if (isError(x) && ++errors > (budget?.count ?? 0) && !ctl.signal.aborted) {
        // The budget counts failed and drifted hosts alike; the canary has none of the user's budget.
        stopped = budget
          ? `error budget exceeded: ${errors} error${errors === 1 ? '' : 's'} (failed or drifted) > max_errors ${budget.label}`
          : `the canary failed (${x.id}: ${x.outcome})`;
        emit({ kind: 'stopping', reason: stopped });
        ctl.abort();
      }
    };
    try {
      await Promise.all(
        batches.map(async ({ unit, hosts: b, script }) => {
          if (ctl.signal.aborted) return; // stopped before it was sent: its hosts end as not attempted
          emit({ kind: 'sent', unit: unit.id, hosts: b.map((h) => h.id) });
          const share = Math.max(1, Math.floor((concurrency * b.length) / hosts.length));
          const results = await o.transport.run(
            {
              script,
              instanceIds: b.map((h) => h.id),
              comment: `stns-fleet apply ${unit.id}`,
              deliveryTimeoutSeconds: o.deliveryTimeoutSeconds ?? 300,
              executionTimeoutSeconds: o.executionTimeoutSeconds ?? 900,
              maxConcurrency: String(Math.min(share, b.length)),
              maxErrors: String(budget?.count ?? 0),
            },
            { signal: ctl.signal, ...(o.deadline ? { deadline: o.deadline } : {}), onUpdate, watchFailures: true },
          );
          for (const r of results) record(classify(r));
        }),
      );
    } finally {
      o.signal?.removeEventListener('abort', onParent);
    }
    const sig = interruption(o.signal);
    if (sig) return `${interruptedLabel(sig)}: in-flight commands were cancelled`;
    return stopped;
  };

  const i0 = interrupted('the rollout', false);
  if (i0) return finish(i0);
  if (canaryHosts.length > 0) {
    emit({ kind: 'phase', phase: 'canary', hosts: canary });
    const s1 = await runHosts(canaryHosts, canaryHosts.length, undefined);
    if (s1) return finish(s1);
    const bad = canaryHosts.map((h) => outcomes.get(h.id)).filter((x) => x && x.outcome !== 'changed' && x.outcome !== 'unchanged');
    if (bad.length > 0) return finish(`the canary failed (${bad.map((x) => `${x!.id}: ${x!.outcome}`).join(', ')})`);
  }
  if (o.verifyCanary && canaryHosts.length > 0) {
    const i1 = interrupted("the canary's verification");
    if (i1) return finish(i1);
    emit({ kind: 'phase', phase: 'verify-canary', hosts: canary });
    const v = await o.verifyCanary(canary);
    const sig = interruption(o.signal);
    if (sig) return finish(`${interruptedLabel(sig)} while the canary was verified: nothing more was sent`);
    if (!v.ok) return finish(`the canary did not verify: ${v.detail}`);
  }
  const rest = todo.filter((h) => !canary.includes(h.id));
  if (rest.length === 0) return finish();
  const i2 = interrupted('the rest of the rollout');
  if (i2) return finish(i2);
  emit({ kind: 'phase', phase: 'rest', hosts: rest.map((h) => h.id) });
  const budget = amountToCount(o.rollout.maxErrors, rest.length);
  const concurrency = Math.max(1, amountToCount(o.rollout.maxConcurrency, rest.length));
  return finish(await runHosts(rest, concurrency, { count: budget, label: budgetLabel(o.rollout.maxErrors, budget) }));
}

function scriptFor(unit: PlanUnit, hosts: PlannedHost[], values: SecretValues, keys: Map<string, RunKey>, make: () => RunKey): string {
  const draft = { text: unit.draft!.text, sealed: unit.draft!.sealed.map((b) => Buffer.from(b, 'base64')) };
  if (draft.sealed.length === 0) return draft.text;
  let rk = keys.get(unit.id);
  if (!rk) keys.set(unit.id, (rk = make()));
  return finishHostScript(draft, { kind: 'sealed', values, runKey: rk, recipients: hosts.map((h) => h.sealKey!) });
}
