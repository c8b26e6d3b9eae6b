import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The CLI's tests, and the lab's (packages/lab: the local lab, demo and benchmark, a workspace package).
    include: ['test/**/*.test.ts', 'packages/lab/test/**/*.test.ts'],
    // An outer limit for a hung test, not a speed budget: a loaded 2-CPU machine must not fail a slow test.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    globalSetup: ['test/chroot/global-setup.ts'],
  },
});
