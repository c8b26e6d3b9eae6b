// reactivate(): detect → plan → (dry run / confirmation) → carry the plan out, ID by ID → report. Whatever
// happens after the first activation exists, every activation is deleted before this returns or throws.
import { FleetError, type ErrorOptions } from '../../errors.js';
import { Interrupted } from '../../exit-codes.js';
import { groupNames } from '../../inventory/resolve.js';
import type { Inventory } from '../../inventory/schema.js';
import type { Templates } from '../../render/templates.js';
import type { ManagedNodeAdmin, Transport } from '../../transport/types.js';
import { identityScript } from '../identity-script.js';
import { Activations } from './activations.js';
import { detect } from './detect.js';
import { abortableSleep, checkAbort, type Limits, type RunEnv } from './env.js';
import { moveBoards } from './move.js';
import { executionOrder, planOf, plannedReport, type IdPlan, type ReactivationPlan } from './plan.js';
import { idReport, offlineBoard, seenRow, stillMissing, type IdReport, type Ledger, type ReactivateEvent, type ReactivateReport } from './report.js';
import { retireOffline } from './retire.js';

export interface ReactivateOptions {
  inventory: Inventory;
  groups?: string[];
  transport: Transport & ManagedNodeAdmin;
  /** Must hold host/pi-identity.sh and host/pi-reregister.sh. */
  templates: Templates;
  region: string;
  /** Identity polls per node for detection (default 3), this far apart (default 5 s). */
  polls?: number;
  pollIntervalMs?: number;
  /** How long to wait for a moved board's new ID to come online (default 4 min), polling this often (10 s). */
  newNodeTimeoutMs?: number;
  newNodePollMs?: number;
  /** Activation lifetime (default 1 h) and registrations beyond the boards to move (default 2). */
  activationTtlMs?: number;
  registrationMargin?: number;
  /** Boards moved per ID at most when the inventory lists none (default 50). */
  maxBoards?: number;
  /** Seconds the board waits before stopping its agent (default 5). */
  workerDelaySeconds?: number;
  /** IDs to treat as cloned whatever the polls say (--id). */
  forced?: string[];
  dryRun?: boolean;
  /** Asked after detection, before anything changes, with what would be done; false stops there. */
  confirm?: (planned: ReactivateReport) => Promise<boolean>;
  /** Told every activation code as soon as it exists (so the caller can scrub it from any output). */
  onSecret?: (code: string) => void;
  signal?: AbortSignal;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  onEvent?: (e: ReactivateEvent) => void;
}

function limitsOf(o: ReactivateOptions): Limits {
  return {
    polls: o.polls ?? 3,
    pollIntervalMs: o.pollIntervalMs ?? 5000,
    newNodeTimeoutMs: o.newNodeTimeoutMs ?? 240_000,
    newNodePollMs: o.newNodePollMs ?? 10_000,
    activationTtlMs: o.activationTtlMs ?? 3_600_000,
    registrationMargin: o.registrationMargin ?? 2,
    maxBoards: o.maxBoards ?? 50,
    workerDelaySeconds: o.workerDelaySeconds ?? 5,
  };
}

export async function reactivate(o: ReactivateOptions): Promise<ReactivateReport> {
  const now = o.now ?? Date.now;
  const warnings: string[] = [];
  const env: RunEnv = {
    tr: o.transport,
    templates: o.templates,
    region: o.region,
    stamp: new Date(now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    idScript: identityScript(o.templates),
    limits: limitsOf(o),
    signal: o.signal,
    now,
    sleep: o.sleep ?? ((ms: number) => abortableSleep(ms, o.signal)),
    say: (text) => o.onEvent?.({ kind: 'progress', text }),
    warn: (text) => {
      warnings.push(text);
      o.onEvent?.({ kind: 'warning', text });
    },
  };
  const groups = o.groups ?? groupNames(o.inventory);
  const d = await detect(env, { inventory: o.inventory, groups, forced: o.forced ?? [] });
  const report: ReactivateReport = { stamp: env.stamp, dryRun: o.dryRun === true, clean: true, nodesPolled: d.nodesPolled, warnings, ids: [], boards: [], activations: [] };
  if (d.detection.suspects.length === 0) return report;
  report.clean = false;

  const plan = planOf(d, env.limits.maxBoards);
  if (o.dryRun) return plannedReport(plan, report);
  if (o.confirm && !(await o.confirm(plannedReport(plan, report)))) return { ...plannedReport(plan, report), declined: true };

  // The ledger's rows and the activations' records are the report's own arrays: an interrupt leaves them as far as they got.
  const ledger: Ledger = { claimed: new Set(d.nodes.keys()), moved: new Set(), boards: report.boards };
  const activations = new Activations(env, o.onSecret);
  report.activations = activations.records;
  try {
    for (const p of executionOrder(plan)) {
      checkAbort(env.signal);
      report.ids.push(await carryOut(p, plan, env, ledger, activations));
    }
    for (const [group, miss] of plan.missing) for (const m of stillMissing(miss, ledger)) ledger.boards.push(offlineBoard(group, m, plan.suspects));
  } catch (e) {
    if (!(e instanceof Interrupted)) throw scrubError(e, activations.codes);
    report.aborted = 'interrupted';
    report.interrupted = e.signal;
  } finally {
    await activations.deleteAll();
  }
  return report;
}

async function carryOut(p: IdPlan, plan: ReactivationPlan, env: RunEnv, ledger: Ledger, activations: Activations): Promise<IdReport> {
  const s = p.suspect;
  const missing = plan.missing.get(s.group);
  switch (p.kind) {
    case 'retire':
      return retireOffline(env, ledger, s, p.pi, missing);
    case 'no-role':
      for (const b of s.boards) ledger.boards.push(seenRow(s, b, 'failed', 'not moved: set pi.iam_role for this group'));
      return idReport(s, 'kept', `group ${s.group} has no pi.iam_role: no activation can be created for it`);
    case 'move': {
      const group = plan.groups.get(s.group)!;
      if (!activations.of(s.group)) await activations.create(group, group.registrations);
      return moveBoards({ env, ledger, activations, plan: p, group, missing });
    }
    default:
      return p satisfies never;
  }
}

/** Replaces an activation code (≥ 4 characters) in an error's message: an SDK error may quote the request. */
function scrubError(e: unknown, codes: string[]): unknown {
  if (!(e instanceof Error)) return e;
  let m = e.message;
  for (const c of codes) if (c.length >= 4) m = m.split(c).join('(sensitive)');
  if (m === e.message) return e;
  if (!(e instanceof FleetError)) return new Error(m);
  const Same = e.constructor as new (message: string, o: ErrorOptions) => FleetError;
  return new Same(m, { ...(e.hint ? { hint: e.hint } : {}), details: e.details });
}
