// One step at a time through the move state machine (src/pi/reactivate/move.ts), each host's answer scripted
// on the shared transport fake: where each answer leads, and what the step records on the way.
import { beforeAll, describe, expect, test } from 'vitest';
import type { Suspect } from '../../src/pi/clones.js';
import { identityScript } from '../../src/pi/identity-script.js';
import { Activations } from '../../src/pi/reactivate/activations.js';
import type { RunEnv } from '../../src/pi/reactivate/env.js';
import { initialState, step, type MoveCtx, type MoveState, type Tally } from '../../src/pi/reactivate/move.js';
import type { Ledger } from '../../src/pi/reactivate/report.js';
import { loadTemplates, type Templates } from '../../src/render/templates.js';
import { FakeTransport, ran, type Answer } from '../helpers/fake-transport.js';
import { newSealPair } from './fake-fleet.js';

const ID = 'mi-0123456789abcdef0';
let templates: Templates;
let sealKey: string;
beforeAll(async () => {
  templates = await loadTemplates(undefined, ['host/pi-identity.sh', 'host/pi-reregister.sh']);
  sealKey = newSealPair().publicDer;
});

function identity(o: { serial?: string; seal?: string; status?: Record<string, string> } = {}): string {
  return [
    'STNS_FLEET_PI_IDENTITY v1',
    `serial ${o.serial ?? '10000000a1b2c301'}`,
    `seal ${o.seal ?? 'none'}`,
    ...Object.entries(o.status ?? {}).map(([k, v]) => `status ${k}=${v}`),
    'STNS_FLEET_PI_IDENTITY_END',
    '',
  ].join('\n');
}

const refused = (word: string, code: number): ReturnType<typeof ran> => ran(`STNS_FLEET_PI_REREGISTER refused ${word} for the test\n`, code);

async function ctx(answer: Answer, cap = 2): Promise<{ c: MoveCtx; tr: FakeTransport; ledger: Ledger }> {
  const tr = new FakeTransport({ answer });
  const env: RunEnv = {
    tr,
    templates,
    region: 'ap-northeast-1',
    stamp: '2026-11-23T09:00:00Z',
    idScript: identityScript(templates),
    limits: { polls: 1, pollIntervalMs: 0, newNodeTimeoutMs: 0, newNodePollMs: 0, activationTtlMs: 3_600_000, registrationMargin: 2, maxBoards: 50, workerDelaySeconds: 5 },
    signal: undefined,
    now: () => 0,
    sleep: () => Promise.resolve(),
    say: () => undefined,
    warn: () => undefined,
  };
  const suspect: Suspect = { id: ID, group: 'edge-pi', online: true, reasons: [{ kind: 'forced' }], boards: [], expected: cap, expectedFrom: 'inventory', missing: [] };
  const group = { group: 'edge-pi', pi: { iamRole: 'Role', names: new Map(), namePrefix: 'pi', newMachineId: true, newHostKeys: true, configured: true }, inherit: {}, registrations: cap };
  const ledger: Ledger = { claimed: new Set([ID]), moved: new Set(), boards: [] };
  const activations = new Activations(env);
  await activations.create(group, cap);
  return { c: { env, ledger, activations, plan: { kind: 'move', suspect, cap, tags: {} }, group, missing: [] }, tr, ledger };
}

const tally = (t: Partial<Tally> = {}): Tally => ({ moved: 0, attempts: 0, sealMisses: 0, sealKeys: new Set(), unfinished: new Set(), ...t });
const at = (s: MoveState): string => s.at;

describe('probe', () => {
  test('the cap reached: settle without asking anyone', async () => {
    const { c, tr } = await ctx(() => ran(identity()), 2);
    const s = await step({ at: 'probe', tally: tally({ moved: 2 }) }, c);
    expect(s).toEqual({ at: 'settle', tally: tally({ moved: 2 }) });
    expect(tr.requests).toEqual([]);
  });

  test('a board still moving from an earlier send: wait, counting the attempt', async () => {
    const { c } = await ctx(() => ran(identity({ seal: sealKey, status: { state: 'running', old: ID, step: 'register' } })));
    const s = await step({ at: 'probe', tally: tally() }, c);
    expect(at(s)).toBe('wait');
    expect(s.at === 'wait' && s.tally.attempts).toBe(1);
  });

  test('a board with a seal key: send to it, the key now among the recipients', async () => {
    const { c } = await ctx(() => ran(identity({ seal: sealKey })));
    const s = await step(initialState(c.plan), c);
    expect(at(s)).toBe('send');
    expect(s.at === 'send' && [...s.tally.sealKeys]).toEqual([sealKey]);
  });

  test('no seal key anywhere: the board fails, the moves settle with the reason', async () => {
    const { c, ledger } = await ctx(() => ran(identity()));
    const s = await step(initialState(c.plan), c);
    expect(s).toMatchObject({ at: 'settle', stop: expect.stringContaining('has no seal key') });
    expect(ledger.boards).toEqual([expect.objectContaining({ serial: '10000000a1b2c301', outcome: 'failed' })]);
  });
});

describe('send', () => {
  const board = { serial: '10000000a1b2c301', macs: [], ips: [], status: {} };

  test('refused busy: wait', async () => {
    const { c } = await ctx(() => refused('busy', 13));
    expect(at(await step({ at: 'send', tally: tally({ sealKeys: new Set([sealKey]) }), board }, c))).toBe('wait');
  });

  test('refused seal: probe again (twice) to learn the key; the third refusal fails the board', async () => {
    const { c, ledger } = await ctx(() => refused('seal', 11));
    const first = await step({ at: 'send', tally: tally({ sealKeys: new Set([sealKey]) }), board }, c);
    expect(first).toMatchObject({ at: 'probe', tally: { sealMisses: 1 } });
    expect(ledger.boards).toEqual([]);
    const third = await step({ at: 'send', tally: tally({ sealKeys: new Set([sealKey]), sealMisses: 2 }), board }, c);
    expect(third).toMatchObject({ at: 'settle', stop: 'the board refused to move: seal for the test' });
    expect(ledger.boards).toEqual([expect.objectContaining({ outcome: 'failed' })]);
  });

  test('accepted: wait for the new node of the board the launcher names, the seal misses reset', async () => {
    const { c, tr } = await ctx(() => ran('STNS_FLEET_PI_REREGISTER accepted serial=10000000a1b2c302 mac=dc:a6:32:00:00:02 boot=b\n'));
    const s = await step({ at: 'send', tally: tally({ sealKeys: new Set([sealKey]), sealMisses: 1 }), board }, c);
    expect(s).toMatchObject({ at: 'await', moving: 'serial:10000000a1b2c302', tally: { sealMisses: 0 } });
    expect(tr.requests.map((q) => q.comment)).toEqual([`stns-fleet pi reregister ${ID}`]);
  });

  test('an activation used up: a new one before sending', async () => {
    const { c, tr } = await ctx(() => refused('busy', 13), 1);
    const act = c.activations.of('edge-pi')!;
    for (let i = 0; i < act.record.registrationLimit; i++) c.activations.registered(act);
    await step({ at: 'send', tally: tally({ sealKeys: new Set([sealKey]) }), board }, c);
    expect(tr.calls.createActivation).toHaveLength(2);
    expect(tr.calls.deleteActivation).toEqual([act.record.activationId]);
    expect(c.activations.records.map((r) => r.replaced)).toEqual([undefined, 'used-up']);
  });
});
