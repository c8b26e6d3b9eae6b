// tag's view: the run's steps as status lines; at the end the warnings on stderr, then one row per named host
// and the counts (text), or the report as one JSON document. Whatever is registered as secret never shows.
import { expect, test } from 'vitest';
import { Emitter } from '../../../src/output/emitter.js';
import { runSteps } from '../../../src/output/progress.js';
import { tagView, type TagView } from '../../../src/output/views/tag.js';
import type { TagReport } from '../../../src/pi/tag.js';

const SECRET = 'tag-S3CRET-in-an-error-0042';

function rig(json: boolean): { view: TagView; out: () => string; err: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  const emitter = new Emitter({ out: (t) => void out.push(t), err: (t) => void err.push(t) });
  emitter.protect([{ auth_token: SECRET }]);
  return { view: tagView(json, emitter), out: () => out.join(''), err: () => err.join('') };
}

const report: TagReport = {
  changes: [
    { id: 'i-0000000000000000a', group: 'web', kind: 'ec2', current: 'old', desired: 'web-1', source: 'names', action: 'set' },
    { id: 'mi-00000000000000001', group: 'edge-pi', kind: 'managed', serial: '10000000a1b2c301', desired: 'board-1', source: 'pi.names', action: 'failed', detail: `AccessDenied (${SECRET})` },
    { id: 'mi-00000000000000002', group: 'edge-pi', kind: 'managed', action: 'skipped', detail: 'offline: its serial cannot be read' },
  ],
  warnings: ['mi-00000000000000001, mi-00000000000000003 would all be named board-1'],
};

test('text: the warnings, then the exact table and counts', () => {
  const r = rig(false);
  r.view.result(report);
  expect(r.err()).toBe('warning: mi-00000000000000001, mi-00000000000000003 would all be named board-1\n');
  expect(r.out().split('\n')).toEqual([
    'ID                    GROUP    SERIAL            NAME NOW  NAME     FROM               ACTION',
    'i-0000000000000000a   web      -                 old       web-1    names              set',
    'mi-00000000000000001  edge-pi  10000000a1b2c301  -         board-1  pi.names (serial)  failed: AccessDenied ((sensitive))',
    'mi-00000000000000002  edge-pi  -                 -         -        -                  skipped: offline: its serial cannot be read',
    '',
    '1 renamed, 0 to rename, 0 already right, 1 skipped, 1 failed.',
    '',
  ]);
});

test('text: nothing named', () => {
  const r = rig(false);
  r.view.result({ changes: [], warnings: [] });
  expect(r.out()).toBe('The inventory names no host of the selected groups (see names: and pi.names in inventories/example.yaml).\n');
});

test('the steps as status lines: each one shows in plain progress', async () => {
  const r = rig(false);
  await runSteps(
    [
      {
        title: 'Setting the Name tags of 2 group(s)',
        run: async () => {
          r.view.event({ kind: 'progress', text: 'Discovering the hosts of group web' });
          r.view.event({ kind: 'progress', text: 'Discovering the hosts of group edge-pi' });
          return 'Names set: 1 renamed, 1 failed';
        },
      },
    ],
    r.view.progress,
  );
  expect(r.err()).toContain('› Discovering the hosts of group web\n› Discovering the hosts of group edge-pi\n');
  expect(r.err()).toContain('✔ Names set: 1 renamed, 1 failed');
});

test('json: no progress; the report is the document, warnings still on stderr', () => {
  const r = rig(true);
  expect(r.view.progress.mode).toBe('silent');
  r.view.result(report);
  const doc = JSON.parse(r.out()) as TagReport;
  expect(Object.keys(doc)).toEqual(['changes', 'warnings']);
  expect(doc.changes.map((c) => [c.id, c.action])).toEqual(report.changes.map((c) => [c.id, c.action]));
  expect(doc.changes[1]!.detail).toBe('AccessDenied ((sensitive))');
  expect(r.err()).toBe('warning: mi-00000000000000001, mi-00000000000000003 would all be named board-1\n');
  expect(r.out() + r.err()).not.toContain(SECRET);
});
