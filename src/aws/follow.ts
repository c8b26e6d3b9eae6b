// What the poller (poller.ts) keeps per run and per command: a Follow is one run()'s commands as the poller
// follows them, with the run's signal, deadline and grace period; a Tracked is one command with the
// ListCommands counters seen at the last look. Apart from the poller so each file holds one concept.
import type { Command } from '@aws-sdk/client-ssm';
import type { Board, Sent } from './board.js';
import { isTerminal } from './invocation.js';

/** What a Follow needs of the poller that owns it. */
interface FollowOwner {
  hurry(): void;
  remove(f: Follow): void;
}

/** Invocation details ListCommands counts in ErrorCount (Failed, ExecutionTimedOut) and DeliveryTimedOutCount. */
const COUNTED = new Set(['Failed', 'ExecutionTimedOut', 'DeliveryTimedOut']);

export interface Counters {
  status: string;
  target: number;
  completed: number;
  errors: number;
  deliveryTimedOut: number;
}

export const countersOf = (c: Command): Counters => ({
  status: c.Status ?? 'Pending',
  target: c.TargetCount ?? 0,
  completed: c.CompletedCount ?? 0,
  errors: c.ErrorCount ?? 0,
  deliveryTimedOut: c.DeliveryTimedOutCount ?? 0,
});

/** The command is over: SSM says so, or every target completed. */
export const over = (k: Counters): boolean => isTerminal(k.status) || (k.target > 0 && k.completed >= k.target);

export class Tracked {
  finished = false;
  /** Counters at the last look; undefined before the first. */
  last: Counters | undefined;
  /** When `last` was read, and what the look before it saw completed (the pace: poll-pace.ts). */
  lastAt: number | undefined;
  before: { at: number; completed: number } | undefined;
  unlisted = 0;
  /** Hosts completed (other than by delivery timeout) since the last Failed look: maybe failures. */
  unseen = false;

  constructor(
    readonly sent: Sent,
    readonly follow: Follow,
  ) {}

  get id(): string {
    return this.sent.commandId;
  }

  /** Hosts whose failure the error/timeout counters already account for. */
  countedFailures(): number {
    return this.sent.instanceIds.filter((id) => COUNTED.has(this.follow.board.status(id).statusDetails)).length;
  }
}

export interface FollowOptions {
  signal?: AbortSignal;
  deadline?: number;
  /** RunOptions.watchFailures: the poller looks for this run's failures while its commands run. */
  watchFailures?: boolean;
}

/** One run()'s commands as the poller follows them. The run waits on `changed()` and decides what to do. */
export class Follow {
  readonly commands: Tracked[];
  /** Set by graceUntil: the run cancelled its commands and waits for final states until then. */
  graceEnd: number | undefined;
  /** The grace period ended; the unfinished commands were listed one last time. */
  graceOver = false;
  private failure: { e: unknown } | undefined;
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private readonly onAbort = (): void => this.poke();

  constructor(
    readonly board: Board,
    private readonly o: FollowOptions,
    private readonly poller: FollowOwner,
  ) {
    this.commands = board.sent.map((s) => new Tracked(s, this));
    o.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Aborted or past its deadline: the poller no longer hunts for its failures nor wakes for its deadline. */
  stopped(now: number): boolean {
    return this.o.signal?.aborted === true || (this.o.deadline !== undefined && now >= this.o.deadline);
  }

  /** Its failures are looked for as they happen (not only when a command ends). */
  get watchesFailures(): boolean {
    return this.o.watchFailures === true;
  }

  get deadline(): number | undefined {
    return this.o.deadline;
  }

  unfinished(): Sent[] {
    return this.commands.filter((c) => !c.finished).map((c) => c.sent);
  }

  /** Settles at the next change: a tick, the abort, the deadline, the end of the grace period; rejects on a poll error. */
  changed(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure.e);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  poke(): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w.resolve();
  }

  fail(e: unknown): void {
    this.failure ??= { e };
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w.reject(e);
  }

  /** The run cancelled its commands: poll at pollMs until `at`, then list what is left once and stop. */
  graceUntil(at: number): void {
    this.graceEnd = at;
    this.poller.hurry();
  }

  inGrace(): boolean {
    return this.graceEnd !== undefined && !this.graceOver;
  }

  close(): void {
    this.o.signal?.removeEventListener('abort', this.onAbort);
    this.poller.remove(this);
    this.poke();
  }
}
