// Shared by the test/aws suites: a fake clock (sleep advances it, instantly) and an SsmTransport whose
// SSM and EC2 clients are real SDK clients with `send` mocked by aws-sdk-client-mock.
import { EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { SsmTransport, type SsmTransportOptions } from '../../src/aws/transport.js';
import type { RunRequest } from '../../src/transport/types.js';

export interface FakeClock {
  now: () => number;
  /** Lets everything else that is ready run first (one setImmediate), then advances the clock by `ms`, unless
   * `signal` was aborted meanwhile (woken early: no time passes). */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Every sleep asked for, in order. */
  sleeps: number[];
  /** Runs when the clock reaches `at` (used to abort mid-run). */
  at(at: number, fn: () => void): void;
}

export function fakeClock(): FakeClock {
  let t = 0;
  const sleeps: number[] = [];
  const timers: { at: number; fn: () => void }[] = [];
  return {
    now: () => t,
    sleeps,
    at: (at, fn) => void timers.push({ at, fn }),
    sleep: async (ms, signal) => {
      await new Promise((resolve) => setImmediate(resolve));
      if (signal?.aborted) return;
      sleeps.push(ms);
      t += ms;
      for (const timer of timers.filter((x) => x.at <= t)) {
        timers.splice(timers.indexOf(timer), 1);
        timer.fn();
      }
      await Promise.resolve();
    },
  };
}

/** The suites' timings are written for a 1 s first poll interval (the mechanism, not the default, is tested). */
export function setup(o: SsmTransportOptions = {}) {
  const ssm = new SSMClient({ region: 'eu-west-1' });
  const ec2 = new EC2Client({ region: 'eu-west-1' });
  const ssmMock = mockClient(ssm);
  const ec2Mock = mockClient(ec2);
  const clock = fakeClock();
  const transport = new SsmTransport({ ssm, ec2 }, { sleep: clock.sleep, now: clock.now, random: () => 0.5, pollMs: 1000, ...o });
  return { ssm, ec2, ssmMock, ec2Mock, clock, transport };
}

/** `n` distinct well-formed IDs with a prefix ("i-" → 17 hex digits, "mi-" → 17 hex digits). */
export function ids(prefix: 'i-' | 'mi-', n: number, from = 0): string[] {
  return Array.from({ length: n }, (_, k) => `${prefix}${(from + k).toString(16).padStart(17, '0')}`);
}

export async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

/** A run request for the tests: a tiny script, overridable field by field. */
export const request = (instanceIds: string[], over: Partial<RunRequest> = {}): RunRequest => ({
  script: '#!/bin/sh\necho hello\n',
  instanceIds,
  comment: 'stns-fleet apply',
  deliveryTimeoutSeconds: 120,
  executionTimeoutSeconds: 600,
  ...over,
});
