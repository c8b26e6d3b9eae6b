// Reading an InvocationResult, shared by every stage: did the script succeed, what did it print, and one
// description of how it ended for people (facts errors, apply details, verify problems, the Pi commands).
import type { InvocationOutput, InvocationResult, UndeliveredReason } from './types.js';

export type RanResult = Extract<InvocationResult, { kind: 'ran' }>;

/** The script ran and exited 0. */
export const succeeded = (r: InvocationResult): r is RanResult => r.kind === 'ran' && r.exitCode === 0;

/** What the script printed, for the results that have output (undelivered and not-sent have none). */
export function outputOf(r: InvocationResult): InvocationOutput | undefined {
  switch (r.kind) {
    case 'ran':
    case 'timed-out':
    case 'cancelled':
    case 'failed':
      return r;
    case 'undelivered':
    case 'not-sent':
      return undefined;
    default:
      return unreachable(r);
  }
}

// SSM's own word for each (its StatusDetails), so people can look it up; NoInvocation is ours.
const UNDELIVERED_TERM: Record<UndeliveredReason, string> = {
  undeliverable: 'Undeliverable',
  'delivery-timed-out': 'DeliveryTimedOut',
  'invalid-platform': 'InvalidPlatform',
  'access-denied': 'AccessDenied',
  'no-invocation': 'NoInvocation',
};

/** How the invocation ended in SSM's terms (its StatusDetails), as reports quote it: Success, Failed,
 * ExecutionTimedOut, Undeliverable, DeliveryTimedOut, Cancelled, Terminated, … */
export function resultLabel(r: InvocationResult): string {
  switch (r.kind) {
    case 'ran':
      return r.exitCode === 0 ? 'Success' : 'Failed';
    case 'timed-out':
      return 'ExecutionTimedOut';
    case 'undelivered':
      return UNDELIVERED_TERM[r.reason];
    case 'cancelled':
      return r.by === 'deadline' ? 'Cancelled (deadline)' : 'Cancelled';
    case 'not-sent':
      return 'Terminated';
    case 'failed':
      return r.detail;
    default:
      return unreachable(r);
  }
}

/** How the invocation ended, in a few words for people (the output is the caller's to quote). */
export function describeResult(r: InvocationResult): string {
  switch (r.kind) {
    case 'ran':
      return r.exitCode === 0 ? 'the script ran (exit 0)' : `the script failed (exit ${r.exitCode})`;
    case 'timed-out':
      return 'the script ran out of time and was stopped (ExecutionTimedOut)';
    case 'undelivered':
      return `never ran on the host (${UNDELIVERED_TERM[r.reason]})`;
    case 'cancelled':
      return r.by === 'deadline' ? 'cancelled at the deadline before it finished' : 'cancelled before it finished';
    case 'not-sent':
      return 'not run: the command hit its error budget (MaxErrors)';
    case 'failed':
      return `SSM could not run the script (${r.detail})`;
    default:
      return unreachable(r);
  }
}

/** The `never` check of an exhaustive switch on `kind`: a new variant fails to compile until handled. */
export function unreachable(r: never): never {
  throw new Error(`unknown invocation result ${JSON.stringify(r)}`);
}
