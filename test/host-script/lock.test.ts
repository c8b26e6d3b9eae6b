// One host script run at a time per host: a second run while the first holds the lock refuses (busy, exit 12)
// and touches nothing, while the first completes; a lock whose run is gone (its pid dead, or reused by another
// process since: its start time differs) is taken over. On a directory tree with the lab's stand-ins.
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { entries, lastLine, makeTree, planScript, runScript, stopAt, treeState, type Tree } from './tree.js';

const { script } = await planScript();

let t: Tree;
beforeEach(async () => {
  t = await makeTree();
});
afterEach(async () => {
  await t.cleanup();
});

const lockDir = (): string => path.join(t.root, 'var/lib/stns-fleet/lock');

async function deadPid(): Promise<number> {
  const p = spawn('/bin/true');
  await new Promise((res) => p.on('close', res));
  return p.pid!;
}

/** This process's start time, as the script reads it (field 22 of /proc/PID/stat). */
async function startTime(pid: number): Promise<string> {
  const s = await readFile(`/proc/${pid}/stat`, 'utf8');
  return s.slice(s.lastIndexOf(')') + 2).split(' ')[19]!;
}

async function seedLock(pidLine: string | null): Promise<void> {
  await mkdir(lockDir(), { recursive: true });
  if (pidLine !== null) await writeFile(path.join(lockDir(), 'pid'), `${pidLine}\n`);
}

test('two runs at once: the second refuses with busy and touches nothing, while the first completes', async () => {
  // The first run has written every file and not yet validated them: the moment a second run would have
  // seen "unchanged" and ended 0 while the first could still restore.
  const first = await stopAt(t, script, 'written');
  const before = await treeState(t.root);
  const second = await runScript(t, script);
  expect(second.code, second.stdout).toBe(12);
  expect(lastLine(second.stdout)).toBe('STNS_FLEET_RESULT=busy');
  expect(second.stdout).toContain(`STNS_FLEET_ERROR another stns-fleet run (pid ${first.pid}) holds the lock /var/lib/stns-fleet/lock; nothing was touched`);
  expect(await treeState(t.root)).toEqual(before); // not even the lock, the backups or a work directory
  process.kill(first.pid, 'SIGCONT');
  const done = await first.done;
  expect(done.code, done.stdout).toBe(0);
  expect(lastLine(done.stdout)).toBe('STNS_FLEET_RESULT=changed');
  expect(await entries(path.join(t.root, 'var/lib/stns-fleet'))).toEqual([]);
});

test('a stale lock is taken over, then released: its pid is dead, or now another process (another start time: a reboot)', async () => {
  await seedLock(`${await deadPid()} -`);
  const r = await runScript(t, script);
  expect(r.code, r.stdout).toBe(0);
  expect(lastLine(r.stdout)).toBe('STNS_FLEET_RESULT=changed');
  expect(await entries(path.join(t.root, 'var/lib/stns-fleet'))).toEqual([]);
  await seedLock(`${process.pid} 1`); // this process, but not started at tick 1
  const again = await runScript(t, script);
  expect(again.code, again.stdout).toBe(0);
  expect(lastLine(again.stdout)).toBe('STNS_FLEET_RESULT=unchanged');
  expect(await entries(path.join(t.root, 'var/lib/stns-fleet'))).toEqual([]);
});

test('a lock whose run is alive (same pid and start time) is respected', async () => {
  await seedLock(`${process.pid} ${await startTime(process.pid)}`);
  const before = await treeState(t.root);
  const r = await runScript(t, script);
  expect(r.code, r.stdout).toBe(12);
  expect(lastLine(r.stdout)).toBe('STNS_FLEET_RESULT=busy');
  expect(await treeState(t.root)).toEqual(before);
});

test('a lock without a pid (its run was killed right after making it) is taken over once it stays so', async () => {
  await seedLock(null);
  const r = await runScript(t, script);
  expect(r.code, r.stdout).toBe(0);
  expect(lastLine(r.stdout)).toBe('STNS_FLEET_RESULT=changed');
  expect(await entries(path.join(t.root, 'var/lib/stns-fleet'))).toEqual([]);
});
