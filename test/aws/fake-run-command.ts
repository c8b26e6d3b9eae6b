// A small Run Command service behind the mocked SSM client, driven by the fake clock: each host follows a
// timeline of invocation states (absolute clock times); before its first step it has no invocation record
// yet (eventual consistency). ListCommands (newest first, with the counters) and ListCommandInvocations
// (by command, or across commands) page at `pageSize` and take the InvokedAfter, Status and DocumentName
// filters as the lab does; a command shows in ListCommands `listLagMs` after it was sent. CancelCommand
// turns the hosts that react into Cancelled after `cancelTakesMs`.
import {
  CancelCommandCommand,
  ListCommandInvocationsCommand,
  ListCommandsCommand,
  SendCommandCommand,
  type Command,
  type CommandFilter,
  type CommandInvocation,
  type SendCommandCommandInput,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import type { FakeClock } from './helpers.js';

export interface Step {
  at: number;
  status: string;
  details?: string;
  code?: number;
  /** CommandPlugins[0].Output as the agent formats it. */
  output?: string;
}

export interface FakeHost {
  steps: Step[];
  /** The agent never answers a cancel (e.g. the node went offline). */
  ignoresCancel?: boolean;
}

export interface FakeCommand {
  id: string;
  input: SendCommandCommandInput;
  sentAt: number;
  cancelledAt?: number;
}

const TERMINAL = new Set(['Success', 'Failed', 'Cancelled', 'TimedOut']);

export interface FakeOptions {
  pageSize?: number;
  cancelTakesMs?: number;
  /** ListCommands shows a command only this long after it was sent; before, looking it up by ID fails. */
  listLagMs?: number;
}

/** Does a row pass the filters (InvokedAfter, Status: the status or its detail, DocumentName)? */
function passes(filters: CommandFilter[] | undefined, at: number, status: string, details: string): boolean {
  return (filters ?? []).every((f) => {
    if (f.key === 'InvokedAfter') return at >= Date.parse(f.value!);
    if (f.key === 'Status') return status === f.value || details === f.value;
    if (f.key === 'DocumentName') return f.value === 'AWS-RunShellScript';
    throw new Error(`the fake does not take the filter ${f.key}`);
  });
}

export class FakeRunCommand {
  readonly commands: FakeCommand[] = [];
  /** Every call as it arrived: API name, clock time, input (and what ListCommands answered). */
  readonly calls: { api: string; at: number; input: Record<string, unknown>; output?: Command[] }[] = [];
  private inFlightSends = 0;
  maxInFlightSends = 0;
  private readonly failures = new Map<string, unknown[]>();

  constructor(
    mock: AwsClientStub<SSMClient>,
    private readonly clock: FakeClock,
    private readonly hosts: (id: string) => FakeHost,
    private readonly o: FakeOptions = {},
  ) {
    mock.on(SendCommandCommand).callsFake(async (input: SendCommandCommandInput) => {
      this.calls.push({ api: 'SendCommand', at: clock.now(), input: { ...input } });
      this.failIfAsked('SendCommand');
      this.inFlightSends++;
      this.maxInFlightSends = Math.max(this.maxInFlightSends, this.inFlightSends);
      await new Promise((r) => setImmediate(r)); // let the other sends start, to observe the bound
      this.inFlightSends--;
      const id = `00000000-0000-4000-8000-${String(this.commands.length + 1).padStart(12, '0')}`;
      this.commands.push({ id, input, sentAt: clock.now() });
      return { Command: { CommandId: id, Status: 'Pending', RequestedDateTime: new Date(clock.now()) } };
    });
    mock.on(ListCommandInvocationsCommand).callsFake(
      (input: { CommandId?: string; Filters?: CommandFilter[]; Details?: boolean; MaxResults?: number; NextToken?: string }) => {
        this.calls.push({ api: 'ListCommandInvocations', at: clock.now(), input: { ...input } });
        this.failIfAsked('ListCommandInvocations');
        const cmds = input.CommandId ? [this.command(input.CommandId)] : [...this.commands].reverse();
        const all = cmds.flatMap((cmd) =>
          (cmd.input.InstanceIds ?? []).flatMap((id) => {
            const inv = this.invocation(cmd, id);
            return inv && passes(input.Filters, cmd.sentAt, inv.Status!, inv.StatusDetails!) ? [inv] : [];
          }),
        );
        return this.page(input, all, (page, next) => ({ CommandInvocations: page, ...next }));
      },
    );
    mock.on(ListCommandsCommand).callsFake((input: { CommandId?: string; Filters?: CommandFilter[]; MaxResults?: number; NextToken?: string }) => {
      const call: (typeof this.calls)[number] = { api: 'ListCommands', at: clock.now(), input: { ...input } };
      this.calls.push(call);
      this.failIfAsked('ListCommands');
      const listed = this.commands.filter((c) => clock.now() >= c.sentAt + (this.o.listLagMs ?? 0));
      if (input.CommandId && !listed.some((c) => c.id === input.CommandId)) {
        throw Object.assign(new Error(`no command ${input.CommandId}`), { name: 'InvalidCommandId' });
      }
      const cmds = input.CommandId ? [this.command(input.CommandId)] : [...listed].reverse();
      const all = cmds.map((c) => this.commandView(c)).filter((c) => passes(input.Filters, this.command(c.CommandId!).sentAt, c.Status!, c.StatusDetails!));
      return this.page(input, all, (page, next) => {
        call.output = page;
        return { Commands: page, ...next };
      });
    });
    mock.on(CancelCommandCommand).callsFake((input: { CommandId: string }) => {
      this.calls.push({ api: 'CancelCommand', at: clock.now(), input: { ...input } });
      this.command(input.CommandId).cancelledAt = clock.now();
      return {};
    });
  }

  private page<T, R>(input: { MaxResults?: number; NextToken?: string }, all: T[], answer: (page: T[], next: { NextToken?: string }) => R): R {
    const size = Math.min(input.MaxResults ?? 50, this.o.pageSize ?? 50);
    const from = input.NextToken ? Number(input.NextToken) : 0;
    return answer(all.slice(from, from + size), from + size < all.length ? { NextToken: String(from + size) } : {});
  }

  /** The next calls to `api` fail with `errors`, one each, before the service answers again. */
  fail(api: string, ...errors: unknown[]): void {
    this.failures.set(api, [...(this.failures.get(api) ?? []), ...errors]);
  }

  private failIfAsked(api: string): void {
    const next = this.failures.get(api)?.shift();
    if (next !== undefined) throw next;
  }

  callsTo(api: string): { at: number; input: Record<string, unknown> }[] {
    return this.calls.filter((c) => c.api === api);
  }

  private command(id: string): FakeCommand {
    const c = this.commands.find((x) => x.id === id);
    if (!c) throw Object.assign(new Error(`no command ${id}`), { name: 'InvalidCommandId' });
    return c;
  }

  private state(cmd: FakeCommand, id: string): Step | undefined {
    const host = this.hosts(id);
    const now = this.clock.now();
    const seen = host.steps.filter((s) => s.at <= now).at(-1);
    const cancelDone = cmd.cancelledAt !== undefined && now >= cmd.cancelledAt + (this.o.cancelTakesMs ?? 500);
    if (cancelDone && !host.ignoresCancel && !(seen && TERMINAL.has(seen.status))) {
      return { at: now, status: 'Cancelled', details: 'Cancelled', code: -1, output: seen?.output ?? '' };
    }
    return seen;
  }

  private invocation(cmd: FakeCommand, id: string): CommandInvocation | undefined {
    const s = this.state(cmd, id);
    if (!s) return undefined;
    return {
      CommandId: cmd.id,
      InstanceId: id,
      DocumentName: 'AWS-RunShellScript',
      Status: s.status as CommandInvocation['Status'],
      StatusDetails: s.details ?? s.status,
      CommandPlugins: [{ Name: 'aws:runShellScript', Status: s.status as 'Success', ResponseCode: s.code ?? -1, Output: s.output ?? '' }],
    };
  }

  /** ListCommands' view of a command: status and counters (ErrorCount: Failed + ExecutionTimedOut). */
  commandView(cmd: FakeCommand): Command {
    const ids = cmd.input.InstanceIds ?? [];
    const done = ids.map((id) => this.state(cmd, id)).filter((s): s is Step => s !== undefined && TERMINAL.has(s.status));
    const details = (s: Step): string => s.details ?? s.status;
    const status = this.commandStatus(cmd);
    return {
      CommandId: cmd.id,
      DocumentName: 'AWS-RunShellScript',
      ...(cmd.input.Comment !== undefined ? { Comment: cmd.input.Comment } : {}),
      RequestedDateTime: new Date(cmd.sentAt),
      Status: status as Command['Status'],
      StatusDetails: status,
      TargetCount: ids.length,
      CompletedCount: done.length,
      ErrorCount: done.filter((s) => ['Failed', 'ExecutionTimedOut'].includes(details(s))).length,
      DeliveryTimedOutCount: done.filter((s) => details(s) === 'DeliveryTimedOut').length,
    };
  }

  /** The command is over when every host that will ever have a record is terminal. */
  private commandStatus(cmd: FakeCommand): string {
    const states = (cmd.input.InstanceIds ?? []).filter((id) => this.hosts(id).steps.length > 0).map((id) => this.state(cmd, id));
    if (states.some((s) => !s || !TERMINAL.has(s.status))) return cmd.cancelledAt === undefined ? 'InProgress' : 'Cancelling';
    if (cmd.cancelledAt !== undefined) return 'Cancelled';
    return states.every((s) => s!.status === 'Success') ? 'Success' : 'Failed';
  }
}

/** The agent's CommandPlugins[].Output for stdout/stderr (amazon-ssm-agent iohandler.TruncateOutput, capacity 2500). */
export function agentOutput(stdout: string, stderr: string, capacity = 2500): string {
  const title = stderr.length > 0 ? '\n----------ERROR-------\n' : '';
  const outCut = '\n---Output truncated---';
  const errCut = '\n---Error truncated----';
  const space = capacity - title.length;
  if (stdout.length + stderr.length < space) return stdout + title + stderr;
  if (stdout.length > space / 2 && stderr.length > space / 2) {
    const size = space - errCut.length - outCut.length;
    return stdout.slice(0, size / 2) + outCut + title + stderr.slice(0, size / 2) + errCut;
  }
  if (stdout.length < space / 2) return stdout + title + stderr.slice(0, space - errCut.length - stdout.length) + errCut;
  return stdout.slice(0, space - outCut.length - stderr.length) + outCut + title + stderr;
}
