import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The CLI's tests, and the lab's (packages/lab: the local lab, demo and benchmark, a workspace package).
    include: ['test/**/*.test.ts', 'packages/lab/test/**/*.test.ts'],
    // An outer limit for a hung test, not a speed budget: a loaded 2-CPU machine must not fail a slow test.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    // Three test files at a time even on 2 CPUs (vitest's default is CPUs - 1, one file at a time here): the long
    // files (the lab's end-to-end runs) spend most of their time waiting on child processes and timers, not on
    // the CPU, so other files overlap that wait (measured on this 2-CPU machine, idle: 1 worker ~9 min, 2 workers
    // 301 s, 3 workers 249 s). A test that waits on events is only slower on a busier machine, never wrong.
    maxWorkers: 3,
    globalSetup: ['test/chroot/global-setup.ts'],
  },
});
