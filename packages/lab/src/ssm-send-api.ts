// SendCommand (docs/reference/ssm.md §1): the model's request constraints, AWS-RunShellScript's own parameters, the lab's
// payload cap (refused with the size), and target resolution: InstanceIds as given, or Targets matched
// against every node SSM knows (tag:<key>, tag-key, InstanceIds; keys ANDed, values of one key ORed).
import type { Target } from './commands.js';
import { ApiError, Checks, validationError } from './errors.js';
import { obj, optBool, optList, optMap, optNum, optStr, optStrList, type Json } from './input.js';
import { commandView, INSTANCE_ID } from './ssm-results-api.js';
import { ACCOUNT_ID, type LabState, type RequestContext } from './state.js';

export const DOCUMENT = 'AWS-RunShellScript';
const DOCUMENT_NAME = /^[a-zA-Z0-9_\-.:/]{3,128}$/;
const MAX_CONCURRENCY = /^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$/;
const MAX_ERRORS = /^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$/;
const EXECUTION_TIMEOUT = /^(([1-9][0-9]{0,4})|(1[0-6][0-9]{4})|(17[0-1][0-9]{3})|(172[0-7][0-9]{2})|(172800))$/;

function isRunShellScript(name: string): boolean {
  return name === DOCUMENT || /^arn:aws:ssm:[a-z0-9-]*::document\/AWS-RunShellScript$/.test(name);
}

function targetsOf(list: Json[] | undefined): Target[] {
  return (list ?? []).map((t) => ({ Key: optStr(t, 'Key') ?? '', Values: optStrList(t, 'Values') ?? [] }));
}

/** Nodes matching every Target key (values of one key are OR'd), among the nodes SSM knows. */
function resolveTargets(s: LabState, targets: Target[]): string[] {
  const views = s.fleet.views();
  return views
    .filter((v) =>
      targets.every((t) => {
        if (t.Key === 'InstanceIds') return t.Values.includes('*') || t.Values.includes(v.id);
        if (t.Key === 'tag-key') return t.Values.some((k) => v.tags.has(k));
        const tag = t.Key.slice('tag:'.length);
        return v.tags.has(tag) && t.Values.includes(v.tags.get(tag)!);
      }),
    )
    .map((v) => v.id);
}

export function sendCommand(s: LabState, input: Json, ctx: RequestContext): unknown {
  const documentName = optStr(input, 'DocumentName');
  const instanceIds = optStrList(input, 'InstanceIds');
  const targets = targetsOf(optList(input, 'Targets'));
  const timeoutSeconds = optNum(input, 'TimeoutSeconds');
  const comment = optStr(input, 'Comment');
  const maxConcurrency = optStr(input, 'MaxConcurrency');
  const maxErrors = optStr(input, 'MaxErrors');
  const parameters = optMap(input, 'Parameters') ?? {};
  const checks = new Checks()
    .required(documentName, 'documentName')
    .pattern(documentName, 'documentName', DOCUMENT_NAME)
    .length(instanceIds, 'instanceIds', 0, 50)
    .length(optList(input, 'Targets'), 'targets', 0, 5)
    .range(timeoutSeconds, 'timeoutSeconds', 30, 2592000)
    .length(comment, 'comment', 0, 100)
    .length(maxConcurrency, 'maxConcurrency', 1, 7)
    .pattern(maxConcurrency, 'maxConcurrency', MAX_CONCURRENCY)
    .length(maxErrors, 'maxErrors', 1, 7)
    .pattern(maxErrors, 'maxErrors', MAX_ERRORS);
  (instanceIds ?? []).forEach((id, i) => checks.pattern(id, `instanceIds.${i + 1}.member`, INSTANCE_ID));
  targets.forEach((t, i) => checks.length(t.Key, `targets.${i + 1}.member.key`, 1, 163).length(t.Values, `targets.${i + 1}.member.values`, 0, 50));
  checks.done();
  for (const field of ['OutputS3BucketName', 'OutputS3KeyPrefix', 'NotificationConfig', 'ServiceRoleArn', 'AlarmConfiguration']) {
    if (input[field] !== undefined) throw validationError([`stns-fleet lab: ${field} is not supported (the lab keeps output in the API only)`]);
  }
  if (optBool(obj(input['CloudWatchOutputConfig'], 'CloudWatchOutputConfig'), 'CloudWatchOutputEnabled')) {
    throw validationError(['stns-fleet lab: CloudWatchOutputConfig is not supported (the lab keeps output in the API only)']);
  }
  const hasIds = (instanceIds?.length ?? 0) > 0;
  if (hasIds === targets.length > 0) {
    throw validationError([hasIds ? 'Specify InstanceIds or Targets, not both' : 'Specify either InstanceIds or Targets']);
  }
  if (!isRunShellScript(documentName!)) {
    throw new ApiError('InvalidDocument', `Document ${documentName} does not exist in the stns-fleet lab (it runs ${DOCUMENT} only)`);
  }
  const documentVersion = optStr(input, 'DocumentVersion') ?? '$DEFAULT';
  if (!['$DEFAULT', '$LATEST', '1'].includes(documentVersion)) throw new ApiError('InvalidDocumentVersion', `Document version ${documentVersion} does not exist`);

  // AWS-RunShellScript's own parameters.
  const unknown = Object.keys(parameters).filter((k) => !['commands', 'workingDirectory', 'executionTimeout'].includes(k));
  if (unknown.length > 0) throw new ApiError('InvalidParameters', `Parameters ${unknown.join(', ')} are not defined in document ${DOCUMENT}`);
  const commands = parameters['commands'];
  if (!commands || commands.length === 0) throw new ApiError('InvalidParameters', `Parameter "commands" is required by document ${DOCUMENT}`);
  const single = (k: string): string | undefined => {
    const v = parameters[k];
    if (v && v.length > 1) throw new ApiError('InvalidParameters', `Parameter "${k}" takes a single value`);
    return v?.[0];
  };
  const workingDirectory = single('workingDirectory');
  const executionTimeout = single('executionTimeout') ?? '3600';
  if (!EXECUTION_TIMEOUT.test(executionTimeout)) {
    throw new ApiError('InvalidParameters', `Parameter "executionTimeout" "${executionTimeout}" does not match the allowed pattern`);
  }
  const script = commands.join('\n');
  const size = Object.values(parameters).reduce((n, vs) => n + Buffer.byteLength(vs.join('\n')), 0);
  if (size > s.o.payloadCapBytes) {
    throw validationError([`Parameters are ${size} bytes; the stns-fleet lab accepts at most ${s.o.payloadCapBytes} bytes per SendCommand (payloadCapBytes)`]);
  }

  let resolved: string[];
  if (hasIds) {
    const dup = instanceIds!.find((id, i) => instanceIds!.indexOf(id) !== i);
    if (dup) throw new ApiError('DuplicateInstanceId', `Instance Id ${dup} is specified more than once.`);
    const invalid = instanceIds!.filter((id) => !s.fleet.knownToSsm(id));
    if (invalid.length > 0) throw new ApiError('InvalidInstanceId', `Instances [[${invalid.join(', ')}]] not in a valid state for account ${ACCOUNT_ID}`);
    resolved = instanceIds!;
  } else {
    for (const t of targets) {
      if (!(t.Key === 'InstanceIds' || t.Key === 'tag-key' || (t.Key.startsWith('tag:') && t.Key.length > 4))) {
        throw validationError([`stns-fleet lab: target key ${t.Key} is not supported (use tag:<key>, tag-key or InstanceIds)`]);
      }
    }
    resolved = resolveTargets(s, targets);
  }
  const n = Number(executionTimeout);
  const c = s.engine.send({
    documentName: documentName!,
    documentVersion,
    comment: comment ?? '',
    parameters,
    instanceIds: instanceIds ?? [],
    targets,
    resolved,
    timeoutSeconds: timeoutSeconds ?? 3600,
    maxConcurrency: maxConcurrency ?? '50',
    maxErrors: maxErrors ?? '0',
    script,
    region: ctx.region,
    ...(workingDirectory ? { workingDirectory } : {}),
    // The agent falls back to 3600 outside 5..172800 (pluginutil.ValidateExecutionTimeout).
    executionTimeoutSeconds: n < 5 || n > 172800 ? 3600 : n,
  });
  return { Command: commandView(c) };
}
