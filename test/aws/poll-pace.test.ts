import { describe, expect, test } from 'vitest';
import { expectedEnd } from '../../src/aws/poll-pace.js';

const cmd = (sentAt: number, completed: number, target: number, before?: { at: number; completed: number }, lastAt?: number) => ({
  sent: { sentAt },
  last: { status: 'InProgress', target, completed, errors: 0, deliveryTimedOut: 0 },
  ...(before ? { before, lastAt: lastAt! } : {}),
});

describe('expectedEnd', () => {
  test('after one look: extrapolates from the pace since SendCommand, the phase as a whole', () => {
    // 30 of 40 in 3 s → 10 more take 1 s.
    expect(expectedEnd([cmd(0, 30, 40)], 3000)).toBe(4000);
    // With 1 of 50 in 1 s beside it: 59 hosts left at 10 + 1 a second → 5.36 s more.
    expect(expectedEnd([cmd(0, 30, 40), cmd(2000, 1, 50)], 3000)).toBeCloseTo(3000 + 59 / 0.011, 6);
    // A command with no completion yet adds its hosts and no rate (it may wait for the others' capacity).
    expect(expectedEnd([cmd(0, 30, 40), cmd(0, 0, 10)], 3000)).toBe(5000);
  });

  test('with two looks: the rate between them (SSM ramps up, so the pace since SendCommand understates it)', () => {
    // 10 done at 1 s, 30 at 2 s: 20 a second lately → the last 20 by 3 s (from the start it would be 2.67 s more).
    expect(expectedEnd([cmd(0, 30, 50, { at: 1000, completed: 10 }, 2000)], 2000)).toBe(3000);
    // No completion between its looks: the pace since SendCommand (5 in 2 s → 45 more take 18 s).
    expect(expectedEnd([cmd(0, 5, 50, { at: 1000, completed: 5 }, 2000)], 2000)).toBe(20_000);
  });

  test("the phase's pace over the last interval counts when faster: the ended commands' capacity goes to the rest", () => {
    // One command left, 40 of 50 hosts to go, 1 a second by its own pace; in the last 2 s the phase completed
    // 80 hosts (the commands that ended in it): 40 a second → 1 s more, not 40.
    const last = cmd(0, 10, 50, { at: 8000, completed: 8 }, 10_000);
    expect(expectedEnd([last], 10_000)).toBe(50_000);
    expect(expectedEnd([last], 10_000, { completed: 80, ms: 2000 })).toBe(11_000);
    // Slower than the commands' own pace: theirs stands.
    expect(expectedEnd([last], 10_000, { completed: 1, ms: 2000 })).toBe(50_000);
    // Even a command with no completion of its own yet gets an end.
    expect(expectedEnd([cmd(0, 0, 10)], 1000, { completed: 20, ms: 1000 })).toBe(1500);
  });

  test('says nothing without progress to judge by, or when every command is complete', () => {
    expect(expectedEnd([cmd(0, 0, 10)], 1000)).toBeUndefined();
    expect(expectedEnd([cmd(0, 30, 40), cmd(0, 10, 10)], 3000)).toBe(4000); // a complete one adds nothing
    expect(expectedEnd([cmd(0, 10, 10)], 1000)).toBeUndefined();
    expect(expectedEnd([{ sent: { sentAt: 0 }, last: undefined }], 1000)).toBeUndefined();
  });
});
