// Who answers to an ID, judged from each kind of transport result. "Silent" lets reactivate deregister the
// old ID, so only a command that provably reached no board may count as silent.
import { beforeAll, describe, expect, test } from 'vitest';
import { Interrupted } from '../../src/exit-codes.js';
import { identityScript } from '../../src/pi/identity-script.js';
import type { RunEnv } from '../../src/pi/reactivate/env.js';
import { probe } from '../../src/pi/reactivate/probe.js';
import { loadTemplates, type Templates } from '../../src/render/templates.js';
import { cancelled, failed, FakeTransport, HANG, notSent, ran, timedOut, undelivered, type Answer } from '../helpers/fake-transport.js';

const ID = 'mi-0123456789abcdef0';
const IDENTITY = ['STNS_FLEET_PI_IDENTITY v1', 'serial 10000000a1b2c301', 'mac eth0 dc:a6:32:00:00:01', 'seal none', 'STNS_FLEET_PI_IDENTITY_END', ''].join('\n');

let templates: Templates;
beforeAll(async () => {
  templates = await loadTemplates(undefined, ['host/pi-identity.sh']);
});

function env(answer: Answer, signal?: AbortSignal): RunEnv {
  return {
    tr: new FakeTransport({ answer }),
    templates,
    region: 'ap-northeast-1',
    stamp: '2026-11-23T09:00:00Z',
    idScript: identityScript(templates),
    limits: { polls: 3, pollIntervalMs: 0, newNodeTimeoutMs: 0, newNodePollMs: 0, activationTtlMs: 0, registrationMargin: 0, maxBoards: 1, workerDelaySeconds: 0 },
    signal,
    now: () => 0,
    sleep: () => Promise.resolve(),
    say: () => undefined,
    warn: () => undefined,
  };
}

describe('probe', () => {
  test('a clean run with an identity: that board answers', async () => {
    const p = await probe(env(() => ran(IDENTITY)), ID);
    expect(p).toMatchObject({ kind: 'board', identity: { serial: '10000000a1b2c301' } });
  });

  test.each([
    ['undelivered', undelivered('delivery-timed-out')],
    ['not sent (error budget)', notSent()],
  ])('%s: nobody answers', async (_, outcome) => {
    expect((await probe(env(() => outcome), ID)).kind).toBe('silent');
  });

  test('SendCommand refused as a whole (a deregistered ID): nobody answers, and the detail says why', async () => {
    const p = await probe(
      env(() => {
        throw new Error('InvalidInstanceId');
      }),
      ID,
    );
    expect(p).toEqual({ kind: 'silent', detail: 'SendCommand failed (InvalidInstanceId)' });
  });

  test.each([
    ['timed out', timedOut()],
    ['failed without an exit code', failed('an agent error')],
    ['cancelled at the deadline', cancelled('deadline')],
    ['exit 1', ran('', 1)],
    ['exit 0 without an identity', ran('hello\n')],
  ])('%s: a board took the command, so the ID is not silent', async (_, outcome) => {
    expect((await probe(env(() => outcome), ID)).kind).toBe('error');
  });

  test('cancelled by our own interrupt: the run stops (Interrupted with the signal), it does not judge the ID', async () => {
    const ac = new AbortController();
    const e = env(() => {
      ac.abort(new Interrupted('SIGTERM'));
      return HANG;
    }, ac.signal);
    const err = await probe(e, ID).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(Interrupted);
    expect((err as Interrupted).signal).toBe('SIGTERM');
  });
});
