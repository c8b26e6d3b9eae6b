// image-prep's view: what the script did to the image (each change, the backup, the next steps; or why it
// refused or failed), or { root, ...result } as one JSON document; --print-script: the script itself on
// stdout in either form, how to run it on stderr.
import { expect, test } from 'vitest';
import { Emitter } from '../../../src/output/emitter.js';
import { imagePrepView, type ImagePrepResult } from '../../../src/output/views/image-prep.js';
import type { PrepResult } from '../../../src/pi/image-prep.js';

const SECRET = 'prep-S3CRET-echoed-0042';

function show(json: boolean, r: ImagePrepResult): { out: string; err: string } {
  const out: string[] = [];
  const err: string[] = [];
  const emitter = new Emitter({ out: (t) => void out.push(t), err: (t) => void err.push(t) });
  emitter.protect([{ auth_token: SECRET }]);
  imagePrepView(json, emitter).result(r);
  return { out: out.join(''), err: err.join('') };
}

const done: PrepResult = {
  code: 0,
  actions: [
    { verb: 'removed', path: '/var/lib/amazon/ssm/Vault', text: '/var/lib/amazon/ssm/Vault' },
    { verb: 'emptied', path: '/etc/machine-id', text: '/etc/machine-id' },
  ],
  backup: '/root/bk/2026-01-01',
  stderr: '',
};

test('text: each change, the backup, then the next steps', () => {
  const { out, err } = show(false, { kind: 'prepared', root: '/mnt/rootfs', prep: done });
  expect(out.split('\n').slice(0, 6)).toEqual([
    'Prepared /mnt/rootfs:',
    '  removed /var/lib/amazon/ssm/Vault',
    '  emptied /etc/machine-id',
    'Backup of everything removed or replaced: /root/bk/2026-01-01',
    '',
    'Next, for each batch of boards:',
  ]);
  expect(out).toContain('  2. on each card\'s boot partition (FAT, readable from any computer), create ssm-activation with:\n');
  expect(err).toBe('');
});

test('text: already prepared without a backup; refused; failed midway', () => {
  expect(show(false, { kind: 'prepared', root: '/mnt/r', prep: { code: 0, actions: [], stderr: '' } }).out).toMatch(/^\/mnt\/r was already prepared: nothing to change\.\nNo backup \(--no-backup\)\.\n\nNext,/);
  const refused = { code: 3, actions: [], error: { kind: 'refused' as const, message: 'this is not Raspberry Pi OS' }, stderr: '' };
  expect(show(false, { kind: 'prepared', root: '/mnt/r', prep: refused }).out).toBe('image-prep refused (nothing changed): this is not Raspberry Pi OS\n');
  const failed = { ...done, code: 1, error: { kind: 'failed' as const, message: `rm said ${SECRET}` } };
  expect(show(false, { kind: 'prepared', root: '/mnt/r', prep: failed }).out).toBe(
    '  removed /var/lib/amazon/ssm/Vault\n  emptied /etc/machine-id\nimage-prep FAILED midway: rm said (sensitive)\nBackup: /root/bk/2026-01-01\n',
  );
});

test('json: { root, ...the result }', () => {
  const { out, err } = show(true, { kind: 'prepared', root: '/mnt/rootfs', prep: { ...done, stderr: `echo ${SECRET}` } });
  expect(JSON.parse(out)).toEqual({ root: '/mnt/rootfs', ...done, stderr: 'echo (sensitive)' });
  expect(err).toBe('');
  expect(out).not.toContain(SECRET);
});

test('--print-script: the script as it is, in either form; how to run it on stderr', () => {
  for (const json of [false, true]) {
    const { out, err } = show(json, { kind: 'script', script: '#!/bin/sh\nsf_main "$@"\n' });
    expect(out).toBe('#!/bin/sh\nsf_main "$@"\n');
    expect(err).toMatch(/^Run it on the source Pi as root, with a backup directory that is NOT on its SD card/);
  }
});
