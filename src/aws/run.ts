// One script on many hosts over Run Command: SendCommand per ≤ 50 hosts, then the transport's shared
// CommandPoller follows the commands (with those of every other run in flight) until every host is terminal.
// Abort or deadline cancels what is still running and reports each host as it ended.
import { CancelCommandCommand, GetCommandInvocationCommand, SendCommandCommand } from '@aws-sdk/client-ssm';
import type { InvocationResult, RunOptions, RunRequest } from '../transport/types.js';
import { chunk, mapLimit } from './backoff.js';
import { Board, stripSuffix, type Sent } from './board.js';
import { awsErrorName } from './errors.js';
import type { CommandPoller, PollContext } from './poller.js';

export { isTerminal, parsePluginOutput } from './board.js';

export interface RunContext extends PollContext {
  /** How long to keep polling for final states after CancelCommand. */
  cancelGraceMs: number;
}

const HOSTS_PER_COMMAND = 50;
const STDOUT_MAX = 24_000;
const STDERR_MAX = 8_000;
// GetCommandInvocation's StandardOutputContent/StandardErrorContent end with this when cut at 24,000/8,000.
const FULL_CUT = '--output truncated--';

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
      const at = r.Command?.RequestedDateTime?.getTime();
      board.addSent({ commandId, instanceIds, sentAt: at ?? ctx.now(), serviceTime: at !== undefined });
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

export async function runScript(ctx: RunContext, poller: CommandPoller, req: RunRequest, o: RunOptions = {}): Promise<InvocationResult[]> {
  const board = new Board([...new Set(req.instanceIds)], o.onUpdate);
  const pastDeadline = (): boolean => o.deadline !== undefined && ctx.now() >= o.deadline;
  const stopped = (): boolean => o.signal?.aborted === true || pastDeadline();

  await sendAll(ctx, req, board, stopped);

  const follow = poller.follow(board, { ...(o.signal ? { signal: o.signal } : {}), ...(o.deadline !== undefined ? { deadline: o.deadline } : {}) });
  try {
    while (follow.unfinished().length > 0 && !stopped()) {
      try {
        await follow.changed();
      } catch (e) {
        if (!stopped()) throw e;
      }
    }

    if (stopped()) {
      const inFlight = follow.unfinished();
      if (inFlight.length > 0) {
        await cancelAll(ctx, inFlight);
        follow.graceUntil(ctx.now() + ctx.cancelGraceMs);
        try {
          while (follow.unfinished().length > 0 && !follow.graceOver) await follow.changed();
        } catch {
          // keep the last states seen rather than lose every result
        }
      }
      const deadline = pastDeadline() && !o.signal?.aborted;
      for (const r of board.unfinished()) {
        if (!r.commandId) board.record({ ...r, status: 'Cancelled', statusDetails: deadline ? 'DeadlineExceeded' : 'NotSent' });
        else if (deadline) board.record({ ...r, statusDetails: 'DeadlineExceeded' });
      }
    }
  } finally {
    follow.close();
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
