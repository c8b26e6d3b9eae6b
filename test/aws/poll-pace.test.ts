import { describe, expect, test } from 'vitest';
import { soonestExpectedEnd } from '../../src/aws/poll-pace.js';

const cmd = (sentAt: number, completed: number, target: number) => ({ sent: { sentAt }, last: { status: 'InProgress', target, completed, errors: 0, deliveryTimedOut: 0 } });

describe('soonestExpectedEnd', () => {
  test('extrapolates each command from its pace and takes the soonest', () => {
    // 30 of 40 in 3 s → 10 more take 1 s; 1 of 50 in 1 s → 49 s more.
    expect(soonestExpectedEnd([cmd(0, 30, 40), cmd(2000, 1, 50)], 3000)).toBe(4000);
  });

  test('says nothing without progress to judge by, or when every command is complete', () => {
    expect(soonestExpectedEnd([cmd(0, 0, 10)], 1000)).toBeUndefined();
    expect(soonestExpectedEnd([cmd(0, 10, 10)], 1000)).toBeUndefined();
    expect(soonestExpectedEnd([{ sent: { sentAt: 0 }, last: undefined }], 1000)).toBeUndefined();
  });
});
