import { EC2ServiceException } from '@aws-sdk/client-ec2';
import { AccessDeniedException, InternalServerError, ThrottlingException, TooManyUpdates } from '@aws-sdk/client-ssm';
import { describe, expect, test } from 'vitest';
import { isAmbiguous, isRetryable, mapLimit, refusedBeforeActing, safetyOf, withRetry } from '../../src/aws/backoff.js';
import { caught } from './helpers.js';

const throttling = (): ThrottlingException => new ThrottlingException({ message: 'Rate exceeded', Message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } });
const ec2Error = (name: string, status = 400): EC2ServiceException =>
  new EC2ServiceException({ name, $fault: status >= 500 ? 'server' : 'client', message: name, $metadata: { httpStatusCode: status } });

/** A function that fails with `errors` in turn, then answers `value`; counts its calls. */
function flaky<T>(errors: unknown[], value: T): { fn: () => Promise<T>; calls: () => number } {
  let n = 0;
  return {
    fn: async () => {
      const e = errors[n++];
      if (e !== undefined) throw e;
      return value;
    },
    calls: () => n,
  };
}

function recorder(): { sleep: (ms: number) => Promise<void>; sleeps: number[] } {
  const sleeps: number[] = [];
  return { sleeps, sleep: async (ms) => void sleeps.push(ms) };
}

describe('withRetry', () => {
  test('ThrottlingException twice, then success: three calls, two full-jitter sleeps', async () => {
    const f = flaky([throttling(), throttling()], 'ok');
    const r = recorder();
    const randoms = [0.1, 0.9];
    const out = await withRetry(f.fn, { sleep: r.sleep, random: () => randoms.shift()!, baseMs: 500 });
    expect(out).toBe('ok');
    expect(f.calls()).toBe(3);
    // Each delay is uniform in [0, min(cap, base × 2^retry)): the random draw scales the exponential ceiling.
    expect(r.sleeps).toEqual([Math.floor(0.1 * 500), Math.floor(0.9 * 1000)]);
  });

  test('the ceiling is capped', async () => {
    const f = flaky(Array.from({ length: 9 }, throttling), 'ok');
    const r = recorder();
    await withRetry(f.fn, { sleep: r.sleep, random: () => 0.999, attempts: 10, baseMs: 500, capMs: 3000 });
    expect(Math.max(...r.sleeps)).toBeLessThan(3000);
    expect(r.sleeps.at(-1)).toBe(Math.floor(0.999 * 3000));
  });

  test('attempts are bounded: the last error is thrown after the last attempt', async () => {
    const errors = Array.from({ length: 10 }, throttling);
    const f = flaky(errors, 'never');
    const r = recorder();
    const e = await caught(withRetry(f.fn, { sleep: r.sleep, random: () => 0, attempts: 4 }));
    expect(e).toBe(errors[3]);
    expect(f.calls()).toBe(4);
    expect(r.sleeps).toHaveLength(3);
  });

  test('errors that are not transient are thrown at once', async () => {
    const denied = new AccessDeniedException({ message: 'no', Message: 'no', $metadata: {} });
    const f = flaky([denied], 'never');
    const r = recorder();
    expect(await caught(withRetry(f.fn, { sleep: r.sleep }))).toBe(denied);
    expect(f.calls()).toBe(1);
    expect(r.sleeps).toEqual([]);
  });

  test('an abort during the backoff stops retrying', async () => {
    const ac = new AbortController();
    const f = flaky([throttling(), throttling()], 'ok');
    const e = await caught(withRetry(f.fn, { signal: ac.signal, sleep: async () => ac.abort(), random: () => 0.5 }));
    expect(e).toMatchObject({ name: 'ThrottlingException' });
    expect(f.calls()).toBe(1);
  });

  test('the real sleep ends early on abort', async () => {
    const ac = new AbortController();
    const f = flaky([throttling()], 'ok');
    const started = performance.now();
    setTimeout(() => ac.abort(), 5);
    await caught(withRetry(f.fn, { signal: ac.signal, random: () => 0.999, baseMs: 60_000 }));
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('isRetryable', () => {
  test('throttling, busy and server-side errors are retried', () => {
    expect(isRetryable(throttling())).toBe(true);
    expect(isRetryable(ec2Error('RequestLimitExceeded'))).toBe(true);
    expect(isRetryable(new TooManyUpdates({ message: '', $metadata: {} }))).toBe(true);
    expect(isRetryable(new InternalServerError({ message: '', $metadata: { httpStatusCode: 500 } }))).toBe(true);
    expect(isRetryable(ec2Error('Unavailable', 503))).toBe(true);
    expect(isRetryable(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe(true);
  });

  test('permission, validation and configuration errors are not', () => {
    expect(isRetryable(new AccessDeniedException({ message: '', Message: '', $metadata: { httpStatusCode: 400 } }))).toBe(false);
    expect(isRetryable(ec2Error('UnauthorizedOperation', 403))).toBe(false);
    expect(isRetryable(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4566'), { code: 'ECONNREFUSED' }))).toBe(false);
    expect(isRetryable(new Error('Region is missing'))).toBe(false);
    expect(isRetryable('nope')).toBe(false);
  });
});

describe('what may be retried, per call', () => {
  const serverError = (): InternalServerError => new InternalServerError({ message: '', $metadata: { httpStatusCode: 500 } });
  const reset = (): Error => Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET' });

  test('reads and idempotent writes are idempotent; SendCommand, CreateActivation and anything unclassified create', () => {
    for (const a of ['ssm:ListCommands', 'ssm:GetParameter', 'ec2:DescribeInstances', 'ssm:DescribeInstanceInformation', 'ssm:CancelCommand', 'ec2:CreateTags', 'ssm:DeleteActivation']) {
      expect([a, safetyOf(a)]).toEqual([a, 'idempotent']);
    }
    for (const a of ['ssm:SendCommand', 'ssm:CreateActivation', 'ssm:PutParameter', 'ssm:Listen']) expect([a, safetyOf(a)]).toEqual([a, 'create']);
  });

  test('throttling and a corrected clock skew are refusals; 5xx, timeouts and resets are ambiguous', () => {
    expect(refusedBeforeActing(throttling())).toBe(true);
    expect(refusedBeforeActing(Object.assign(new Error('x'), { name: 'SignatureDoesNotMatch', $metadata: { httpStatusCode: 403, clockSkewCorrected: true } }))).toBe(true);
    expect(isAmbiguous(throttling())).toBe(false);
    for (const e of [serverError(), reset(), Object.assign(new Error('t'), { name: 'TimeoutError' }), ec2Error('Unavailable', 503)]) expect(isAmbiguous(e)).toBe(true);
    expect(isAmbiguous(new AccessDeniedException({ message: '', Message: '', $metadata: { httpStatusCode: 400 } }))).toBe(false);
  });

  test('a creating call: throttling retried; an ambiguous failure never retried without a recover', async () => {
    const r = recorder();
    const throttled = flaky([throttling(), throttling()], 'ok');
    expect(await withRetry(throttled.fn, { safety: 'create', sleep: r.sleep })).toBe('ok');
    expect(throttled.calls()).toBe(3);
    for (const e of [serverError(), reset()]) {
      const f = flaky([e], 'twice');
      expect(await caught(withRetry(f.fn, { safety: 'create', sleep: r.sleep }))).toBe(e);
      expect(f.calls()).toBe(1);
    }
  });

  test('a creating call with a recover: found → adopted; not found → sent again; recover failing → thrown, not sent again', async () => {
    const r = recorder();
    const adopted = flaky([serverError()], 'sent twice');
    expect(await withRetry(adopted.fn, { safety: 'create', sleep: r.sleep, recover: async () => ({ value: 'found' }) })).toBe('found');
    expect(adopted.calls()).toBe(1);

    const resent = flaky([serverError()], 'second');
    expect(await withRetry(resent.fn, { safety: 'create', sleep: r.sleep, recover: async () => undefined })).toBe('second');
    expect(resent.calls()).toBe(2);

    const lost = new Error('lookup failed');
    const unknown = flaky([serverError()], 'never');
    expect(await caught(withRetry(unknown.fn, { safety: 'create', sleep: r.sleep, recover: async () => Promise.reject(lost) }))).toBe(lost);
    expect(unknown.calls()).toBe(1);
  });

  test('the recover runs even on the last attempt and after an abort (what may exist must be known)', async () => {
    const ac = new AbortController();
    ac.abort();
    let looked = 0;
    const f = flaky([serverError()], 'never');
    const out = await withRetry(f.fn, { safety: 'create', attempts: 1, signal: ac.signal, recover: async () => (looked++, { value: 'found' }) });
    expect([out, looked, f.calls()]).toEqual(['found', 1, 1]);
  });
});

describe('mapLimit', () => {
  test('keeps the order and never has more than `limit` calls in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const out = await mapLimit([5, 1, 4, 2, 3, 0, 6], 3, async (n) => {
      inFlight++;
      most = Math.max(most, inFlight);
      for (let i = 0; i < n; i++) await Promise.resolve();
      inFlight--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30, 0, 60]);
    expect(most).toBe(3);
  });
});
