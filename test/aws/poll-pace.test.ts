import { describe, expect, test } from 'vitest';
import { expectedEnds } from '../../src/aws/poll-pace.js';

const cmd = (sentAt: number, completed: number, target: number) => ({ sent: { sentAt }, last: { status: 'InProgress', target, completed, errors: 0, deliveryTimedOut: 0 } });

describe('expectedEnds', () => {
  test('extrapolates each command from its pace and takes the soonest', () => {
    // 30 of 40 in 3 s → 10 more take 1 s; 1 of 50 in 1 s → 49 s more.
    expect(expectedEnds([cmd(0, 30, 40), cmd(2000, 1, 50)], 3000)).toEqual({ soonest: 4000, all: true });
    // A command without progress yet has no pace: the others still give theirs, but not for every command.
    expect(expectedEnds([cmd(0, 30, 40), cmd(2500, 0, 50)], 3000)).toEqual({ soonest: 4000, all: false });
  });

  test('says nothing without progress to judge by, or when every command is complete', () => {
    expect(expectedEnds([cmd(0, 0, 10)], 1000)).toBeUndefined();
    expect(expectedEnds([cmd(0, 10, 10)], 1000)).toBeUndefined();
    expect(expectedEnds([{ sent: { sentAt: 0 }, last: undefined }], 1000)).toBeUndefined();
  });
});
