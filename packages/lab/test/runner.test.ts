// The lab's agent stand-in (runner.ts) against a loaded machine: what a script printed is what the invocation
// reports, however late the controller's event loop gets round to reading the pipes.
import { existsSync, mkdtempSync, rmSync, stat } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, test } from 'vitest';
import type { LabHost } from '../src/hosts.js';
import { HostRunner } from '../src/runner.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

test('output still in the pipe when a busy event loop looks again is read, not dropped with the drain', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'lab-runner-'));
  dirs.push(dir);
  const marker = path.join(dir, 'written');
  // The shell exits at once; a background child prints, lets go of the pipes, then leaves a marker.
  const script = `(sleep 0.1; echo late; exec >&- 2>&-; : > "${marker}") & echo early\n`;
  let exitedAt = 0;
  const runner = new HostRunner({
    binDir: dir,
    maxProcesses: 1,
    // The loop is busy in an I/O callback from the script's exit until the late output is in the pipe and the
    // drain's wait is over (as 1,000 hosts' file writes completing at once kept the lab): the next turn of the
    // loop runs its timers before it reads the pipe.
    onExit: () => {
      exitedAt = performance.now();
      stat(dir, () => {
        while (!existsSync(marker) || performance.now() - exitedAt < 400) {
          // busy
        }
      });
    },
  });
  const r = await runner.run({ host: { dir, chroot: false } as unknown as LabHost, instanceId: 'i-1', commandId: 'c-1', script, region: 'r', timeoutMs: 60_000, hang: false }).done;
  expect(r.exitCode).toBe(0);
  expect(r.stdout).toBe('early\nlate\n');
});
