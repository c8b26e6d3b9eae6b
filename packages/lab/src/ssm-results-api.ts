// Reading Run Command back: ListCommands, ListCommandInvocations (Details: CommandPlugins[0].Output in the
// agent's 2,500-character format), GetCommandInvocation (24,000 / 8,000 characters; InvocationDoesNotExist
// until the invocation is listed), CancelCommand. Paging by NextToken; filters as the model allows them.
import { counts, isTerminal, type Command, type Invocation } from './commands.js';
import { ApiError, Checks } from './errors.js';
import { epoch, optBool, optList, optNum, optStr, optStrList, type Json } from './input.js';
import { contentOf, pluginOutput, STDERR_MAX, STDOUT_MAX } from './output.js';
import { paginate } from './paging.js';
import type { LabState } from './state.js';

export const PLUGIN = 'aws:runShellScript';
export const INSTANCE_ID = /(^i-(\w{8}|\w{17})$)|(^mi-\w{17}$)/;
const INVOCATION_STATUSES = ['Pending', 'InProgress', 'Delayed', 'Success', 'Cancelled', 'Failed', 'TimedOut', 'AccessDenied', 'DeliveryTimedOut', 'ExecutionTimedOut', 'Undeliverable', 'InvalidPlatform', 'Terminated'];
const COMMAND_STATUSES = [...INVOCATION_STATUSES, 'Incomplete', 'NoInstancesInTag', 'LimitExceeded'];

export function commandView(c: Command): Json {
  const n = counts(c);
  return {
    CommandId: c.id,
    DocumentName: c.documentName,
    DocumentVersion: c.documentVersion,
    Comment: c.comment,
    ExpiresAfter: epoch(c.expiresAfter),
    Parameters: c.parameters,
    InstanceIds: c.instanceIds,
    Targets: c.targets,
    RequestedDateTime: epoch(c.requestedAt),
    Status: c.status,
    StatusDetails: c.details,
    OutputS3Region: '',
    OutputS3BucketName: '',
    OutputS3KeyPrefix: '',
    MaxConcurrency: c.maxConcurrency,
    MaxErrors: c.maxErrors,
    TargetCount: c.invocations.length,
    CompletedCount: n.completed,
    ErrorCount: n.errors,
    DeliveryTimedOutCount: n.deliveryTimedOut,
    ServiceRole: '',
    NotificationConfig: { NotificationArn: '', NotificationEvents: [], NotificationType: '' },
    CloudWatchOutputConfig: { CloudWatchLogGroupName: '', CloudWatchOutputEnabled: false },
    TimeoutSeconds: c.timeoutSeconds,
  };
}

function pluginStatus(i: Invocation): string {
  return i.status === 'Delayed' || i.status === 'Cancelling' ? 'InProgress' : i.status;
}

function invocationView(c: Command, i: Invocation, details: boolean): Json {
  const view: Json = {
    CommandId: c.id,
    InstanceId: i.instanceId,
    InstanceName: i.computerName ?? '',
    Comment: c.comment,
    DocumentName: c.documentName,
    DocumentVersion: c.documentVersion,
    RequestedDateTime: epoch(i.requestedAt),
    Status: i.status,
    StatusDetails: i.details,
    StandardOutputUrl: '',
    StandardErrorUrl: '',
    ServiceRole: '',
    CloudWatchOutputConfig: { CloudWatchLogGroupName: '', CloudWatchOutputEnabled: false },
  };
  if (details) {
    const plugin: Json = {
      Name: PLUGIN,
      Status: pluginStatus(i),
      StatusDetails: i.details,
      ResponseCode: i.responseCode,
      Output: isTerminal(i) ? pluginOutput(i.stdout, i.stderr) : '',
      StandardOutputUrl: '',
      StandardErrorUrl: '',
      OutputS3Region: c.region,
      OutputS3BucketName: '',
      OutputS3KeyPrefix: '',
    };
    if (i.startedAt) plugin['ResponseStartDateTime'] = epoch(i.startedAt);
    if (i.endedAt && i.startedAt) plugin['ResponseFinishDateTime'] = epoch(i.endedAt);
    view['CommandPlugins'] = [plugin];
  }
  return view;
}

function command(s: LabState, id: string): Command {
  new Checks().length(id, 'commandId', 36, 36).done();
  const c = s.engine.commands.get(id);
  if (!c) throw new ApiError('InvalidCommandId', '');
  return c;
}

interface Filter {
  key: string;
  value: string;
}

function filtersOf(input: Json, allowed: string[], statuses: string[]): Filter[] {
  const given = optList(input, 'Filters');
  const checks = new Checks().length(given, 'filters', 1, 5);
  const out = (given ?? []).map((f, n) => {
    const key = optStr(f, 'key') ?? '';
    const value = optStr(f, 'value') ?? '';
    checks.oneOf(key, `filters.${n + 1}.member.key`, allowed).length(value, `filters.${n + 1}.member.value`, 1, 128);
    if (key === 'Status') checks.oneOf(value, `filters.${n + 1}.member.value`, statuses);
    return { key, value };
  });
  checks.done();
  return out;
}

function matches(f: Filter, at: Date, status: string, details: string, documentName: string, done: boolean): boolean {
  switch (f.key) {
    case 'InvokedAfter':
      return at.getTime() >= Date.parse(f.value);
    case 'InvokedBefore':
      return at.getTime() <= Date.parse(f.value);
    case 'DocumentName':
      return documentName === f.value;
    case 'ExecutionStage':
      return f.value === 'Complete' ? done : !done;
    default: // Status: the status or its detail
      return status === f.value || details === f.value;
  }
}

function maxResults(input: Json, dflt: number): number {
  const m = optNum(input, 'MaxResults');
  new Checks().range(m, 'maxResults', 1, 50).done();
  return m ?? dflt;
}

export function listCommands(s: LabState, input: Json): unknown {
  const commandId = optStr(input, 'CommandId');
  const instanceId = optStr(input, 'InstanceId');
  const max = maxResults(input, 50);
  const filters = filtersOf(input, ['InvokedAfter', 'InvokedBefore', 'Status', 'ExecutionStage', 'DocumentName'], COMMAND_STATUSES);
  let list = [...s.engine.commands.values()].reverse();
  if (commandId) list = [command(s, commandId)];
  if (instanceId) list = list.filter((c) => c.invocations.some((i) => i.instanceId === instanceId));
  list = list.filter((c) => filters.every((f) => matches(f, c.requestedAt, c.status, c.details, c.documentName, c.invocations.every(isTerminal))));
  const page = paginate(list, { maxResults: max, token: optStr(input, 'NextToken'), request: { commandId, instanceId, filters } });
  if (!page) throw new ApiError('InvalidNextToken', 'The specified token is not valid.');
  return { Commands: page.items.map(commandView), ...(page.nextToken ? { NextToken: page.nextToken } : {}) };
}

export function listCommandInvocations(s: LabState, input: Json): unknown {
  const commandId = optStr(input, 'CommandId');
  const instanceId = optStr(input, 'InstanceId');
  const details = optBool(input, 'Details') ?? false;
  const max = maxResults(input, 50);
  const filters = filtersOf(input, ['InvokedAfter', 'InvokedBefore', 'Status', 'DocumentName'], INVOCATION_STATUSES);
  const now = Date.now();
  const commands = commandId ? [command(s, commandId)] : [...s.engine.commands.values()].reverse();
  const rows: [Command, Invocation][] = [];
  for (const c of commands) {
    for (const i of c.invocations) {
      if (i.visibleAt > now || (instanceId && i.instanceId !== instanceId)) continue;
      if (filters.every((f) => matches(f, i.requestedAt, i.status, i.details, c.documentName, isTerminal(i)))) rows.push([c, i]);
    }
  }
  const page = paginate(rows, { maxResults: max, token: optStr(input, 'NextToken'), request: { commandId, instanceId, filters, details } });
  if (!page) throw new ApiError('InvalidNextToken', 'The specified token is not valid.');
  return { CommandInvocations: page.items.map(([c, i]) => invocationView(c, i, details)), ...(page.nextToken ? { NextToken: page.nextToken } : {}) };
}

function elapsed(i: Invocation): string {
  if (!i.startedAt || !i.endedAt) return '';
  return `PT${((i.endedAt.getTime() - i.startedAt.getTime()) / 1000).toFixed(3)}S`;
}

export function getCommandInvocation(s: LabState, input: Json): unknown {
  const commandId = optStr(input, 'CommandId');
  const instanceId = optStr(input, 'InstanceId');
  const pluginName = optStr(input, 'PluginName');
  new Checks().required(commandId, 'commandId').required(instanceId, 'instanceId').length(commandId, 'commandId', 36, 36).pattern(instanceId, 'instanceId', INSTANCE_ID).done();
  if (pluginName !== undefined && pluginName !== PLUGIN) throw new ApiError('InvalidPluginName', '');
  const c = s.engine.commands.get(commandId!);
  const i = c?.invocations.find((x) => x.instanceId === instanceId && x.visibleAt <= Date.now());
  if (!c || !i) throw new ApiError('InvocationDoesNotExist', '');
  const done = isTerminal(i);
  return {
    CommandId: c.id,
    InstanceId: i.instanceId,
    Comment: c.comment,
    DocumentName: c.documentName,
    DocumentVersion: c.documentVersion,
    PluginName: PLUGIN,
    ResponseCode: i.responseCode,
    ExecutionStartDateTime: i.startedAt?.toISOString() ?? '',
    ExecutionElapsedTime: elapsed(i),
    ExecutionEndDateTime: i.startedAt && i.endedAt ? i.endedAt.toISOString() : '',
    Status: i.status,
    StatusDetails: i.details,
    StandardOutputContent: done ? contentOf(i.stdout, STDOUT_MAX) : '',
    StandardOutputUrl: '',
    StandardErrorContent: done ? contentOf(i.stderr, STDERR_MAX) : '',
    StandardErrorUrl: '',
    CloudWatchOutputConfig: { CloudWatchLogGroupName: '', CloudWatchOutputEnabled: false },
  };
}

export function cancelCommand(s: LabState, input: Json): unknown {
  const commandId = optStr(input, 'CommandId');
  const instanceIds = optStrList(input, 'InstanceIds');
  new Checks().required(commandId, 'commandId').length(instanceIds, 'instanceIds', 0, 50).done();
  const c = command(s, commandId!);
  const unknown = (instanceIds ?? []).filter((id) => !c.invocations.some((i) => i.instanceId === id));
  if (unknown.length > 0) throw new ApiError('InvalidInstanceId', `Instances [[${unknown.join(', ')}]] are not part of command ${c.id}`);
  s.engine.cancel(c, instanceIds);
  return {};
}
