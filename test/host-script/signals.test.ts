// The host script stopped at each of its steps (STNS_FLEET_TEST_STOP_AT), then signalled: after SIGTERM every
// file is back as it was, and nothing of the run is left (no work directory, no decrypted secret, no lock,
// no temp file); after SIGKILL, which no shell can trap, the next run cleans up and restores, says so, and
// converges. On a directory tree with the lab's stand-ins (the sshd stand-in parses the configuration).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { sha256 } from '../../src/plan/host-plan.js';
import { entries, filesWithSecret, hostFilesOnly, lastLine, makeTree, planScript, runScript, stopAt, treeState, type Tree } from './tree.js';

const { plan, script } = await planScript();
// Repository files are written only when the packages are missing (here they are installed).
const writes = plan.changes.filter((c) => c.action !== 'noop' && c.file.role !== 'repo').map((c) => `wrote ${c.file.path}`);
/** Every sf_step of a run that changes files, in order. */
const steps = ['start', 'checked', 'staged-check', 'backed-up', 'installed', ...writes, 'written', 'validated', 'activated'];
const after = (step: string, mark: string): boolean => steps.indexOf(step) >= steps.indexOf(mark);

let t: Tree;
beforeEach(async () => {
  t = await makeTree();
});
afterEach(async () => {
  await t.cleanup();
});

test('the plan writes several files (so there are steps between them)', () => {
  expect(writes.length).toBeGreaterThan(2);
});

describe('SIGTERM', () => {
  test.each(steps)('at "%s": every file is back byte- and mode-identical, and no work dir, secret, temp file or lock is left', async (step) => {
    const before = await treeState(t.root, hostFilesOnly);
    const r = await stopAt(t, script, step);
    process.kill(r.pid, 'SIGTERM');
    process.kill(r.pid, 'SIGCONT');
    const e = await r.done;
    expect(e.code, `${step}\n${e.stdout}${e.stderr}`).toBe(143);
    expect(lastLine(e.stdout)).toBe('STNS_FLEET_RESULT=interrupted');
    expect(e.stdout).toContain('STNS_FLEET_ERROR interrupted by SIGTERM');
    expect(e.stderr).toBe('');
    // Every host file (and directory) exactly as before: content, mode, owner; links still links.
    expect(await treeState(t.root, hostFilesOnly), step).toEqual(before);
    // No lock, no work directory; no decrypted secret anywhere (tree and TMPDIR); no temp file beside a target.
    expect(await entries(path.join(t.root, 'var/lib/stns-fleet'))).toEqual([]);
    expect(await entries(path.join(t.dir, 'tmp'))).toEqual([]);
    expect(await filesWithSecret(t.dir)).toEqual([]);
    expect(Object.keys(await treeState(t.root)).filter((p) => /\.stns-fleet-(new|restore)$/.test(p))).toEqual([]);
    // Interrupted at a step that backed up: the backup stays (it is how the host was).
    expect((await entries(path.join(t.root, 'var/backups/stns-fleet'))).length).toBe(after(step, 'backed-up') ? 1 : 0);
    // And the host converges cleanly afterwards.
    const again = await runScript(t, script);
    expect(again.code, again.stdout).toBe(0);
    expect(lastLine(again.stdout)).toBe('STNS_FLEET_RESULT=changed');
    expect(again.stdout).not.toMatch(/NOTICE (removed|a run)/);
  });

  test('SIGINT and SIGHUP end 130 and 129, restored the same way', async () => {
    const before = await treeState(t.root, hostFilesOnly);
    for (const [sig, code] of [
      ['SIGINT', 130],
      ['SIGHUP', 129],
    ] as const) {
      const r = await stopAt(t, script, 'written');
      process.kill(r.pid, sig);
      process.kill(r.pid, 'SIGCONT');
      const e = await r.done;
      expect(e.code, e.stdout).toBe(code);
      expect(lastLine(e.stdout)).toBe('STNS_FLEET_RESULT=interrupted');
      expect(await treeState(t.root, hostFilesOnly)).toEqual(before);
      expect(await entries(path.join(t.root, 'var/lib/stns-fleet'))).toEqual([]);
    }
  });
});

describe('SIGKILL', () => {
  test.each(steps)('at "%s": the next run removes the work dir, restores what was written, says so, and converges', async (step) => {
    const r = await stopAt(t, script, step);
    process.kill(r.pid, 'SIGKILL');
    expect((await r.done).signal).toBe('SIGKILL');
    // What SIGKILL leaves: the lock and the work directory, with the decrypted payloads in it.
    const left = await entries(path.join(t.root, 'var/lib/stns-fleet'));
    expect(left).toContain('lock');
    expect(left.filter((e) => e.startsWith('converge.'))).toHaveLength(1);
    expect((await filesWithSecret(path.join(t.root, 'var/lib/stns-fleet'))).length).toBeGreaterThan(0);

    const next = await runScript(t, script);
    expect(next.code, `${step}\n${next.stdout}${next.stderr}`).toBe(0);
    expect(lastLine(next.stdout)).toBe('STNS_FLEET_RESULT=changed');
    expect(next.stdout).toMatch(/^STNS_FLEET_NOTICE removed the work directory a killed run left behind \(\/var\/lib\/stns-fleet\/converge\.\w+\)$/m);
    const restored = /^STNS_FLEET_NOTICE a run that was killed while (writing|activating) \(pid \d+\) left its lock: every file it changed was restored from \/var\/backups\/stns-fleet\/\S+$/m;
    if (after(step, 'backed-up')) expect(next.stdout).toMatch(restored);
    else expect(next.stdout).not.toMatch(restored);
    // Converged: every planned file as planned; nothing of either run left but the backups.
    for (const c of plan.changes.filter((x) => x.file.role !== 'repo')) {
      const now = await readFile(path.join(t.root, c.file.path)).catch(() => null);
      expect(now ? sha256(now) : 'absent', c.file.path).toBe(c.afterSha256);
    }
    expect(await entries(path.join(t.root, 'var/lib/stns-fleet'))).toEqual([]);
    expect((await filesWithSecret(t.dir)).map((f) => path.relative(t.root, f))).toEqual(['etc/stns/client/stns.conf']);
  });
});
