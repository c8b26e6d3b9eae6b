// A file's diff drawn from the plan's structured change (src/plan/changes.ts): git-style names (/dev/null for
// a created or deleted file), a binary file by its short digests, a change to a secret only as that, and a
// file in sync as nothing. The hunks hold the shown forms: what the plan may show, never more.
import { expect, test } from 'vitest';
import { formatFileDiff, unitDiffs } from '../../src/output/diff.js';
import { plannedFile } from '../../src/plan/changes.js';
import { sha256, type FileAction, type FileChange } from '../../src/plan/host-plan.js';

function change(action: FileAction, before: string | Buffer | null, after: string | Buffer | null, path = '/etc/example.conf'): FileChange {
  const b = typeof before === 'string' ? Buffer.from(before) : before;
  const a = typeof after === 'string' ? Buffer.from(after) : after;
  return {
    file: { path, content: a, mode: 0o644, ownership: 'keep', role: 'nss' },
    action,
    before: b,
    beforeSha256: b ? sha256(b) : 'absent',
    afterSha256: a ? sha256(a) : 'absent',
    shownAfter: a,
  };
}

test('update, create and delete: unified diffs with git-style names', () => {
  expect(formatFileDiff(plannedFile(change('update', 'a\nb\nc\n', 'a\nB\nc\n')))).toBe('--- a/etc/example.conf\n+++ b/etc/example.conf\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n');
  expect(formatFileDiff(plannedFile(change('create', null, 'x\n')))).toBe('--- /dev/null\n+++ b/etc/example.conf\n@@ -0,0 +1,1 @@\n+x\n');
  expect(formatFileDiff(plannedFile(change('delete', 'x\n', null)))).toBe('--- a/etc/example.conf\n+++ /dev/null\n@@ -1,1 +0,0 @@\n-x\n');
  expect(formatFileDiff(plannedFile(change('update', 'no newline', 'no newline\nmore')))).toMatch(/^-no newline\n\\ No newline at end of file\n\+no newline\n\+more\n\\ No newline at end of file\n$/m);
});

test('a binary file by its digests; a secret-only change as that; a file in sync as nothing', () => {
  const gpg = Buffer.from([0x99, 0x00, 0x01, 0x02]);
  const f = plannedFile(change('create', null, gpg, '/etc/apt/keyrings/stns-fleet.gpg'));
  expect(f.diff).toEqual({ kind: 'binary', before: 'absent', after: sha256(gpg).slice(0, 12) });
  expect(formatFileDiff(f)).toBe(`Binary file /etc/apt/keyrings/stns-fleet.gpg: absent → ${sha256(gpg).slice(0, 12)}\n`);
  // The shown forms are equal (the token is "(sensitive)" on both sides): only the real bytes differ.
  const shown = 'auth_token = "(sensitive)"\n';
  const secret = plannedFile(change('update', shown, shown));
  expect(secret.diff).toEqual({ kind: 'secret-only' });
  expect(formatFileDiff(secret)).toBe('--- a/etc/example.conf\n+++ b/etc/example.conf\n(only a secret value changes; not shown)\n');
  const same = plannedFile(change('noop', 'x\n', 'x\n'));
  expect(same.diff).toBeUndefined();
  expect(formatFileDiff(same)).toBe('');
  expect(unitDiffs({ changes: { files: [same, secret], sshd: { alreadyRight: true, chainsEic: false }, nss: [], packages: { state: 'installed' } } })).toEqual([formatFileDiff(secret)]);
  expect(unitDiffs({})).toEqual([]);
});

test('a file absent and staying absent is marked, so the summary can skip it', () => {
  expect(plannedFile(change('noop', null, null)).absent).toBe(true);
  expect(plannedFile(change('noop', 'x\n', 'x\n')).absent).toBeUndefined();
});
