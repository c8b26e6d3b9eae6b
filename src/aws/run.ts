// One script on many hosts over Run Command: SendCommand per ≤ 50 hosts, then ListCommandInvocations per
// command (one paged call per 50 hosts per poll, not one GetCommandInvocation per host) until every host is
// terminal. Abort or deadline cancels what is still running and reports each host as it ended.
import {
  CancelCommandCommand,
  GetCommandInvocationCommand,
  ListCommandInvocationsCommand,
  ListCommandsCommand,
  SendCommandCommand,
  type CommandInvocation,
} from '@aws-sdk/client-ssm';
import type { InvocationResult, RunOptions, RunRequest } from '../transport/types.js';
import { chunk, mapLimit, type Sleep } from './backoff.js';
import type { AwsContext } from './clients.js';
import { awsErrorName } from './errors.js';

export interface RunContext extends AwsContext {
  sleep: Sleep;
  now: () => number;
  /** First poll interval; it grows ×1.5 per poll up to maxPollMs. */
  pollMs: number;
  maxPollMs: number;
  /** How long to keep polling for final states after CancelCommand. */
  cancelGraceMs: number;
}

const HOSTS_PER_COMMAND = 50;
const TERMINAL = new Set(['Success', 'Failed', 'Cancelled', 'TimedOut']);
const STDOUT_MAX = 24_000;
const STDERR_MAX = 8_000;

// The agent's layout of CommandPlugins[].Output (≤ 2,500 chars): stdout, the error title, stderr, each part
// ending with its marker when it was cut (amazon-ssm-agent iohandler.TruncateOutput).
const ERROR_TITLE = '\n----------ERROR-------\n';
const OUT_CUT = '\n---Output truncated---';
const ERR_CUT = '\n---Error truncated----';
// GetCommandInvocation's StandardOutputContent/StandardErrorContent end with this when cut at 24,000/8,000.
const FULL_CUT = '--output truncated--';

export const isTerminal = (status: string): boolean => TERMINAL.has(status);

function stripSuffix(s: string, suffix: string): [string, boolean] {
  return s.endsWith(suffix) ? [s.slice(0, -suffix.length), true] : [s, false];
}

export function parsePluginOutput(raw: string): { output: string; stderr: string; truncated: boolean } {
  const at = raw.indexOf(ERROR_TITLE);
  const [output, outCut] = stripSuffix(at < 0 ? raw : raw.slice(0, at), OUT_CUT);
  const [stderr, errCut] = stripSuffix(at < 0 ? '' : raw.slice(at + ERROR_TITLE.length), ERR_CUT);
  return { output, stderr, truncated: outCut || errCut };
}

function resultOf(inv: CommandInvocation, commandId: string, instanceId: string): InvocationResult {
  const plugin = inv.CommandPlugins?.[0];
  const status = inv.Status ?? 'Pending';
  return {
    instanceId,
    commandId,
    status,
    statusDetails: inv.StatusDetails ?? status,
    responseCode: plugin?.ResponseCode ?? -1,
    ...parsePluginOutput(plugin?.Output ?? ''),
  };
}

interface Sent {
  commandId: string;
  instanceIds: string[];
}

/** Every requested host's latest result; tells onUpdate when a host's status or detail changes. */
class Board {
  readonly results = new Map<string, InvocationResult>();
  readonly sent: Sent[] = [];
  private readonly seen = new Set<string>();

  constructor(
    ids: string[],
    private readonly onUpdate?: (r: InvocationResult) => void,
  ) {
    for (const id of ids) {
      this.results.set(id, { instanceId: id, commandId: '', status: 'Pending', statusDetails: 'Pending', responseCode: -1, output: '', stderr: '', truncated: false });
    }
  }

  addSent(s: Sent): void {
    this.sent.push(s);
    for (const id of s.instanceIds) this.results.set(id, { ...this.results.get(id)!, commandId: s.commandId });
  }

  record(r: InvocationResult): void {
    const before = this.results.get(r.instanceId);
    if (!before) return; // a host we did not ask for: not ours to report
    this.seen.add(r.instanceId);
    this.results.set(r.instanceId, r);
    if (before.status !== r.status || before.statusDetails !== r.statusDetails) this.onUpdate?.(r);
  }

  neverSeen(s: Sent): string[] {
    return s.instanceIds.filter((id) => !this.seen.has(id));
  }

  unfinished(): InvocationResult[] {
    return [...this.results.values()].filter((r) => !isTerminal(r.status));
  }

  inFlight(): Sent[] {
    return this.sent.filter((s) => s.instanceIds.some((id) => !isTerminal(this.results.get(id)!.status)));
  }
}

async function listInvocations(ctx: RunContext, commandId: string, signal?: AbortSignal): Promise<CommandInvocation[]> {
  const out: CommandInvocation[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ctx.call(
      'ssm:ListCommandInvocations',
      () => ctx.ssm.send(new ListCommandInvocationsCommand({ CommandId: commandId, Details: true, MaxResults: 50, NextToken })),
      signal,
    );
    out.push(...(page.CommandInvocations ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}

async function commandStatus(ctx: RunContext, commandId: string, signal?: AbortSignal): Promise<string | undefined> {
  const r = await ctx.call('ssm:ListCommands', () => ctx.ssm.send(new ListCommandsCommand({ CommandId: commandId })), signal);
  return r.Commands?.[0]?.Status;
}

async function poll(ctx: RunContext, board: Board, signal?: AbortSignal): Promise<void> {
  await mapLimit(board.inFlight(), ctx.concurrency, async (s) => {
    for (const inv of await listInvocations(ctx, s.commandId, signal)) {
      if (inv.InstanceId) board.record(resultOf(inv, s.commandId, inv.InstanceId));
    }
    // Right after SendCommand the list may be empty (eventual consistency): a missing host is "not yet",
    // until the command itself is over and still has no record of it.
    const missing = board.neverSeen(s);
    const othersDone = s.instanceIds.every((id) => missing.includes(id) || isTerminal(board.results.get(id)!.status));
    if (missing.length === 0 || !othersDone) return;
    const status = await commandStatus(ctx, s.commandId, signal);
    if (status === undefined || !isTerminal(status)) return;
    for (const id of missing) {
      board.record({ ...board.results.get(id)!, status: 'Failed', statusDetails: 'NoInvocation', responseCode: -1 });
    }
  });
}

async function sendAll(ctx: RunContext, req: RunRequest, board: Board, stopped: () => boolean): Promise<void> {
  let failure: unknown;
  await mapLimit(chunk([...board.results.keys()], HOSTS_PER_COMMAND), ctx.concurrency, async (instanceIds) => {
    if (failure !== undefined || stopped()) return;
    try {
      const r = await ctx.call('ssm:SendCommand', () =>
        ctx.ssm.send(
          new SendCommandCommand({
            InstanceIds: instanceIds,
            DocumentName: 'AWS-RunShellScript',
            Parameters: { commands: [req.script], executionTimeout: [String(req.executionTimeoutSeconds)] },
            TimeoutSeconds: req.deliveryTimeoutSeconds,
            Comment: req.comment.slice(0, 100),
            ...(req.maxConcurrency ? { MaxConcurrency: req.maxConcurrency } : {}),
            ...(req.maxErrors ? { MaxErrors: req.maxErrors } : {}),
          }),
        ),
      );
      const commandId = r.Command?.CommandId;
      if (!commandId) throw new Error('SendCommand answered without a CommandId');
      board.addSent({ commandId, instanceIds });
    } catch (e) {
      failure ??= e;
    }
  });
  if (failure !== undefined) {
    // Half a rollout is worse than none: stop what was already sent before reporting the error.
    await cancelAll(ctx, board.sent);
    throw failure;
  }
}

async function cancelAll(ctx: RunContext, sent: Sent[]): Promise<void> {
  await mapLimit(sent, ctx.concurrency, async (s) => {
    try {
      await ctx.call('ssm:CancelCommand', () => ctx.ssm.send(new CancelCommandCommand({ CommandId: s.commandId })));
    } catch {
      // Best effort: the command may have finished meanwhile (InvalidCommandId); the final poll shows the truth.
    }
  });
}

export async function runScript(ctx: RunContext, req: RunRequest, o: RunOptions = {}): Promise<InvocationResult[]> {
  const board = new Board([...new Set(req.instanceIds)], o.onUpdate);
  const pastDeadline = (): boolean => o.deadline !== undefined && ctx.now() >= o.deadline;
  const stopped = (): boolean => o.signal?.aborted === true || pastDeadline();

  await sendAll(ctx, req, board, stopped);

  let interval = ctx.pollMs;
  while (board.inFlight().length > 0 && !stopped()) {
    const untilDeadline = o.deadline === undefined ? interval : Math.max(0, o.deadline - ctx.now());
    await ctx.sleep(Math.min(interval, untilDeadline), o.signal);
    if (stopped()) break;
    try {
      await poll(ctx, board, o.signal);
    } catch (e) {
      if (!stopped()) throw e;
    }
    interval = Math.min(ctx.maxPollMs, interval * 1.5);
  }

  if (stopped()) {
    const inFlight = board.inFlight();
    if (inFlight.length > 0) {
      await cancelAll(ctx, inFlight);
      const graceEnd = ctx.now() + ctx.cancelGraceMs;
      while (board.inFlight().length > 0 && ctx.now() < graceEnd) {
        await ctx.sleep(Math.min(ctx.pollMs, graceEnd - ctx.now()));
        try {
          await poll(ctx, board);
        } catch {
          break; // keep the last states seen rather than lose every result
        }
      }
    }
    const deadline = pastDeadline() && !o.signal?.aborted;
    for (const r of board.unfinished()) {
      if (!r.commandId) board.record({ ...r, status: 'Cancelled', statusDetails: deadline ? 'DeadlineExceeded' : 'NotSent' });
      else if (deadline) board.record({ ...r, statusDetails: 'DeadlineExceeded' });
    }
  }
  return [...board.results.values()];
}

/** GetCommandInvocation: up to 24,000 chars of stdout and 8,000 of stderr, the truncation markers removed. */
export async function fullOutput(
  ctx: RunContext,
  commandId: string,
  instanceId: string,
): Promise<{ stdout: string; stderr: string; truncated: boolean }> {
  for (let attempt = 1; ; attempt++) {
    try {
      const r = await ctx.call('ssm:GetCommandInvocation', () =>
        ctx.ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId })),
      );
      const [stdout, outCut] = stripSuffix(r.StandardOutputContent ?? '', FULL_CUT);
      const [stderr, errCut] = stripSuffix(r.StandardErrorContent ?? '', FULL_CUT);
      return { stdout: stdout.slice(0, STDOUT_MAX), stderr: stderr.slice(0, STDERR_MAX), truncated: outCut || errCut };
    } catch (e) {
      // Eventually consistent: an invocation can be missing just after it was listed.
      if (attempt >= 4 || awsErrorName(e) !== 'InvocationDoesNotExist') throw e;
      await ctx.sleep(ctx.pollMs * attempt);
    }
  }
}
