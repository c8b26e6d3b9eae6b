// Pacing for AWS calls: our own retry with full jitter around each call, and bounded concurrency. The SDK
// retries too (adaptive mode), but a rollout that runs for minutes must ride out throttling that outlasts the
// SDK's attempts, and tests (aws-sdk-client-mock bypasses the SDK's middleware) must see the retries happen.

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** One AWS call as discover/run make it. `action` is the IAM action ("ssm:SendCommand"), for error messages. */
export type Call = <T>(action: string, fn: () => Promise<T>, signal?: AbortSignal) => Promise<T>;

export interface RetryOptions {
  /** Attempts in all, the first included (default 6). */
  attempts?: number;
  /** Backoff ceiling before the first retry; it doubles per retry (default 500 ms, the SDK's throttling base). */
  baseMs?: number;
  /** Largest backoff ceiling (default 20 s, the SDK's cap). */
  capMs?: number;
  sleep?: Sleep;
  /** Uniform in [0, 1): the jitter. */
  random?: () => number;
  /** Aborting stops waiting: the last error is thrown at once. */
  signal?: AbortSignal;
}

/** Error names AWS uses for "slow down" (SSM, EC2, and the generic ones smithy knows). */
export const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'EC2ThrottledException',
  'TooManyUpdates',
  'LimitExceededException',
  'SlowDown',
]);

const SERVER_SIDE = new Set(['InternalServerError', 'InternalError', 'InternalFailure', 'ServiceUnavailable', 'Unavailable']);

// Refused connections and unknown hosts are configuration problems (wrong endpoint): not retried here.
const FLAKY_NETWORK = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'RequestTimeout', 'RequestTimeoutException', 'TimeoutError']);

export function isRetryable(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const err = e as { name?: unknown; code?: unknown; $metadata?: { httpStatusCode?: number } };
  const name = typeof err.name === 'string' ? err.name : '';
  const code = typeof err.code === 'string' ? err.code : '';
  if (THROTTLING.has(name) || SERVER_SIDE.has(name) || FLAKY_NETWORK.has(name) || FLAKY_NETWORK.has(code)) return true;
  const status = err.$metadata?.httpStatusCode;
  return status !== undefined && (status >= 500 || status === 429);
}

/** A timer that ends early (resolving, not rejecting) when `signal` aborts. */
export const sleep: Sleep = (ms, signal) =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

/** Runs `fn`, retrying throttling and transient errors with full-jitter exponential backoff. */
export async function withRetry<T>(fn: () => Promise<T>, o: RetryOptions = {}): Promise<T> {
  const attempts = o.attempts ?? 6;
  const base = o.baseMs ?? 500;
  const cap = o.capMs ?? 20_000;
  const wait = o.sleep ?? sleep;
  const random = o.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (attempt >= attempts || !isRetryable(e) || o.signal?.aborted) throw e;
      await wait(Math.floor(random() * Math.min(cap, base * 2 ** (attempt - 1))), o.signal);
      if (o.signal?.aborted) throw e;
    }
  }
}

/** Maps `items` through `fn` with at most `limit` calls in flight; results keep the input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return out;
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
