// Run Command's life cycle (docs/reference/ssm.md §1, §3): one Command per SendCommand, one Invocation per target node.
// - Rate control: dispatch starts with one node and doubles the window each time an invocation ends, up to
//   MaxConcurrency. Errors (Failed, ExecutionTimedOut) beyond MaxErrors stop dispatch; invocations not yet
//   sent end Cancelled/Terminated, the ones running finish.
// - Timeouts, as the command asked (as SSM does): a node that has not picked the command up by TimeoutSeconds
//   never runs it; at TimeoutSeconds + executionTimeout every invocation that never started ends
//   TimedOut/DeliveryTimedOut (ResponseCode -1); a running script is killed at executionTimeout:
//   TimedOut/ExecutionTimedOut, 137. An invocation waiting for its turn (MaxConcurrency) waits as long as the
//   command allows, so a merely slow or busy host never looks undeliverable. The lab's caps (deliveryCapMs,
//   executionCapMs) stand in only for waiting on what will never come: a node nobody answers, a slow pick-up
//   (the slow fault) longer than the capped delivery time, and a hung script (the timeout fault). The delivery
//   cap counts from the moment the invocation is handed to the node, not from SendCommand: time spent queued
//   behind the rate control on a loaded machine is the command's own (TimeoutSeconds), never the cap's.
// - Exit codes: 0 Success; 137 TimedOut (also when the script itself exits 137, as the agent reports it);
//   168 Success; anything else Failed with that ResponseCode.
// - Command status once every invocation ended: Cancelled when the command was cancelled; Failed when errors
//   passed MaxErrors; TimedOut (Delivery/ExecutionTimedOut) when that many invocations timed out; otherwise
//   Success, with StatusDetails Success, Incomplete (some did not succeed) or NoInstancesInTag.
import type { HostFault } from './faults.js';
import type { LabHost } from './hosts.js';
import type { HostRunner, RunHandle, RunResult } from './runner.js';

export type InvocationStatus = 'Pending' | 'InProgress' | 'Delayed' | 'Success' | 'Cancelled' | 'TimedOut' | 'Failed' | 'Cancelling';
export type CommandStatus = 'Pending' | 'InProgress' | 'Success' | 'Cancelled' | 'Failed' | 'TimedOut' | 'Cancelling';

export interface Invocation {
  commandId: string;
  instanceId: string;
  requestedAt: Date;
  /** Listed from this time on (eventual consistency). */
  visibleAt: number;
  status: InvocationStatus;
  details: string;
  responseCode: number;
  /** Handed to the node (dispatch slot taken). */
  sent: boolean;
  /** Picked up by the node: from here on only the execution timeout ends it. */
  running: boolean;
  startedAt?: Date;
  endedAt?: Date;
  stdout: string;
  stderr: string;
  /** The lab host that ran it. */
  hostKey?: string;
  computerName?: string;
  handle?: RunHandle;
  timer?: NodeJS.Timeout;
}

export interface Target {
  Key: string;
  Values: string[];
}

export interface CommandInput {
  documentName: string;
  documentVersion: string;
  comment: string;
  parameters: Record<string, string[]>;
  /** As given in the request (empty when Targets were used). */
  instanceIds: string[];
  targets: Target[];
  /** Nodes resolved from InstanceIds or Targets. */
  resolved: string[];
  timeoutSeconds: number;
  maxConcurrency: string;
  maxErrors: string;
  script: string;
  /** The region the client sent it to (AWS_SSM_REGION_NAME on the node). */
  region: string;
  workingDirectory?: string;
  executionTimeoutSeconds: number;
}

export interface Command extends CommandInput {
  id: string;
  requestedAt: Date;
  expiresAfter: Date;
  status: CommandStatus;
  details: string;
  invocations: Invocation[];
  window: number;
  limit: number;
  errorThreshold: number;
  deliveryDeadline: number;
  executionMs: number;
  /** How long a hung script (timeout fault) runs before it is killed: the capped executionTimeout. */
  hangMs: number;
  queueTimer?: ReturnType<typeof setTimeout>;
  stopped: boolean;
  cancelled: boolean;
  timer?: NodeJS.Timeout;
}

export interface EngineDeps {
  runner: HostRunner;
  route(instanceId: string): LabHost | undefined;
  newId(): string;
  deliveryCapMs: number;
  /** Optional cap on the wait for a MaxConcurrency slot (LabOptions.queueTimeoutMs). */
  queueCapMs?: number;
  executionCapMs: number;
  visibilityDelayMs: number;
}

const TERMINAL = new Set<InvocationStatus>(['Success', 'Cancelled', 'TimedOut', 'Failed']);

export function isTerminal(i: Invocation): boolean {
  return TERMINAL.has(i.status);
}

/** "50" → 50; "10%" of n → at least 1 (MaxConcurrency) / rounded down (MaxErrors). */
export function rate(value: string, targets: number, atLeastOne: boolean): number {
  if (!value.endsWith('%')) return Number(value);
  const n = Math.floor((Number(value.slice(0, -1)) * targets) / 100);
  return atLeastOne ? Math.max(1, n) : n;
}

export function counts(c: Command): { completed: number; errors: number; deliveryTimedOut: number } {
  let completed = 0;
  let errors = 0;
  let deliveryTimedOut = 0;
  for (const i of c.invocations) {
    if (!isTerminal(i)) continue;
    completed++;
    if (i.details === 'Failed' || i.details === 'ExecutionTimedOut') errors++;
    if (i.details === 'DeliveryTimedOut') deliveryTimedOut++;
  }
  return { completed, errors, deliveryTimedOut };
}

export class CommandEngine {
  readonly commands = new Map<string, Command>();
  private stopping = false;

  constructor(private readonly d: EngineDeps) {}

  send(input: CommandInput): Command {
    const now = Date.now();
    const deliveryMs = Math.min(input.timeoutSeconds * 1000, this.d.queueCapMs ?? Infinity);
    const executionMs = input.executionTimeoutSeconds * 1000;
    const hangMs = Math.min(executionMs, this.d.executionCapMs);
    const requestedAt = new Date(now);
    const c: Command = {
      ...input,
      id: this.d.newId(),
      requestedAt,
      expiresAfter: new Date(now + deliveryMs + executionMs),
      status: 'Pending',
      details: 'Pending',
      invocations: [],
      window: 1,
      limit: Math.max(1, rate(input.maxConcurrency, input.resolved.length, true)),
      errorThreshold: rate(input.maxErrors, input.resolved.length, false),
      deliveryDeadline: now + deliveryMs,
      executionMs,
      hangMs,
      stopped: false,
      cancelled: false,
    };
    c.invocations = input.resolved.map((instanceId) => ({
      commandId: c.id,
      instanceId,
      requestedAt,
      visibleAt: now + this.d.visibilityDelayMs,
      status: 'Pending',
      details: 'Pending',
      responseCode: -1,
      sent: false,
      running: false,
      stdout: '',
      stderr: '',
    }));
    this.commands.set(c.id, c);
    c.timer = setTimeout(() => this.expire(c), deliveryMs + executionMs);
    c.queueTimer = setTimeout(() => this.expireQueued(c), deliveryMs);
    this.pump(c);
    this.settle(c);
    return c;
  }

  /** CancelCommand: stops what has not run, kills what runs; the whole command when no IDs are given. */
  cancel(c: Command, instanceIds?: string[]): void {
    const all = !instanceIds || instanceIds.length === 0;
    if (all) c.cancelled = true;
    for (const i of c.invocations) {
      if (isTerminal(i) || (!all && !instanceIds.includes(i.instanceId))) continue;
      if (i.handle && i.running) {
        i.status = 'Cancelling';
        i.details = 'Cancelling';
        i.handle.cancel();
      } else {
        this.finish(c, i, 'Cancelled', 'Cancelled', -1);
      }
    }
    this.settle(c);
  }

  /** Ends every command now (lab stop): timers cleared, processes killed. */
  stop(): void {
    this.stopping = true;
    for (const c of this.commands.values()) {
      clearTimeout(c.timer);
      clearTimeout(c.queueTimer);
      for (const i of c.invocations) {
        clearTimeout(i.timer);
        if (!isTerminal(i)) i.handle?.cancel();
      }
    }
  }

  private pump(c: Command): void {
    if (this.stopping || c.stopped || c.cancelled || Date.now() >= c.deliveryDeadline) return;
    let inFlight = c.invocations.filter((i) => i.sent && !isTerminal(i)).length;
    for (const i of c.invocations) {
      if (inFlight >= c.window) break;
      if (i.sent || isTerminal(i)) continue;
      this.dispatch(c, i);
      if (!isTerminal(i)) inFlight++;
    }
  }

  private dispatch(c: Command, i: Invocation): void {
    i.sent = true;
    i.status = 'InProgress';
    i.details = 'InProgress';
    if (c.status === 'Pending') {
      c.status = 'InProgress';
      c.details = 'InProgress';
    }
    // The capped wait for a pick-up, from now: what is left of TimeoutSeconds, at most the lab's cap.
    const lostMs = Math.max(0, Math.min(this.d.deliveryCapMs, c.deliveryDeadline - Date.now()));
    // Reported at the capped delivery time + the capped execution time, as SSM reports it after both.
    const lose = (): void => {
      i.timer = setTimeout(() => this.lost(c, i), lostMs + c.hangMs);
    };
    const host = this.d.route(i.instanceId);
    if (!host) return lose(); // nobody answers
    const fault: HostFault | undefined = host.fault;
    if (fault === 'undeliverable') {
      this.finish(c, i, 'Failed', 'Undeliverable', -1);
      return;
    }
    const pickUp = (): void => {
      i.timer = undefined;
      if (isTerminal(i) || this.stopping) return;
      this.start(c, i, host);
    };
    // Whether a slow pick-up comes too late is decided here, from the delay itself, not by when a timer fires
    // on a loaded machine: one not shorter than the capped delivery time never starts (DeliveryTimedOut).
    if (fault === 'slow' && host.slowDelayMs >= lostMs) return lose();
    if (fault === 'slow') i.timer = setTimeout(pickUp, host.slowDelayMs);
    else pickUp();
  }

  private start(c: Command, i: Invocation, host: LabHost): void {
    i.running = true;
    i.hostKey = host.key;
    i.computerName = host.computerName;
    i.handle = this.d.runner.run({
      host,
      instanceId: i.instanceId,
      commandId: c.id,
      script: c.script,
      region: c.region,
      ...(c.workingDirectory ? { workingDirectory: c.workingDirectory } : {}),
      timeoutMs: host.fault === 'timeout' ? c.hangMs : c.executionMs,
      hang: host.fault === 'timeout',
    });
    void i.handle.started.then((d) => (i.startedAt = d));
    void i.handle.done.then((r) => this.ran(c, i, r));
  }

  private ran(c: Command, i: Invocation, r: RunResult): void {
    if (isTerminal(i)) return;
    i.stdout = r.stdout;
    i.stderr = r.stderr;
    if (r.startedAt) i.startedAt = r.startedAt;
    if (r.killedFor === 'cancel') this.finish(c, i, 'Cancelled', 'Cancelled', r.spawned ? r.exitCode : -1);
    else if (r.killedFor === 'timeout' || r.exitCode === 137) this.finish(c, i, 'TimedOut', 'ExecutionTimedOut', r.exitCode);
    else if (r.exitCode === 0 || r.exitCode === 168) this.finish(c, i, 'Success', 'Success', r.exitCode);
    else this.finish(c, i, 'Failed', 'Failed', r.exitCode);
    this.pump(c);
    this.settle(c);
  }

  private finish(c: Command, i: Invocation, status: InvocationStatus, details: string, code: number): void {
    clearTimeout(i.timer);
    i.timer = undefined;
    i.status = status;
    i.details = details;
    i.responseCode = code;
    i.endedAt = new Date();
    c.window = Math.min(c.limit, c.window * 2);
    if (!c.stopped && counts(c).errors > c.errorThreshold) {
      c.stopped = true;
      for (const p of c.invocations) if (!p.sent && !isTerminal(p)) this.finish(c, p, 'Cancelled', 'Terminated', -1);
    }
  }

  /** At TimeoutSeconds: invocations still waiting for a slot never run (DeliveryTimedOut, as SSM). */
  private expireQueued(c: Command): void {
    for (const i of c.invocations) if (!isTerminal(i) && !i.sent) this.finish(c, i, 'TimedOut', 'DeliveryTimedOut', -1);
    this.settle(c);
  }

  /** An invocation handed to nobody, or whose slow pick-up came too late, at its capped time: DeliveryTimedOut. */
  private lost(c: Command, i: Invocation): void {
    i.timer = undefined;
    if (isTerminal(i) || i.running) return;
    this.finish(c, i, 'TimedOut', 'DeliveryTimedOut', -1);
    this.pump(c);
    this.settle(c);
  }

  /** The total timeout: whatever never started is DeliveryTimedOut. */
  private expire(c: Command): void {
    for (const i of c.invocations) {
      if (isTerminal(i) || i.running) continue;
      this.finish(c, i, 'TimedOut', 'DeliveryTimedOut', -1);
    }
    this.settle(c);
  }

  /** Brings the command's own status in line with its invocations. */
  private settle(c: Command): void {
    if (c.invocations.some((i) => !isTerminal(i))) {
      if (c.cancelled) {
        c.status = 'Cancelling';
        c.details = 'Cancelling';
      }
      return;
    }
    clearTimeout(c.timer);
    clearTimeout(c.queueTimer);
    const n = counts(c);
    const by = (d: string): number => c.invocations.filter((i) => i.details === d).length;
    const t = c.errorThreshold;
    const set = (s: CommandStatus, d: string): void => {
      c.status = s;
      c.details = d;
    };
    if (c.cancelled) set('Cancelled', 'Cancelled');
    else if (c.invocations.length === 0) set('Success', 'NoInstancesInTag');
    else if (by('Failed') > t || (n.errors > t && by('ExecutionTimedOut') <= t)) set('Failed', 'Failed');
    else if (by('ExecutionTimedOut') > t) set('TimedOut', 'ExecutionTimedOut');
    else if (n.deliveryTimedOut > t) set('TimedOut', 'DeliveryTimedOut');
    else if (c.invocations.every((i) => i.details === 'Success' || i.details === 'Undeliverable')) set('Success', 'Success');
    else set('Success', 'Incomplete');
  }
}
