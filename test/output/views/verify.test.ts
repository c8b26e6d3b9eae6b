// verify's view: a line per verified host (ok with its users and sshd, FAIL with every problem), the hosts
// not verified and why, the summary; or one JSON document without seal keys.
import { expect, test } from 'vitest';
import { Emitter } from '../../../src/output/emitter.js';
import type { PlannedHost } from '../../../src/plan/fleet-plan.js';
import { verifyView, type VerifyResult } from '../../../src/output/views/verify.js';

const hosts: PlannedHost[] = [
  { id: 'i-0000000000000000a', group: 'web', name: 'web-1', status: 'unchanged', sealKey: 'KEY' },
  { id: 'i-0000000000000000b', group: 'web', status: 'change', sealKey: 'KEY' },
  { id: 'i-0000000000000000c', group: 'web', status: 'skipped', reason: 'stopped' },
];
const result: VerifyResult = {
  hosts,
  verdicts: [
    { id: 'i-0000000000000000a', ok: true, users: [{ user: 'alice', ok: true, keys: 2 }], sshd: { ok: true, seen: '/usr/lib/stns/stns-key-wrapper' }, problems: [] },
    { id: 'i-0000000000000000b', ok: false, users: [], sshd: { ok: true }, problems: ['not converged: `stns-fleet plan` shows changes for this host', 'alice: token-rejected'] },
  ],
  notVerified: [hosts[2]!, { ...hosts[0]!, id: 'i-0000000000000000d', status: 'not verified', reason: 'interrupted (Ctrl-C) before it was verified' }],
  fleet: { hosts: [], notFound: [{ group: 'web', id: 'i-0000000000000000f' }] },
  interrupted: 'SIGINT',
};

function show(json: boolean, r: VerifyResult): string {
  const out: string[] = [];
  verifyView(json, new Emitter({ out: (t) => void out.push(t), err: () => undefined })).result(r);
  return out.join('');
}

test('text', () => {
  expect(show(false, result)).toBe(
    [
      'ok    i-0000000000000000a (web-1) [web]: alice 2 key(s); sshd → /usr/lib/stns/stns-key-wrapper',
      'FAIL  i-0000000000000000b [web]:',
      '        not converged: `stns-fleet plan` shows changes for this host',
      '        alice: token-rejected',
      'skip  i-0000000000000000c [web]: skipped: stopped',
      'skip  i-0000000000000000d (web-1) [web]: not verified: interrupted (Ctrl-C) before it was verified',
      '',
      'Verify: 1 passed, 1 failed, 2 not verified.',
      'Verify interrupted (Ctrl-C).',
      '',
    ].join('\n'),
  );
  expect(show(false, { ...result, hosts: [], verdicts: [], notVerified: [] })).toMatch(/^Nothing verified: the inventory selects no host\.$/m);
});

test('json', () => {
  const doc = JSON.parse(show(true, result)) as Record<string, unknown>;
  expect(doc['ok']).toBe(false);
  expect(doc['hosts']).toEqual(result.verdicts);
  expect(doc['notFound']).toEqual([{ group: 'web', id: 'i-0000000000000000f' }]);
  expect(doc['interrupted']).toBe('interrupted (Ctrl-C)');
  expect(JSON.stringify(doc['notVerified'])).not.toContain('sealKey');
  expect((doc['notVerified'] as { status: string }[]).map((h) => h.status)).toEqual(['skipped', 'not verified']);
});
