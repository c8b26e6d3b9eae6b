// SSM's invocation states (docs/reference/ssm.md §3: CommandInvocationStatus × StatusDetails × ResponseCode) read
// into the transport's closed result, one row per combination SSM documents, plus the ones we make ourselves.
import { describe, expect, test } from 'vitest';
import { invocationResult, type SsmInvocation } from '../../src/aws/invocation.js';
import { resultLabel } from '../../src/transport/result.js';

const row = (status: string, statusDetails: string, responseCode = -1, stdout = ''): SsmInvocation => ({
  instanceId: 'i-0123456789abcdef0',
  commandId: 'c-1',
  status,
  statusDetails,
  responseCode,
  stdout,
  stderr: '',
  truncated: false,
});
const output = { stdout: '', stderr: '', truncated: false };

describe('final states', () => {
  test.each<[string, string, number, object]>([
    ['Success', 'Success', 0, { kind: 'ran', exitCode: 0, ...output }],
    // ExitWithSuccess: the agent marks the step Success.
    ['Success', 'Success', 168, { kind: 'ran', exitCode: 0, ...output }],
    // Failed: non-zero exit code from the script (169 is the agent's ExitWithFailure, still the script's code).
    ['Failed', 'Failed', 3, { kind: 'ran', exitCode: 3, ...output }],
    ['Failed', 'Failed', 169, { kind: 'ran', exitCode: 169, ...output }],
    // Failed with no exit code of the script: the agent or the platform failed it.
    ['Failed', 'Failed', -1, { kind: 'failed', detail: 'Failed', ...output }],
    ['Failed', 'Failed', 0, { kind: 'failed', detail: 'Failed', ...output }],
    ['TimedOut', 'ExecutionTimedOut', 137, { kind: 'timed-out', ...output }],
    ['TimedOut', 'DeliveryTimedOut', -1, { kind: 'undelivered', reason: 'delivery-timed-out' }],
    ['Failed', 'Undeliverable', -1, { kind: 'undelivered', reason: 'undeliverable' }],
    ['Failed', 'InvalidPlatform', -1, { kind: 'undelivered', reason: 'invalid-platform' }],
    ['Failed', 'AccessDenied', -1, { kind: 'undelivered', reason: 'access-denied' }],
    // Ours: the command ended and never listed this host.
    ['Failed', 'NoInvocation', -1, { kind: 'undelivered', reason: 'no-invocation' }],
    ['Cancelled', 'Cancelled', -1, { kind: 'cancelled', by: 'request', ...output }],
    // MaxErrors reached: the invocations not yet sent end Terminated (Cancelled in the lab, Failed seen too).
    ['Cancelled', 'Terminated', -1, { kind: 'not-sent', reason: 'error-budget' }],
    ['Failed', 'Terminated', -1, { kind: 'not-sent', reason: 'error-budget' }],
    // No StatusDetails in the answer (the board then uses the Status).
    ['TimedOut', 'TimedOut', -1, { kind: 'timed-out', ...output }],
    // A detail SSM may add one day: its words are kept.
    ['Failed', 'PluginCrashed', -1, { kind: 'failed', detail: 'PluginCrashed', ...output }],
  ])('%s/%s, exit %d', (status, details, code, want) => {
    expect(invocationResult(row(status, details, code))).toEqual({ instanceId: 'i-0123456789abcdef0', commandId: 'c-1', ...want });
  });

  test('the output travels with the results that have one', () => {
    expect(invocationResult(row('Failed', 'Failed', 2, 'boom\n'))).toMatchObject({ kind: 'ran', stdout: 'boom\n' });
    expect(invocationResult(row('TimedOut', 'ExecutionTimedOut', 137, 'half'))).toMatchObject({ kind: 'timed-out', stdout: 'half' });
    expect(invocationResult(row('Cancelled', 'Cancelled', 137, 'started'))).toMatchObject({ kind: 'cancelled', stdout: 'started' });
  });

  test("a run stopped by its deadline: what SSM cancelled was cancelled by the deadline; other final states stay", () => {
    expect(invocationResult(row('Cancelled', 'Cancelled'), 'deadline')).toMatchObject({ kind: 'cancelled', by: 'deadline' });
    expect(invocationResult(row('Success', 'Success', 0), 'deadline')).toMatchObject({ kind: 'ran', exitCode: 0 });
    expect(invocationResult(row('Failed', 'Undeliverable'), 'deadline')).toMatchObject({ kind: 'undelivered' });
  });

  test("the label reports quote is SSM's own detail again", () => {
    for (const d of ['Undeliverable', 'DeliveryTimedOut', 'InvalidPlatform', 'AccessDenied', 'ExecutionTimedOut', 'Terminated', 'Cancelled', 'Success', 'PluginCrashed']) {
      const status = d === 'Success' ? 'Success' : d === 'Cancelled' ? 'Cancelled' : 'Failed';
      expect(resultLabel(invocationResult(row(status, d, d === 'Success' ? 0 : -1))!)).toBe(d);
    }
    expect(resultLabel(invocationResult(row('Failed', 'Failed', 4))!)).toBe('Failed');
  });
});

describe('states in flight', () => {
  // Pending, InProgress, Delayed (the invocation statuses) and Cancelling; SuccessAndReboot is what the agent
  // reports while it reboots for exit code 194 and runs the script again: not over either.
  test.each(['Pending', 'InProgress', 'Delayed', 'Cancelling', 'SuccessAndReboot'])('%s is no result yet', (status) => {
    expect(invocationResult(row(status, status))).toBeUndefined();
  });

  test.each(['request', 'deadline'] as const)('once the run stopped (%s), they end cancelled by it, with what was printed', (by) => {
    for (const status of ['Pending', 'InProgress', 'Delayed', 'Cancelling']) {
      expect(invocationResult(row(status, status, -1, 'so far'), by)).toMatchObject({ kind: 'cancelled', by, stdout: 'so far' });
    }
  });
});
