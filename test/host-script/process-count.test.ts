// How many programs the host scripts start. On a fleet every one costs each host 1-2 ms of CPU (issue #15), so
// a change that puts a process back into a per-file loop should fail here, not in a benchmark. Counted with a
// PATH of counting links: every program on PATH, found by name as the scripts find them, is logged and then
// run for real. The limits are the counts of this change (facts 11, converge 53 and 12) with a little room, on
// the stock Debian 12 tree (before: facts 45, converge about 200).
import { chmod, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { FACTS_LIB, factsScript } from '../../src/facts/facts-script.js';
import { loadTemplates } from '../../src/render/templates.js';
import { lastLine, makeTree, planScript, runScript, type Tree } from './tree.js';

let t: Tree;
beforeEach(async () => {
  t = await makeTree({ installed: false });
});
afterEach(async () => {
  await t.cleanup();
});

/** Env whose PATH logs each program started by name into the returned log (one name a line). */
async function counting(tree: Tree): Promise<{ env: Record<string, string>; started: () => Promise<string[]> }> {
  const wrap = path.join(tree.dir, 'count-bin');
  const log = path.join(tree.dir, 'started.log');
  await mkdir(wrap);
  const counter = path.join(tree.dir, 'count.sh');
  await writeFile(counter, '#!/bin/sh\nprintf \'%s\\n\' "${0##*/}" >>"$SF_COUNT_LOG"\nPATH=$SF_COUNT_PATH exec "${0##*/}" "$@"\n');
  await chmod(counter, 0o755);
  const real = tree.env.PATH!;
  const seen = new Set<string>();
  for (const dir of real.split(':')) {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const n of names) {
      if (seen.has(n)) continue;
      seen.add(n);
      await symlink(counter, path.join(wrap, n));
    }
  }
  await writeFile(log, '');
  return {
    env: { PATH: `${wrap}:${real}`, SF_COUNT_PATH: real, SF_COUNT_LOG: log },
    started: async () => (await readFile(log, 'utf8')).split('\n').filter((l) => l !== ''),
  };
}

test('facts.sh reads a stock host with a handful of programs, however many files it watches', async () => {
  const tl = await loadTemplates(undefined, [FACTS_LIB]);
  const first = await runScript(t, factsScript(tl)); // (the first run also makes the seal key)
  expect(first.code, first.stderr).toBe(0);
  const c = await counting(t);
  const r = await runScript(t, factsScript(tl), c.env);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout.match(/^file /gm)?.length).toBeGreaterThanOrEqual(4);
  const started = await c.started();
  expect(started.length, started.join(' ')).toBeLessThanOrEqual(14);
  // One sha256sum for the files (and one for the digest), one gzip for all of their contents.
  expect(started.filter((n) => n === 'gzip').length, started.join(' ')).toBe(1);
  expect(started.filter((n) => n === 'sha256sum').length, started.join(' ')).toBeLessThanOrEqual(3);
});

test('converge.sh on a fresh host (packages, four files, sshd -t twice) starts few programs', async () => {
  const { script } = await planScript();
  const c = await counting(t);
  const r = await runScript(t, script, c.env);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  expect(lastLine(r.stdout)).toBe('STNS_FLEET_RESULT=changed');
  expect(r.stdout).toContain('STNS_FLEET_INSTALLED');
  const started = await c.started();
  const count = (n: string): number => started.filter((x) => x === n).length;
  expect(started.length, started.join(' ')).toBeLessThanOrEqual(58);
  // Digests in batches, not per file: payloads and targets, then the targets again after the install.
  expect(count('sha256sum'), started.join(' ')).toBeLessThanOrEqual(4);
  for (const n of ['cut', 'grep', 'sed', 'dirname', 'tr']) expect(count(n), `${n}: ${started.join(' ')}`).toBeLessThanOrEqual(1);
});

test('converge.sh with nothing to change starts almost nothing', async () => {
  const { script } = await planScript();
  expect((await runScript(t, script)).code).toBe(0);
  const c = await counting(t);
  const again = await runScript(t, script, c.env);
  expect(lastLine(again.stdout)).toBe('STNS_FLEET_RESULT=unchanged');
  const started = await c.started();
  expect(started.length, started.join(' ')).toBeLessThanOrEqual(14);
});
