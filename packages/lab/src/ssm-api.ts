// The SSM operations the lab answers (awsJson1_1, X-Amz-Target: AmazonSSM.<Op>). Anything else is an
// UnsupportedOperation error naming it: the lab never pretends.
import { ApiError } from './errors.js';
import type { Json } from './input.js';
import type { LabState, RequestContext } from './state.js';
import {
  addTagsToResource,
  createActivation,
  deleteActivation,
  deregisterManagedInstance,
  describeActivations,
  describeInstanceInformation,
  listTagsForResource,
  removeTagsFromResource,
} from './ssm-nodes-api.js';
import { deleteParameter, getParameter, getParameters, putParameter } from './ssm-params-api.js';
import { cancelCommand, getCommandInvocation, listCommandInvocations, listCommands } from './ssm-results-api.js';
import { sendCommand } from './ssm-send-api.js';

export const SSM_TARGET_PREFIX = 'AmazonSSM.';

type Handler = (s: LabState, input: Json, ctx: RequestContext) => unknown;

const OPERATIONS: Record<string, Handler> = {
  SendCommand: sendCommand,
  ListCommands: listCommands,
  ListCommandInvocations: listCommandInvocations,
  GetCommandInvocation: getCommandInvocation,
  CancelCommand: cancelCommand,
  DescribeInstanceInformation: describeInstanceInformation,
  GetParameter: getParameter,
  GetParameters: getParameters,
  PutParameter: putParameter,
  DeleteParameter: deleteParameter,
  CreateActivation: createActivation,
  DeleteActivation: deleteActivation,
  DescribeActivations: describeActivations,
  DeregisterManagedInstance: deregisterManagedInstance,
  AddTagsToResource: addTagsToResource,
  RemoveTagsFromResource: removeTagsFromResource,
  ListTagsForResource: listTagsForResource,
};

export function ssmOperation(op: string): Handler {
  const h = Object.hasOwn(OPERATIONS, op) ? OPERATIONS[op] : undefined;
  if (!h) throw new ApiError('UnsupportedOperation', `stns-fleet lab: AmazonSSM.${op} is not implemented`);
  return h;
}
