// One poller per SsmTransport for every command in flight, whichever run() sent it. Each tick costs about
// one call however many commands are in flight: a paged ListCommands (InvokedAfter = the oldest command
// followed, 50 commands a page) reads every command's Status and counters (CompletedCount, ErrorCount,
// DeliveryTimedOutCount, TargetCount). Invocations are listed only where that says something happened:
//   - a command that is over is listed in full once (Details: outputs and final states);
//   - for runs that watch their failures (the rollout's error budget): when hosts of running commands
//     completed since the last look, ONE ListCommandInvocations with a Status filter (Failed; TimedOut when
//     the timeout/error counters call for it) finds the failures among them, across all those commands at
//     once, so the budget hears of them within a tick.
// Successes of a running command are reported when the command ends (they spend no budget). So the
// invocation lists cost one per command plus one per tick with a failure, not one per command per tick.
// Ticks come every pollMs growing ×1.5 to maxPollMs, counted from the start of the previous tick, or sooner
// when the pace of the commands in flight says they end before then (poll-pace.ts); a new run or a cancel
// brings the next one within pollMs. A run that was cancelled is polled every pollMs until its grace period
// ends, then its unfinished commands are listed once more (the last states seen).
import { ListCommandInvocationsCommand, ListCommandsCommand, type Command, type CommandFilter, type CommandInvocation } from '@aws-sdk/client-ssm';
import { AwsError } from '../errors.js';
import { mapLimit, type Sleep } from './backoff.js';
import type { Board, Sent } from './board.js';
import type { AwsContext } from './clients.js';
import { awsErrorName } from './errors.js';
import { countersOf, Follow, over, type Counters, type FollowOptions, type Tracked } from './follow.js';
import { isTerminal, NO_INVOCATION } from './invocation.js';
import { expectedEnd, type PhasePace } from './poll-pace.js';

export interface PollContext extends AwsContext {
  sleep: Sleep;
  now: () => number;
  /** First poll interval; it grows ×1.5 per tick up to maxPollMs (and starts again when a run begins). */
  pollMs: number;
  maxPollMs: number;
}

export const DOCUMENT = 'AWS-RunShellScript';
const PAGE = 50;
/** Ticks a command may be missing from the ListCommands page (eventual consistency) before it is asked for by ID. */
const UNLISTED_TICKS = 2;
/** Ticks after which a command that neither ListCommands nor its ID lookup knows is an error. */
const UNKNOWN_TICKS = 10;
/** InvokedAfter is the service's RequestedDateTime; when only our clock is known, allow this much skew. */
export const CLOCK_SKEW_MS = 60_000;
/** How long completions that may be failures outside the error counters (Undeliverable, …) may wait for a look.
 * Those hosts never ran the script (no sign the change is bad, no host harmed by waiting): a minute, not a tick.
 * A failure the counters show is looked for at once, and takes these along. */
const MAYBE_LOOK_MS = 60_000;
/** ISO 8601 to the second, at or before `ms` (what the InvokedAfter filter takes). */
export const isoSecond = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

function invokedAfter(cmds: Tracked[]): string {
  return isoSecond(Math.min(...cmds.map((c) => c.sent.sentAt - (c.sent.serviceTime ? 0 : CLOCK_SKEW_MS))));
}

export class CommandPoller {
  private readonly follows = new Set<Follow>();
  private readonly byId = new Map<string, Tracked>();
  private running = false;
  private interval: number;
  private nextTickAt = 0;
  private wakeCtl = new AbortController();
  private lastLookAt = -Infinity;
  /** Completions seen by the last tick since the one before (poll-pace.ts), and when that tick read them. */
  private pace: PhasePace | undefined;
  private lastTickAt: number | undefined;

  constructor(private readonly ctx: PollContext) {
    this.interval = ctx.pollMs;
  }

  /** Starts following the commands `board` sent. */
  follow(board: Board, o: FollowOptions = {}): Follow {
    const f = new Follow(board, o, this);
    if (f.commands.length === 0) return f;
    this.follows.add(f);
    for (const c of f.commands) this.byId.set(c.id, c);
    this.hurry();
    return f;
  }

  remove(f: Follow): void {
    if (!this.follows.delete(f)) return;
    for (const c of f.commands) this.byId.delete(c.id);
  }

  /** The next tick comes within pollMs, and the interval grows from pollMs again (a new run, a cancel). */
  hurry(): void {
    this.interval = this.ctx.pollMs;
    const at = this.ctx.now() + this.ctx.pollMs;
    if (!this.running) {
      this.running = true;
      this.nextTickAt = at;
      void this.loop();
    } else if (at < this.nextTickAt) {
      this.nextTickAt = at;
      this.wakeCtl.abort();
      this.wakeCtl = new AbortController();
    }
  }

  private busy(): boolean {
    return [...this.follows].some((f) => !f.graceOver && f.commands.some((c) => !c.finished));
  }

  private async loop(): Promise<void> {
    try {
      while (this.busy()) {
        const now = this.ctx.now();
        let wakeAt = this.nextTickAt;
        for (const f of this.follows) {
          if (f.deadline !== undefined && !f.stopped(now)) wakeAt = Math.min(wakeAt, f.deadline);
          if (f.inGrace()) wakeAt = Math.min(wakeAt, f.graceEnd!);
        }
        if (wakeAt > now) await this.ctx.sleep(wakeAt - now, this.wakeCtl.signal);
        if (this.ctx.now() >= this.nextTickAt) {
          const start = this.ctx.now();
          this.nextTickAt = Infinity; // hurry() during the tick sets it
          await this.tick();
          const grace = [...this.follows].some((f) => f.inGrace());
          const now = this.ctx.now();
          const expected = grace ? undefined : expectedEnd(this.live(), now, this.pace);
          // The interval grows from pollMs so that a short phase is noticed soon. It does not jump to maxPollMs when
          // the pace says the end is far: early in a phase SSM's ramp (one host, then twice as many) makes the
          // pace understate, and a 1 s phase of 50 hosts was noticed 4.6 s late.
          this.interval = grace ? this.ctx.pollMs : Math.min(this.ctx.maxPollMs, this.interval * 1.5);
          // Ticks keep their cadence however long one takes (a slow service must not stretch the interval),
          // with a pause of at least half a pollMs between them.
          const step = grace ? this.ctx.pollMs : this.interval;
          this.nextTickAt = Math.min(this.nextTickAt, Math.max(start + step, now + this.ctx.pollMs / 2));
          // Sooner when the pace so far says the commands in flight end before then (poll-pace.ts).
          if (expected !== undefined) this.nextTickAt = Math.min(this.nextTickAt, Math.max(expected, now + this.ctx.pollMs / 2));
        }
        await this.endGraces();
        for (const f of this.follows) f.poke();
      }
    } catch (e) {
      // Not expected (tick() hands its errors to the runs concerned); never leave a run waiting.
      for (const f of this.follows) f.fail(e);
    } finally {
      this.running = false;
    }
  }

  private live(): Tracked[] {
    return [...this.follows].filter((f) => !f.graceOver).flatMap((f) => f.commands.filter((c) => !c.finished));
  }

  private async tick(): Promise<void> {
    const cmds = this.live();
    if (cmds.length === 0) return;
    const now = this.ctx.now();
    let counters: Map<string, Counters>;
    try {
      counters = await this.listCommands(cmds);
    } catch (e) {
      for (const f of new Set(cmds.map((c) => c.follow))) f.fail(e);
      return;
    }
    const done: Tracked[] = [];
    const timedOutLook: Tracked[] = [];
    let certain = false; // ErrorCount or DeliveryTimedOutCount moved: a failure for sure
    let completed = 0;
    for (const c of cmds) {
      const k = counters.get(c.id);
      if (!k) {
        if (++c.unlisted >= UNKNOWN_TICKS) c.follow.fail(new AwsError(`ssm:ListCommands does not know command ${c.id}, sent a while ago`));
        continue;
      }
      c.unlisted = 0;
      const last = c.last ?? { status: 'Pending', target: 0, completed: 0, errors: 0, deliveryTimedOut: 0 };
      if (c.last && c.lastAt !== undefined) c.before = { at: c.lastAt, completed: c.last.completed };
      completed += Math.max(0, k.completed - last.completed);
      c.last = k;
      c.lastAt = now;
      if (over(k)) done.push(c);
      else if (c.follow.watchesFailures && !c.follow.stopped(now)) {
        if (k.completed - k.deliveryTimedOut > last.completed - last.deliveryTimedOut) c.unseen = true;
        if (k.errors > last.errors) certain = true;
        if (k.deliveryTimedOut > last.deliveryTimedOut) {
          certain = true;
          timedOutLook.push(c);
        }
      }
    }
    // The phase's pace since the previous tick, or since the first of these commands was sent (a new phase
    // after an idle poller).
    const from = Math.max(this.lastTickAt ?? -Infinity, Math.min(...cmds.map((c) => c.sent.sentAt)));
    this.pace = { completed, ms: now - from };
    this.lastTickAt = now;
    // Completions outside the error counters are mostly successes, but can be failures the budget counts
    // (Undeliverable, InvalidPlatform, AccessDenied): looked for with the next certain failure, or after a while.
    // Only for runs that watch their failures (unseen is set for no other).
    const failedLook =
      certain || now - this.lastLookAt >= MAYBE_LOOK_MS ? cmds.filter((c) => c.unseen && c.last && !over(c.last) && !c.follow.stopped(now)) : [];
    if (failedLook.length > 0) this.lastLookAt = now;
    const attempt = async (fn: () => Promise<void>, concerned: Tracked[]): Promise<void> => {
      try {
        await fn();
      } catch (e) {
        for (const f of new Set(concerned.map((c) => c.follow))) f.fail(e);
      }
    };
    await Promise.all([
      attempt(async () => {
        await this.look('Failed', failedLook);
        for (const c of failedLook) c.unseen = false;
        // ExecutionTimedOut counts in ErrorCount too: look for timeouts when failures are still unaccounted for.
        const unexplained = failedLook.filter((c) => c.last!.errors + c.last!.deliveryTimedOut > c.countedFailures());
        await this.look('TimedOut', [...new Set([...timedOutLook, ...unexplained])]);
      }, [...failedLook, ...timedOutLook]),
      mapLimit(done, this.ctx.concurrency, (c) =>
        attempt(async () => {
          for (const inv of await this.listInvocations(c.id)) c.follow.board.recordListed(inv, c.id);
          this.settle(c);
        }, [c]),
      ),
    ]);
  }

  /** Finished when every host is terminal; hosts never listed by a command that is over get NO_INVOCATION. */
  private settle(c: Tracked): void {
    const board = c.follow.board;
    const open = c.sent.instanceIds.filter((id) => !isTerminal(board.status(id).status));
    if (open.length > 0) {
      // Right after SendCommand the list may be empty (eventual consistency): a missing host is "not yet",
      // until the command itself is over and still has no record of it.
      if (!c.last || !isTerminal(c.last.status) || open.some((id) => board.hasSeen(id))) return;
      for (const id of open) board.record({ ...board.status(id), status: 'Failed', statusDetails: NO_INVOCATION, responseCode: -1 });
    }
    c.finished = true;
  }

  /** At the end of a grace period: list what is left once (the last states seen), then stop following it. */
  private async endGraces(): Promise<void> {
    const now = this.ctx.now();
    for (const f of this.follows) {
      if (!f.inGrace() || now < f.graceEnd!) continue;
      const left = f.commands.filter((c) => !c.finished);
      try {
        await mapLimit(left, this.ctx.concurrency, async (c) => {
          for (const inv of await this.listInvocations(c.id)) f.board.recordListed(inv, c.id);
          this.settle(c);
        });
      } catch {
        // keep the last states seen rather than lose every result
      }
      f.graceOver = true;
    }
  }

  /** Every followed command's counters: one paged ListCommands, newest first, until all of them were seen. */
  private async listCommands(cmds: Tracked[]): Promise<Map<string, Counters>> {
    const wanted = new Set(cmds.map((c) => c.id));
    const found = new Map<string, Counters>();
    const Filters: CommandFilter[] = [
      { key: 'InvokedAfter', value: invokedAfter(cmds) },
      { key: 'DocumentName', value: DOCUMENT },
    ];
    let NextToken: string | undefined;
    do {
      const page = await this.ctx.call('ssm:ListCommands', () => this.ctx.ssm.send(new ListCommandsCommand({ Filters, MaxResults: PAGE, NextToken })));
      for (const c of page.Commands ?? []) if (c.CommandId && wanted.has(c.CommandId)) found.set(c.CommandId, countersOf(c));
      NextToken = page.NextToken;
    } while (NextToken && found.size < wanted.size);
    // Not listed yet (eventual consistency, or a clock far off): ask for those by ID.
    const lagging = cmds.filter((c) => !found.has(c.id) && c.unlisted + 1 >= UNLISTED_TICKS);
    await mapLimit(lagging, this.ctx.concurrency, async (c) => {
      try {
        const r = await this.ctx.call('ssm:ListCommands', () => this.ctx.ssm.send(new ListCommandsCommand({ CommandId: c.id })));
        const x = r.Commands?.[0];
        if (x) found.set(c.id, countersOf(x));
      } catch (e) {
        if (awsErrorName(e) !== 'InvalidCommandId') throw e;
      }
    });
    return found;
  }

  /** The invocations in `status` of the commands `cmds` (of one by ID; of several at once by time and document). */
  private async look(status: 'Failed' | 'TimedOut', cmds: Tracked[]): Promise<void> {
    if (cmds.length === 0) return;
    const Filters: CommandFilter[] = [{ key: 'Status', value: status }];
    const one = cmds.length === 1 ? cmds[0]!.id : undefined;
    if (!one) Filters.push({ key: 'InvokedAfter', value: invokedAfter(cmds) }, { key: 'DocumentName', value: DOCUMENT });
    let NextToken: string | undefined;
    do {
      const page = await this.ctx.call('ssm:ListCommandInvocations', () =>
        this.ctx.ssm.send(new ListCommandInvocationsCommand({ ...(one ? { CommandId: one } : {}), Filters, Details: true, MaxResults: PAGE, NextToken })),
      );
      for (const inv of page.CommandInvocations ?? []) {
        const id = inv.CommandId ?? one;
        const c = id ? this.byId.get(id) : undefined;
        if (c && !c.finished) c.follow.board.recordListed(inv, c.id);
      }
      NextToken = page.NextToken;
    } while (NextToken);
  }

  private async listInvocations(commandId: string): Promise<CommandInvocation[]> {
    const out: CommandInvocation[] = [];
    let NextToken: string | undefined;
    do {
      const page = await this.ctx.call('ssm:ListCommandInvocations', () =>
        this.ctx.ssm.send(new ListCommandInvocationsCommand({ CommandId: commandId, Details: true, MaxResults: PAGE, NextToken })),
      );
      out.push(...(page.CommandInvocations ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
    return out;
  }
}
