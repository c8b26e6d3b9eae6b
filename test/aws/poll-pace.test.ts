import { describe, expect, test } from 'vitest';
import { expectedEnd } from '../../src/aws/poll-pace.js';

const cmd = (sentAt: number, completed: number, target: number, before?: { at: number; completed: number }, lastAt?: number) => ({
  sent: { sentAt },
  last: { status: 'InProgress', target, completed, errors: 0, deliveryTimedOut: 0 },
  ...(before ? { before, lastAt: lastAt! } : {}),
});

describe('expectedEnd', () => {
  test('after one look: extrapolates from the pace since SendCommand, and the soonest wins', () => {
    // 30 of 40 in 3 s → 10 more take 1 s; 1 of 50 in 1 s → 49 s more.
    expect(expectedEnd([cmd(0, 30, 40), cmd(2000, 1, 50)], 3000)).toBe(4000);
  });

  test('with two looks: the rate between them (SSM ramps up, so the pace since SendCommand understates it)', () => {
    // 10 done at 1 s, 30 at 2 s: 20 a second lately → the last 20 by 3 s (from the start it would be 2.67 s more).
    expect(expectedEnd([cmd(0, 30, 50, { at: 1000, completed: 10 }, 2000)], 2000)).toBe(3000);
    // No completion between its looks: the pace since SendCommand (5 in 2 s → 45 more take 18 s).
    expect(expectedEnd([cmd(0, 5, 50, { at: 1000, completed: 5 }, 2000)], 2000)).toBe(20_000);
  });

  test('says nothing without progress to judge by, or when every command is complete', () => {
    expect(expectedEnd([cmd(0, 0, 10)], 1000)).toBeUndefined();
    expect(expectedEnd([cmd(0, 10, 10)], 1000)).toBeUndefined();
    expect(expectedEnd([{ sent: { sentAt: 0 }, last: undefined }], 1000)).toBeUndefined();
  });
});
