// apply's view, fed the typed events the command and the rollout emit: the plan before the prompt, the
// rollout's phases and hosts as the step's status line, "stopping" and a declined prompt on stderr; then the
// results (text) or one JSON document. Nothing in the events or results carries a secret.
import { beforeAll, describe, expect, test } from 'vitest';
import type { ApplyEvent, ApplyReport } from '../../../src/apply/rollout.js';
import { Emitter } from '../../../src/output/emitter.js';
import type { Io } from '../../../src/output/io.js';
import { runSteps } from '../../../src/output/progress.js';
import { applyView, type ApplyView } from '../../../src/output/views/apply.js';
import { IDS, planFixture, SECRETS, type Fixture } from '../plan-fixture.js';

let f: Fixture;
beforeAll(async () => {
  f = await planFixture();
});

function rig(json: boolean, confirm?: Io['confirm']): { view: ApplyView; out: () => string; err: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  const view = applyView(json, new Emitter({ out: (t) => void out.push(t), err: (t) => void err.push(t), ...(confirm ? { confirm } : {}) }));
  return { view, out: () => out.join(''), err: () => err.join('') };
}

const report: ApplyReport = {
  canary: [IDS.web],
  outcomes: [
    { id: IDS.web, outcome: 'changed' },
    { id: IDS.withOldToken, outcome: 'failed', status: 'Failed', detail: 'sshd -t refused the new configuration', tail: ['STNS_FLEET_RESULT=invalid'] },
    { id: IDS.oldTokenOnly, outcome: 'skipped', detail: 'not attempted: the canary failed' },
    { id: IDS.converged, outcome: 'unchanged' },
  ],
  stopped: 'the canary failed',
};

describe('text', () => {
  test('the plan comes first, in full before a question; each rollout event becomes the step\'s status line (plain: one line per step)', async () => {
    const r = rig(false, () => Promise.resolve(true));
    r.view.event({ kind: 'plan', plan: f.plan, confirm: true });
    expect(r.out()).toMatch(/^Cannot be planned:\n## db#5: 1 host\(s\)/); // what will not happen first
    expect(r.out()).toMatch(/^## web#1: 1 host\(s\)/m);
    expect(r.out()).toMatch(/^\+passwd: +files stns$/m);
    // Plain progress prints a step's first status line (then one every 2 s): one event per step here.
    const events: ApplyEvent[] = [
      { kind: 'phase', phase: 'canary', hosts: [IDS.web] },
      { kind: 'host', outcome: { id: IDS.converged, outcome: 'unchanged' } }, // not a host to change: not counted
      { kind: 'host', outcome: { id: IDS.web, outcome: 'changed' } },
    ];
    await runSteps(events.map((e, i) => ({ title: `step ${i}`, run: async () => r.view.event(e) })), r.view.progress);
    expect(r.err()).toMatch(/canary: 1 host\(s\)/);
    expect(r.err()).not.toMatch(/hosts done \(last: i-0+c/);
    expect(r.err()).toMatch(/1\/3 hosts done \(last: i-0+a changed\)/);
  });

  test('stopping and a declined prompt go to stderr; the results and the summary to stdout', () => {
    const r = rig(false);
    r.view.event({ kind: 'plan', plan: f.plan, confirm: true });
    r.view.event({ kind: 'stopping', reason: 'the canary failed' });
    r.view.event({ kind: 'declined' });
    expect(r.err()).toBe('stopping: the canary failed\nApply cancelled; nothing was changed.\n');
    r.view.result({ plan: f.plan, report });
    const out = r.out();
    expect(out).toMatch(/^ {2}changed +i-0+a \(web <img.*\) \[web\] \(canary\)$/m);
    expect(out).toMatch(/^ {2}failed +i-0+b \[web\]: sshd -t refused the new configuration \[Failed\]\n {14}\| STNS_FLEET_RESULT=invalid$/m);
    expect(out).toMatch(/^Apply: 1 changed, 1 unchanged, 0 drifted, 1 failed, 0 cancelled, 1 skipped\.\nStopped: the canary failed\.$/m);
  });

  test('nothing to apply', () => {
    const r = rig(false);
    r.view.result({ plan: f.plan });
    expect(r.out()).toBe('Nothing to apply.\n');
  });
});

test('json: no plan text and no progress, one document at the end; stopping still on stderr', () => {
  const r = rig(true);
  expect(r.view.progress.mode).toBe('silent');
  r.view.event({ kind: 'plan', plan: f.plan, confirm: true });
  r.view.event({ kind: 'phase', phase: 'canary', hosts: [IDS.web] });
  r.view.event({ kind: 'stopping', reason: 'the canary failed' });
  expect(r.out()).toBe('');
  r.view.result({ plan: f.plan, report });
  const doc = JSON.parse(r.out()) as { summary: Record<string, number>; stopped: string; canary: string[]; hosts: { id: string; group: string }[] };
  expect(doc.summary).toEqual({ changed: 1, failed: 1, skipped: 1, unchanged: 1 });
  expect(doc.stopped).toBe('the canary failed');
  expect(doc.canary).toEqual([IDS.web]);
  expect(doc.hosts.find((h) => h.id === IDS.web)?.group).toBe('web');
  expect(r.err()).toBe('stopping: the canary failed\n');
  for (const s of SECRETS) expect(r.out() + r.err()).not.toContain(s);
});

test('the question names the hosts; without a terminal there is none to ask', async () => {
  const asked: string[] = [];
  const r = rig(false, (q) => (asked.push(q), Promise.resolve(true)));
  expect(await r.view.confirm(3)).toBe(true);
  expect(asked).toEqual(['\nApply these changes to 3 host(s)? Only "yes" is accepted: ']);
  expect(rig(true).view.confirm(3)).toBeUndefined();
});
