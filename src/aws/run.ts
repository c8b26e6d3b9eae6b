// One script on many hosts over Run Command: SendCommand per ≤ 50 hosts, then the transport's shared
// CommandPoller follows the commands (with those of every other run in flight) until every host is terminal.
// Abort or deadline cancels what is still running and reports each host as it ended.
//
// SendCommand is never sent twice by accident (the script runs as root). Each carries a unique mark in its
// Comment ("sf:<random>", after the human text); the retry policy (backoff.ts) resends it only when SSM
// refused it (throttling). After an ambiguous failure (5xx, timeout, reset connection: SSM may have created
// the command and only the answer was lost) ListCommands is searched for the mark, a few times over a few
// seconds (a new command can take a moment to be listed): found → that command is adopted; not found →
// sent again, within the attempts; the search failing → the error is reported, nothing is sent again.
import { randomBytes } from 'node:crypto';
import {
  CancelCommandCommand,
  GetCommandInvocationCommand,
  ListCommandsCommand,
  SendCommandCommand,
  type Command,
  type CommandFilter,
  type SendCommandCommandInput,
  type SendCommandCommandOutput,
} from '@aws-sdk/client-ssm';
import { AwsError } from '../errors.js';
import { chunk } from '../model/chunk.js';
import { HOSTS_PER_COMMAND, SCRIPT_MAX_BYTES, type InvocationResult, type RunOptions, type RunRequest } from '../transport/types.js';
import { mapLimit } from './backoff.js';
import { Board, stripSuffix, type Sent } from './board.js';
import { awsErrorName, awsFleetError } from './errors.js';
import { CLOCK_SKEW_MS, DOCUMENT, isoSecond, type CommandPoller, type PollContext } from './poller.js';

export { parsePluginOutput } from './board.js';

export interface RunContext extends PollContext {
  /** How long to keep polling for final states after CancelCommand. */
  cancelGraceMs: number;
}

const COMMENT_MAX = 100;
const MARK_PREFIX = 'sf:';
/** After an ambiguous SendCommand failure, ListCommands is searched after each of these waits (7 s in all). */
const LOOK_WAITS_MS = [0, 1000, 2000, 4000];
const STDOUT_MAX = 24_000;
const STDERR_MAX = 8_000;
// GetCommandInvocation's StandardOutputContent/StandardErrorContent end with this when cut at 24,000/8,000.
const FULL_CUT = '--output truncated--';
/** How long an invocation just listed may take to be readable by ID (eventual consistency), per attempt. */
const CONSISTENCY_WAIT_MS = 1000;

/** A fresh mark for one SendCommand (and its resends): "sf:" and 12 hex digits. */
const newMark = (): string => `${MARK_PREFIX}${randomBytes(6).toString('hex')}`;

/** The Comment: the human text (cut to fit) and the mark, ≤ 100 characters. */
function commentWithMark(human: string, mark: string): string {
  const text = human.slice(0, COMMENT_MAX - mark.length - 1).trimEnd();
  return text ? `${text} ${mark}` : mark;
}

/** The commands carrying `mark` sent since `since` (our clock, so with the skew allowance), oldest first. */
async function commandsMarked(ctx: RunContext, mark: string, since: number): Promise<Command[]> {
  const Filters: CommandFilter[] = [
    { key: 'InvokedAfter', value: isoSecond(since - CLOCK_SKEW_MS) },
    { key: 'DocumentName', value: DOCUMENT },
  ];
  const out: Command[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ctx.call('ssm:ListCommands', () => ctx.ssm.send(new ListCommandsCommand({ Filters, MaxResults: 50, NextToken })));
    out.push(...(page.Commands ?? []).filter((c) => c.CommandId && c.Comment?.includes(mark)));
    NextToken = page.NextToken;
  } while (NextToken);
  return out.sort((a, b) => (a.RequestedDateTime?.getTime() ?? 0) - (b.RequestedDateTime?.getTime() ?? 0));
}

/** After an ambiguous failure: the command the lost attempt created, if SSM lists it within LOOK_WAITS_MS. */
async function recoverSend(ctx: RunContext, mark: string, since: number, instanceIds: string[], failure: unknown): Promise<{ value: SendCommandCommandOutput } | undefined> {
  for (const ms of LOOK_WAITS_MS) {
    // Not cut short by an abort: a command that may exist must be known, to be followed and cancelled.
    if (ms > 0) await ctx.sleep(ms);
    let found: Command[];
    try {
      found = await commandsMarked(ctx, mark, since);
    } catch (e) {
      const hosts = instanceIds.length === 1 ? instanceIds[0]! : `${instanceIds.length} hosts (${instanceIds[0]}, …)`;
      throw new AwsError(`ssm:SendCommand got no clear answer, and looking for the command it may have created failed: it was not sent again, and it may be running on ${hosts}`,
        {
          cause: e,
          details: [awsFleetError(failure, 'ssm:SendCommand').message, awsFleetError(e, 'ssm:ListCommands').message],
          hint: `look for the Comment ending in "${mark}" in \`aws ssm list-commands\` before applying again`,
        },
      );
    }
    const [first, ...extra] = found;
    if (!first) continue;
    // Two attempts both created a command (the first was listed too late): keep the oldest, stop the others.
    await mapLimit(extra, ctx.concurrency, async (c) => {
      try {
        await ctx.call('ssm:CancelCommand', () => ctx.ssm.send(new CancelCommandCommand({ CommandId: c.CommandId! })));
      } catch {
        // best effort: it is not followed, the poller never reports it
      }
    });
    return { value: { Command: first, $metadata: {} } };
  }
  return undefined;
}

async function sendAll(ctx: RunContext, req: RunRequest, board: Board, stopped: () => boolean): Promise<void> {
  let failure: unknown;
  await mapLimit(chunk(board.ids, HOSTS_PER_COMMAND), ctx.concurrency, async (instanceIds) => {
    if (failure !== undefined || stopped()) return;
    try {
      const mark = newMark();
      const since = ctx.now();
      const input: SendCommandCommandInput = {
        InstanceIds: instanceIds,
        DocumentName: DOCUMENT,
        Parameters: { commands: [req.script], executionTimeout: [String(req.executionTimeoutSeconds)] },
        TimeoutSeconds: req.deliveryTimeoutSeconds,
        Comment: commentWithMark(req.comment, mark),
        ...(req.maxConcurrency ? { MaxConcurrency: req.maxConcurrency } : {}),
        ...(req.maxErrors ? { MaxErrors: req.maxErrors } : {}),
      };
      // The same request, mark included, on every attempt: a lookup finds whichever attempt got through.
      const r = await ctx.call('ssm:SendCommand', () => ctx.ssm.send(new SendCommandCommand(input)), {
        recover: (e) => recoverSend(ctx, mark, since, instanceIds, e),
      });
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
  // The caller splits its hosts so that each script fits (apply/batches.ts); sending one that does not would
  // only come back as AWS's validation error after the first hosts of a rollout were already changed.
  const bytes = Buffer.byteLength(req.script);
  if (bytes > SCRIPT_MAX_BYTES) throw new Error(`internal: a ${bytes}-byte script, over the ${SCRIPT_MAX_BYTES} bytes one command may carry`);
  const board = new Board([...new Set(req.instanceIds)], o.onUpdate);
  const pastDeadline = (): boolean => o.deadline !== undefined && ctx.now() >= o.deadline;
  const stopped = (): boolean => o.signal?.aborted === true || pastDeadline();

  await sendAll(ctx, req, board, stopped);

  const follow = poller.follow(board, {
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.deadline !== undefined ? { deadline: o.deadline } : {}),
    watchFailures: o.watchFailures === true,
  });
  try {
    while (follow.unfinished().length > 0 && !stopped()) {
      try {
        await follow.changed();
      } catch (e) {
        if (!stopped()) throw e;
      }
    }

    if (stopped()) {
      board.stopping(pastDeadline() && !o.signal?.aborted ? 'deadline' : 'request');
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
    }
  } finally {
    follow.close();
  }
  // Stopped: the hosts never sent to, and those whose cancel the agent never confirmed, end cancelled.
  return board.finish();
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
      await ctx.sleep(CONSISTENCY_WAIT_MS * attempt);
    }
  }
}
