// The one place that reads SSM's invocation states (Status, StatusDetails, ResponseCode; docs/reference/ssm.md
// §3) into the transport's closed InvocationResult. Everything above the transport switches on `kind`.
import type { InvocationResult, UndeliveredReason } from '../transport/types.js';

/** One host's invocation as ListCommandInvocations reports it (the plugin output already parsed). */
export interface SsmInvocation {
  instanceId: string;
  /** '' while the host's command was not sent. */
  commandId: string;
  /** CommandInvocationStatus: Pending | InProgress | Delayed | Success | Cancelled | TimedOut | Failed | Cancelling */
  status: string;
  /** A free string in the API: Success, Failed, Undeliverable, DeliveryTimedOut, ExecutionTimedOut, Terminated, … */
  statusDetails: string;
  /** The script's exit code; -1 when it never started. */
  responseCode: number;
  stdout: string;
  stderr: string;
  truncated: boolean;
}

/** Why a run stopped waiting: its signal aborted (request) or its deadline passed. */
export type StopCause = 'request' | 'deadline';

/** Our own detail for a host of a command that ended without ever listing it. */
export const NO_INVOCATION = 'NoInvocation';

const TERMINAL = new Set(['Success', 'Failed', 'Cancelled', 'TimedOut']);

/** Final per SSM: Pending, InProgress, Delayed and Cancelling (and any status SSM adds) are still in flight. */
export const isTerminal = (status: string): boolean => TERMINAL.has(status);

const UNDELIVERED: Record<string, UndeliveredReason> = {
  Undeliverable: 'undeliverable',
  DeliveryTimedOut: 'delivery-timed-out',
  InvalidPlatform: 'invalid-platform',
  AccessDenied: 'access-denied',
  [NO_INVOCATION]: 'no-invocation',
};

/** A host that was never sent to: no command yet, no record. */
export function unsent(instanceId: string): SsmInvocation {
  return { instanceId, commandId: '', status: 'Pending', statusDetails: 'Pending', responseCode: -1, stdout: '', stderr: '', truncated: false };
}

/**
 * The final result of `s`. Undefined while it is in flight, unless the run stopped (`stopped`): then what is
 * still in flight (a command not sent, one whose cancel the agent never confirmed) ends as cancelled by that
 * cause, and so does what SSM reports Cancelled.
 */
export function invocationResult(s: SsmInvocation, stopped: StopCause): InvocationResult;
export function invocationResult(s: SsmInvocation, stopped?: StopCause): InvocationResult | undefined;
export function invocationResult(s: SsmInvocation, stopped?: StopCause): InvocationResult | undefined {
  const ids = { instanceId: s.instanceId, commandId: s.commandId };
  const output = { stdout: s.stdout, stderr: s.stderr, truncated: s.truncated };
  if (!isTerminal(s.status)) return stopped ? { ...ids, kind: 'cancelled', by: stopped, ...output } : undefined;
  // StatusDetails first: it says more than Status (Undeliverable is Failed, DeliveryTimedOut is TimedOut, …).
  const reason = UNDELIVERED[s.statusDetails];
  if (reason) return { ...ids, kind: 'undelivered', reason };
  if (s.statusDetails === 'Terminated') return { ...ids, kind: 'not-sent', reason: 'error-budget' };
  if (s.statusDetails === 'ExecutionTimedOut') return { ...ids, kind: 'timed-out', ...output };
  switch (s.status) {
    case 'Success':
      // ExitWithSuccess (168) is a success too: SSM says so, and exit codes mean what SSM made of them.
      return { ...ids, kind: 'ran', exitCode: 0, ...output };
    case 'Cancelled':
      return { ...ids, kind: 'cancelled', by: stopped ?? 'request', ...output };
    case 'TimedOut':
      return { ...ids, kind: 'timed-out', ...output };
    default:
      // Failed: the script's non-zero exit code, or (no code, or 0) the agent or platform failed it.
      if (s.responseCode > 0) return { ...ids, kind: 'ran', exitCode: s.responseCode, ...output };
      return { ...ids, kind: 'failed', detail: s.statusDetails || s.status, ...output };
  }
}
