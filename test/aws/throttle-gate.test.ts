// How the calls of a run slow down when AWS throttles (src/aws/throttle-gate.ts): fewer in flight, no pause.
// The SDK clients are makeAwsClients' own, answered by a request handler in the test (no network), on vitest's
// fake clock: virtual time counts every timer the SDK or the gate would wait on, so no test here depends on how
// fast this machine is.
import { Readable } from 'node:stream';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { isThrottling } from '../../src/aws/backoff.js';
import { makeAwsClients } from '../../src/aws/clients.js';
import { ThrottleGate } from '../../src/aws/throttle-gate.js';
import { SsmTransport } from '../../src/aws/transport.js';

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
});

const throttle = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });

/** A call the test ends by hand, and a gate's view of how many run at once. */
function pending() {
  const ends: { resolve: (v: string) => void; reject: (e: unknown) => void }[] = [];
  let running = 0;
  let most = 0;
  const fn = (): Promise<string> => {
    running++;
    most = Math.max(most, running);
    return new Promise<string>((resolve, reject) => ends.push({ resolve, reject })).finally(() => running--);
  };
  return { fn, ends, running: () => running, most: () => most };
}

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('ThrottleGate', () => {
  test('without a throttle it does not limit what the operations ask for', async () => {
    const gate = new ThrottleGate(64);
    const p = pending();
    const all = Array.from({ length: 40 }, () => gate.run(p.fn, isThrottling));
    await settle();
    expect(p.running()).toBe(40);
    p.ends.forEach((e) => e.resolve('ok'));
    expect(await Promise.all(all)).toEqual(Array(40).fill('ok'));
    expect(gate.limit).toBe(64);
  });

  test('a throttle halves the calls in flight; later calls wait their turn, in order, and none is lost', async () => {
    const gate = new ThrottleGate(64);
    const p = pending();
    const first = Array.from({ length: 8 }, () => gate.run(p.fn, isThrottling).catch((e: unknown) => e));
    await settle();
    p.ends[0]!.reject(throttle);
    expect(await first[0]).toBe(throttle);
    expect(gate.limit).toBe(4); // 8 in flight when AWS refused one
    const q = pending();
    const order: number[] = [];
    const later = [1, 2, 3].map((i) => gate.run(() => (order.push(i), q.fn()), isThrottling));
    await settle();
    expect(order).toEqual([]); // 7 still in flight, 4 allowed
    for (const e of p.ends.slice(1, 4)) e.resolve('ok');
    await settle();
    expect(order).toEqual([]); // 4 in flight
    p.ends[4]!.resolve('ok');
    await settle();
    // 3 in flight, and the fourth success since the throttle grew the limit to 5: two slots, in arrival order.
    expect(order).toEqual([1, 2]);
    expect(gate.limit).toBe(5);
    for (const e of p.ends.slice(5)) e.resolve('ok');
    await settle();
    expect(order).toEqual([1, 2, 3]);
    expect(q.most()).toBe(3);
    q.ends.forEach((e) => e.resolve('later'));
    expect(await Promise.all(later)).toEqual(['later', 'later', 'later']);
    expect(await Promise.all(first.slice(1))).toEqual(Array(7).fill('ok'));
  });

  test('never below one call in flight; grows back by one per limit of successes, up to the ceiling', async () => {
    const gate = new ThrottleGate(3);
    const refuse = (): Promise<never> => Promise.reject(throttle);
    await gate.run(refuse, isThrottling).catch(() => undefined);
    await gate.run(refuse, isThrottling).catch(() => undefined);
    expect(gate.limit).toBe(1);
    const ok = (): Promise<string> => Promise.resolve('ok');
    await gate.run(ok, isThrottling);
    expect(gate.limit).toBe(2);
    await gate.run(ok, isThrottling);
    expect(gate.limit).toBe(2);
    await gate.run(ok, isThrottling);
    expect(gate.limit).toBe(3);
    for (let i = 0; i < 10; i++) await gate.run(ok, isThrottling);
    expect(gate.limit).toBe(3);
  });

  test('other errors change nothing', async () => {
    const gate = new ThrottleGate(8);
    const denied = Object.assign(new Error('no'), { name: 'AccessDeniedException' });
    await expect(gate.run(() => Promise.reject(denied), isThrottling)).rejects.toBe(denied);
    expect(gate.limit).toBe(8);
  });
});

describe('the SDK clients as the CLI builds them', () => {
  test('one throttled answer early in a run does not hold the run\'s later calls (virtual time)', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'lab');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'lab');
    vi.stubEnv('AWS_RETRY_MODE', 'adaptive'); // ignored: the clients say how they retry
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    const clients = makeAwsClients({ region: 'eu-west-1' });
    let requests = 0;
    const answer = (statusCode: number, body: object) => ({
      response: { statusCode, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: Readable.from([Buffer.from(JSON.stringify(body))]) },
    });
    clients.ssm.config.requestHandler = {
      handle: async () => (++requests === 1 ? answer(400, { __type: 'ThrottlingException', message: 'Rate exceeded' }) : answer(200, { Parameter: { Value: 'v' } })),
      updateHttpClientConfig: () => {},
      httpHandlerConfigs: () => ({}),
    } as never;
    // Our own backoff is not what is measured: it sleeps no time here.
    const transport = new SsmTransport(clients, { sleep: async () => {}, random: () => 0 });
    const start = Date.now();
    let done = false;
    const reads = (async () => {
      for (let i = 0; i < 10; i++) expect(await transport.getParameter('/stns/token')).toBe('v');
    })().finally(() => (done = true));
    // Virtual time moves only when every call waits on a timer: a loaded machine's slow parsing adds none.
    while (!done) {
      if (vi.getTimerCount() > 0) await vi.advanceTimersToNextTimerAsync();
      else await settle();
    }
    await reads;
    expect(requests).toBe(11);
    // The SDK's adaptive limiter (retryMode 'adaptive') made these ten reads wait 4.3 s of timers for send tokens.
    expect(Date.now() - start).toBeLessThan(1000);
  });
});
