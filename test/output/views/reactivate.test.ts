// reactivate's view: the run's steps as the step's status line (every one, even in plain progress), its
// warnings on stderr, what would be done before the question, then the report (text) or the report as one
// JSON document; declined, one line on stderr. An activation code registered with the emitter never shows.
import { describe, expect, test } from 'vitest';
import { Emitter } from '../../../src/output/emitter.js';
import type { Io } from '../../../src/output/io.js';
import { runSteps } from '../../../src/output/progress.js';
import { reactivateView, type ReactivateView } from '../../../src/output/views/reactivate.js';
import type { ReactivateReport } from '../../../src/pi/reactivate.js';

const CODE = 'Act1vati0n-C0de-9f8e7d6c5b4a';
const OLD = 'mi-00000000000000001';

function rig(json: boolean, confirm?: Io['confirm']): { view: ReactivateView; out: () => string; err: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  const emitter = new Emitter({ out: (t) => void out.push(t), err: (t) => void err.push(t), ...(confirm ? { confirm } : {}) });
  emitter.protect([{ auth_token: CODE }]); // as the command does once the activation exists
  return { view: reactivateView(json, emitter), out: () => out.join(''), err: () => err.join('') };
}

const moved: ReactivateReport = {
  stamp: '2026-01-01T00:00:00Z',
  dryRun: false,
  clean: false,
  nodesPolled: 2,
  warnings: [],
  ids: [{ id: OLD, group: 'edge-pi', reasons: ['2 different boards answered its polls'], expected: 2, expectedFrom: 'seen', boardsSeen: 2, action: 'deregistered', detail: 'no board answers it any more' }],
  boards: [
    { group: 'edge-pi', oldId: OLD, newId: 'mi-00000000000000002', serial: '10000000a1b2c301', name: 'board-1', outcome: 'moved', detail: 'moved' },
    { group: 'edge-pi', oldId: OLD, newId: 'mi-00000000000000003', serial: '10000000a1b2c302', outcome: 'moved', detail: 'moved' },
  ],
  activations: [{ group: 'edge-pi', activationId: 'act-1', registrationLimit: 4, expiresAt: '2026-01-01T01:00:00Z', deleted: true }],
};

const dryRun: ReactivateReport = {
  ...moved,
  dryRun: true,
  ids: [{ ...moved.ids[0]!, action: 'planned', detail: 'move every board behind it (2 seen so far) to new IDs, then deregister it' }],
  boards: moved.boards.map(({ newId: _n, ...b }) => ({ ...b, outcome: 'planned' as const, detail: 'to move to a new ID' })),
  activations: [],
};

describe('text', () => {
  test('a run that moved every board: the exact report, with the note for an ID the inventory lists', () => {
    const r = rig(false);
    r.view.result({ report: moved, listedById: [OLD] });
    expect(r.out().split('\n')).toEqual([
      'Suspected clones:',
      `  ${OLD}  group edge-pi: 2 different boards answered its polls`,
      '      expected boards: 2 (seen in the polls)',
      '      → deregistered: no board answers it any more',
      '',
      'OLD ID                NEW ID                SERIAL            NAME     OUTCOME  DETAIL',
      `${OLD}  mi-00000000000000002  10000000a1b2c301  board-1  moved    moved`,
      `${OLD}  mi-00000000000000003  10000000a1b2c302  -        moved    moved`,
      '',
      'Activations: 1 created (act-1: 4 registrations), 1 deleted.',
      '',
      'Summary: 2 moved, 0 failed, 0 pending, 0 not seen; 1 old ID(s) deregistered, 0 kept.',
      `Note: group edge-pi lists ${OLD} by ID in the inventory; the boards now answer under the new IDs above (they carry its tags, so a tag selector finds them).`,
      '',
    ]);
    expect(r.err()).toBe('');
  });

  test('--dry-run: what would be done, and how to do it', () => {
    const r = rig(false);
    r.view.result({ report: dryRun, listedById: [] });
    const lines = r.out().split('\n');
    expect(lines[0]).toBe('Suspected clones (nothing was changed):');
    expect(lines[3]).toBe('      would move every board behind it (2 seen so far) to new IDs, then deregister it');
    expect(lines.slice(-3)).toEqual(['', 'Dry run: run again without --dry-run to move these boards.', '']);
    expect(r.out()).not.toContain('Summary:');
  });

  test('a clean fleet, an interrupted run, an activation left behind', () => {
    const clean = rig(false);
    clean.view.result({ report: { ...moved, clean: true, ids: [], boards: [], activations: [] }, listedById: [] });
    expect(clean.out()).toBe('No cloned managed-node IDs: 2 online node(s) polled, each answered by one board of its own. Nothing to do.\n');
    const stopped = rig(false);
    const left = { ...moved.activations[0]!, deleted: false, deleteError: 'AccessDenied' };
    stopped.view.result({ report: { ...moved, interrupted: 'SIGTERM', aborted: 'interrupted', activations: [left] }, listedById: [] });
    expect(stopped.out()).toContain('\nThe run was interrupted (SIGTERM): the activation was deleted; run reactivate again to finish.\n');
    expect(stopped.out()).toContain('  NOT deleted: act-1 (AccessDenied); it expires at 2026-01-01T01:00:00Z: delete it with `aws ssm delete-activation --activation-id act-1`\n');
  });

  test('events: the steps as status lines (each one, in plain progress), warnings and the planned run; declined on stderr', async () => {
    const r = rig(false);
    await runSteps(
      [
        {
          title: 'Moving',
          run: async () => {
            r.view.event({ kind: 'run', event: { kind: 'progress', text: `${OLD}: sending the re-register script` } });
            r.view.event({ kind: 'run', event: { kind: 'progress', text: `${OLD}: board 10000000a1b2c301 is now mi-00000000000000002 (board-1)` } });
          },
        },
      ],
      r.view.progress,
    );
    expect(r.view.progress.mode).toBe('plain');
    expect(r.err()).toContain(`› ${OLD}: sending the re-register script\n`);
    expect(r.err()).toContain(`› ${OLD}: board 10000000a1b2c301 is now mi-00000000000000002 (board-1)\n`);
    r.view.event({ kind: 'run', event: { kind: 'warning', text: `activation could not be deleted (the request quoted ${CODE})` } });
    r.view.event({ kind: 'warning', text: 'inv.yaml:3:5: warning: stns.auth_token: in clear text' });
    expect(r.err()).toMatch(/\nwarning: activation could not be deleted \(the request quoted \(sensitive\)\)\ninv\.yaml:3:5: warning: stns\.auth_token: in clear text\n$/);
    r.view.event({ kind: 'planned', planned: { report: { ...dryRun, dryRun: false }, listedById: [] } });
    expect(r.out()).toMatch(/^Suspected clones:\n/);
    r.view.result({ report: { ...dryRun, dryRun: false, declined: true }, listedById: [] });
    expect(r.err()).toMatch(/\nCancelled; nothing was changed\.\n$/);
    expect(r.out() + r.err()).not.toContain(CODE);
  });
});

test('json: no progress, nothing before the question, the report as the one document; warnings on stderr', () => {
  const r = rig(true);
  expect(r.view.progress.mode).toBe('silent');
  r.view.event({ kind: 'run', event: { kind: 'progress', text: 'Identity poll 1/3 of 2 node(s)' } });
  r.view.event({ kind: 'planned', planned: { report: dryRun, listedById: [] } });
  r.view.event({ kind: 'run', event: { kind: 'warning', text: `quoted ${CODE}` } });
  expect(r.out()).toBe('');
  expect(r.err()).toBe('warning: quoted (sensitive)\n');
  r.view.result({ report: moved, listedById: [OLD] });
  expect(JSON.parse(r.out())).toEqual(moved);
  const declined = rig(true);
  declined.view.result({ report: { ...dryRun, declined: true }, listedById: [] });
  expect(JSON.parse(declined.out())).toMatchObject({ declined: true, ids: [{ id: OLD, action: 'planned' }] });
  expect(declined.err()).toBe('');
});

test('the question, scrubbed; without a terminal there is none to ask', async () => {
  const asked: string[] = [];
  const r = rig(false, (q) => (asked.push(q), Promise.resolve(false)));
  expect(await r.view.confirm()).toBe(false);
  expect(asked).toEqual(['\nMove these boards to new managed-node IDs (new machine-id and SSH host keys as configured)? Only "yes" is accepted: ']);
  expect(rig(true).view.confirm()).toBeUndefined();
});
