// The one retry policy for AWS calls, and bounded concurrency. The SDK clients make one attempt per call
// (clients.ts: maxAttempts 1): every retry decision is taken here, per call, by what the call does:
//   - idempotent calls (every Describe*, List*, Get*, and CancelCommand, tagging, DeleteActivation,
//     DeregisterManagedInstance: doing them twice leaves the same state) are retried on throttling, server
//     errors (5xx) and flaky network (reset, timeout);
//   - calls that create something each time they are made (SendCommand, CreateActivation, and any action not
//     classified below) are retried only when the service refused before acting (throttling, a corrected
//     clock skew). After an AMBIGUOUS failure (5xx, timeout, connection reset: the request may have been
//     carried out and only the answer lost) they are not sent again blindly: `recover` looks for what the lost
//     attempt may have created (SendCommand: run.ts), and without a recover the error is reported.
// Why here and not in the SDK: the SDK's retry strategy cannot tell a SendCommand (not idempotent: a resend
// runs the script again, as root) from a read, and retrying in both places multiplied the attempts (8 × 6).
// Tests that mock the clients (aws-sdk-client-mock bypasses the SDK's middleware) see this policy at work.

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** Attempts per call in all, the first included, unless AWS_MAX_ATTEMPTS says otherwise (clients.ts). */
export const DEFAULT_ATTEMPTS = 8;

/** May the call be made again after an ambiguous failure? (See the top of this file.) */
type Safety = 'idempotent' | 'create';

/** Writes that leave the same state when done twice. Reads are recognised by their verb. */
const IDEMPOTENT_WRITES = new Set([
  'ssm:CancelCommand',
  'ssm:AddTagsToResource',
  'ssm:DeleteActivation',
  'ssm:DeregisterManagedInstance',
  'ec2:CreateTags',
]);

/** The safety of an IAM action ("ssm:SendCommand"); an action nobody classified counts as one that creates. */
export function safetyOf(action: string): Safety {
  const verb = action.slice(action.indexOf(':') + 1);
  return /^(Describe|List|Get)[A-Z]/.test(verb) || IDEMPOTENT_WRITES.has(action) ? 'idempotent' : 'create';
}

interface CallOptions<T> {
  /** Aborting stops waiting between attempts (the last error is thrown); a request in flight is not cut. */
  signal?: AbortSignal;
  /**
   * For a call that creates: after an ambiguous failure, finds what that attempt may have created.
   * `{ value }`: it exists, adopt it; `undefined`: it was not created, send again (within the attempts);
   * throwing: nobody knows, the error is reported and nothing is sent again.
   */
  recover?: (e: unknown) => Promise<{ value: T } | undefined>;
}

/** One AWS call as discover/run make it. `action` is the IAM action ("ssm:SendCommand"): the retry policy
 * (safetyOf) and error messages go by it. */
export type Call = <T>(action: string, fn: () => Promise<T>, o?: CallOptions<T>) => Promise<T>;

interface RetryOptions<T = unknown> extends CallOptions<T> {
  /** Attempts in all, the first included (default DEFAULT_ATTEMPTS). */
  attempts?: number;
  /** Backoff ceiling before the first retry; it doubles per retry (default 500 ms, the SDK's throttling base). */
  baseMs?: number;
  /** Largest backoff ceiling (default 20 s, the SDK's cap). */
  capMs?: number;
  sleep?: Sleep;
  /** Uniform in [0, 1): the jitter. */
  random?: () => number;
  /** Default 'idempotent'. */
  safety?: Safety;
}

/** Error names AWS uses for "slow down" (SSM, EC2, and the ones smithy's classification knows). */
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
  'BandwidthLimitExceeded',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
]);

const SERVER_SIDE = new Set(['InternalServerError', 'InternalError', 'InternalFailure', 'ServiceUnavailable', 'Unavailable']);

// Refused connections and unknown hosts are configuration problems (wrong endpoint): not retried here.
// The SDK names a reset connection TimeoutError with code ECONNRESET.
const FLAKY_NETWORK = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'RequestTimeout', 'RequestTimeoutException', 'TimeoutError']);

interface ErrorFields {
  name: string;
  code: string;
  message: string;
  status: number | undefined;
  clockSkewCorrected: boolean;
  throttlingTrait: boolean;
}

function fields(e: unknown): ErrorFields | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const err = e as { name?: unknown; code?: unknown; message?: unknown; $metadata?: { httpStatusCode?: number; clockSkewCorrected?: boolean }; $retryable?: { throttling?: boolean } };
  return {
    name: typeof err.name === 'string' ? err.name : '',
    code: typeof err.code === 'string' ? err.code : '',
    message: typeof err.message === 'string' ? err.message : '',
    status: err.$metadata?.httpStatusCode,
    clockSkewCorrected: err.$metadata?.clockSkewCorrected === true,
    throttlingTrait: err.$retryable?.throttling === true,
  };
}

/** AWS asked to slow down (any of THROTTLING, or HTTP 429, or smithy's throttling trait). */
export function isThrottling(e: unknown): boolean {
  const f = fields(e);
  return f !== undefined && (THROTTLING.has(f.name) || f.status === 429 || f.throttlingTrait);
}

/** The service turned the request away before acting on it: safe to send again, whatever the call. */
export function refusedBeforeActing(e: unknown): boolean {
  const f = fields(e);
  if (!f) return false;
  // A signature out of time: the SDK corrected its clock offset (it used to retry these itself).
  const skew = f.clockSkewCorrected || (f.name === 'InvalidSignatureException' && /signature expired/i.test(f.message));
  return isThrottling(e) || skew;
}

/** Transient: worth another attempt of an idempotent call. */
export function isRetryable(e: unknown): boolean {
  const f = fields(e);
  if (!f) return false;
  if (refusedBeforeActing(e) || SERVER_SIDE.has(f.name) || FLAKY_NETWORK.has(f.name) || FLAKY_NETWORK.has(f.code)) return true;
  return f.status !== undefined && f.status >= 500;
}

/** Transient but not a refusal: the request may have been carried out, only its answer lost. */
export function isAmbiguous(e: unknown): boolean {
  return isRetryable(e) && !refusedBeforeActing(e);
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

/**
 * Runs `fn` under the retry policy: full-jitter exponential backoff between attempts, at most `attempts`
 * attempts in all (resends after a recover that found nothing included).
 */
export async function withRetry<T>(fn: () => Promise<T>, o: RetryOptions<T> = {}): Promise<T> {
  const attempts = o.attempts ?? DEFAULT_ATTEMPTS;
  const base = o.baseMs ?? 500;
  const cap = o.capMs ?? 20_000;
  const wait = o.sleep ?? sleep;
  const random = o.random ?? Math.random;
  const creates = o.safety === 'create';
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (creates && isAmbiguous(e)) {
        // Even when no attempt is left or the run was aborted: what the lost attempt created must be known.
        if (!o.recover) throw e;
        const found = await o.recover(e);
        if (found) return found.value;
      } else if (creates ? !refusedBeforeActing(e) : !isRetryable(e)) throw e;
      if (attempt >= attempts || o.signal?.aborted) throw e;
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
