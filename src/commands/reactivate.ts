// `stns-fleet reactivate`: find managed-node IDs shared by cloned Raspberry Pi SD cards and give every board its
// own ID (src/pi/reactivate.ts). Shows what it found and asks before changing anything (unless --yes);
// --dry-run stops after detection. Detection and the moves are two progress steps (the question comes
// between them: no live frame may be up while the terminal asks); what happens reaches the view the CLI chose
// as events and one report. Exit: 0 nothing to do or every board moved, 2 not finished (boards off,
// pending, or found with --dry-run: run again), 1 a board failed or declined, 130/143 interrupted.
import { UserError } from '../errors.js';
import { interruptedLabel, signalExitCode } from '../exit-codes.js';
import { targetsOf } from '../inventory/resolve.js';
import { runSteps, stepFailed } from '../output/progress.js';
import type { ReactivateResult, ReactivateView } from '../output/views/reactivate.js';
import { PI_IDENTITY_LIB } from '../pi/identity-script.js';
import { reactivate, type ReactivateReport } from '../pi/reactivate.js';
import { PI_REREGISTER_LIB } from '../pi/reregister-script.js';
import { MANAGED_NODE_ID_RE } from '../inventory/patterns.js';
import { loadTemplates } from '../render/templates.js';
import { parseDuration } from './duration.js';
import { openSession, type FleetOptions, type TransportFactory } from './session.js';

/** A virtual clock, for tests: reactivate waits between polls and for new nodes. */
export interface Clock {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

export interface ReactivateCommandOptions extends FleetOptions {
  /** Treat these managed-node IDs as cloned whatever the polls say. */
  id?: string[];
  dryRun?: boolean;
  yes?: boolean;
  /** Identity polls per node (default 3). */
  polls?: string;
  /** Time between polls (default 5s). */
  interval?: string;
  /** How long to wait for each moved board's new ID (default 4m). */
  wait?: string;
  /** Seconds a board's detached re-register worker waits before stopping its agent (default 5; no CLI flag:
   * for callers such as the lab tests, which need not wait the margin a real agent's reply takes). */
  workerDelaySeconds?: number;
}

function reactivateExitCode(r: ReactivateReport): number {
  if (r.interrupted) return signalExitCode(r.interrupted);
  if (r.declined || r.boards.some((b) => b.outcome === 'failed')) return 1;
  if (r.clean) return 0;
  if (r.dryRun) return 2;
  if (r.boards.some((b) => b.outcome === 'pending' || b.outcome === 'offline') || r.ids.some((i) => i.action === 'kept')) return 2;
  return 0;
}

function positive(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 20) throw new UserError(`${flag} ${v}: give a whole number from 1 to 20`);
  return Number(v);
}

export async function runReactivate(o: ReactivateCommandOptions, makeTransport: TransportFactory, view: ReactivateView, signal?: AbortSignal, clock?: Clock): Promise<number> {
  for (const id of o.id ?? []) {
    if (!MANAGED_NODE_ID_RE.test(id)) throw new UserError(`--id ${id}: not a managed node ID (mi- and 17 hex digits)`);
  }
  const polls = positive(o.polls, '--polls');
  const interval = o.interval === undefined ? undefined : parseDuration(o.interval, '--interval');
  const wait = o.wait === undefined ? undefined : parseDuration(o.wait, '--wait');
  const s = await openSession(o, makeTransport);
  const templates = await loadTemplates(o.templates, [PI_IDENTITY_LIB, PI_REREGISTER_LIB]);
  for (const w of s.warnings) view.event({ kind: 'warning', text: w });
  const region = o.region ?? s.inventory.aws.region;

  if (!o.dryRun && !o.yes && !view.emitter.confirm) {
    throw new UserError('refusing to prompt for confirmation: stdin is not a terminal', { hint: 'see what would change with --dry-run, then run again with --yes' });
  }
  const result = (report: ReactivateReport): ReactivateResult => ({
    report,
    listedById: report.ids.filter((i) => targetsOf(s.inventory, i.group).ids.includes(i.id)).map((i) => i.id),
  });
  // reactivate() asks (confirm) after detection, before any change: that ends the first step. With --yes the
  // answer is given at once, without a question.
  let asked!: (planned: ReactivateReport) => void;
  const question = new Promise<ReactivateReport>((resolve) => (asked = resolve));
  let answer!: (ok: boolean) => void;
  const answered = new Promise<boolean>((resolve) => (answer = resolve));
  const start = (): Promise<ReactivateReport> => reactivate({
    inventory: s.inventory,
    groups: s.groups,
    transport: s.transport,
    templates,
    region,
    ...(polls ? { polls } : {}),
    ...(interval !== undefined ? { pollIntervalMs: interval } : {}),
    ...(wait !== undefined ? { newNodeTimeoutMs: wait } : {}),
    ...(o.workerDelaySeconds !== undefined ? { workerDelaySeconds: o.workerDelaySeconds } : {}),
    ...(o.id && o.id.length > 0 ? { forced: o.id } : {}),
    ...(o.dryRun ? { dryRun: true } : {}),
    ...(signal ? { signal } : {}),
    ...(clock ? { now: clock.now, sleep: clock.sleep } : {}),
    // scrub() treats every value alike: the code is scrubbed from everything written once it exists.
    onSecret: (c) => view.emitter.protect([{ auth_token: c }]),
    onEvent: (event) => view.event({ kind: 'run', event }),
    ...(o.dryRun ? {} : { confirm: (planned: ReactivateReport) => (asked(planned), answered) }),
  });

  let running: Promise<ReactivateReport> | undefined;
  let report: ReactivateReport | undefined;
  let planned: ReactivateReport | undefined;
  await runSteps(
    [
      {
        title: `Looking for cloned managed-node IDs in ${s.groups.length} group(s)`,
        run: async () => {
          running = start(); // here, so its first status line has a step to show on
          const first = await Promise.race([running.then((r) => ({ done: r })), question.then((p) => ({ planned: p }))]);
          if ('done' in first) report = first.done;
          else planned = first.planned;
          const found = report ?? planned!;
          return found.clean ? `No cloned managed-node IDs: ${found.nodesPolled} online node(s) polled` : `Found ${found.ids.length} suspected cloned ID(s)`;
        },
      },
    ],
    view.progress,
  );
  if (planned) {
    let ok = o.yes === true;
    try {
      if (!ok) {
        view.event({ kind: 'planned', planned: result(planned) });
        ok = (await view.confirm(signal)) === true;
      }
    } finally {
      answer(ok); // also when the question failed: reactivate() then returns, declined, having changed nothing
    }
    if (ok) {
      await runSteps(
        [
          {
            title: `Moving the boards of ${planned.ids.length} cloned ID(s)`,
            run: async () => {
              const r = (report = await running!);
              const moved = r.boards.filter((b) => b.outcome === 'moved').length;
              return r.interrupted ? stepFailed(`Moves stopped: ${interruptedLabel(r.interrupted)}; ${moved} board(s) moved`) : `Boards moved: ${moved} of ${r.boards.length}`;
            },
          },
        ],
        view.progress,
      );
    } else report = await running!;
  }
  view.result(result(report!));
  return reactivateExitCode(report!);
}
