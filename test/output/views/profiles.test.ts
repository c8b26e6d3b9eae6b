// profiles' view, through the command as the CLI runs it: a line per profile variant with its notes under
// it, or the same rows as JSON.
import { expect, test } from 'vitest';
import { profilesCommand } from '../../../src/cli/run.js';
import { PROFILES } from '../../../src/profiles/index.js';

async function show(json: boolean): Promise<string> {
  const out: string[] = [];
  expect(await profilesCommand({ json }, { out: (t) => void out.push(t), err: () => undefined })).toBe(0);
  return out.join('');
}

test('json rows, and the text has one line per row and one per note', async () => {
  const rows = JSON.parse(await show(true)) as { id: string; variant: string; notes: string[]; packages: string }[];
  expect(rows.length).toBe(PROFILES.reduce((n, p) => n + p.stockVariants.length, 0));
  const text = (await show(false)).trimEnd().split('\n');
  expect(text).toHaveLength(rows.length + rows.reduce((n, r) => n + r.notes.length, 0));
  const debian13 = text.find((l) => l.startsWith('debian-13 ['))!;
  expect(debian13).toMatch(/: sshd unit ssh, OpenSSH 10\.\d+p?\d*, sudo \S+, packages from apt, suite bookworm \(nearest: upstream builds none for this release\)$/);
  expect(text.filter((l) => /^ +note: /.test(l))).toHaveLength(rows.reduce((n, r) => n + r.notes.length, 0));
});
