/**
 * vitest globalSetup: build (or find) the cached Debian 12 and Debian 13 rootfs
 * trees once before any test file runs, so chroot tests never hit a timeout on a cold cache.
 * Without chroot support this only says so; the chroot suites then skip, or
 * fail when CI=true (see requireChrootOrSkip in harness.ts).
 */
import { buildRootfs, chrootSupport, reapStaleRoots } from './harness.js';

async function reap(): Promise<void> {
  // Dummy-deb dirs are expected leftovers (workers end by signal); a leftover
  // root means a test skipped cleanup() or its worker died mid-test.
  for (const base of await reapStaleRoots()) {
    if (base.includes('stns-fleet-root-')) console.log(`[stns-fleet chroot] removed stale root ${base}`);
  }
}

/** Returns the teardown, which removes roots/debs that dead workers left. */
export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  const support = chrootSupport();
  if (!support.ok) {
    console.warn(`[stns-fleet chroot] no chroot support: ${support.reason}`);
    return undefined;
  }
  await reap();
  // One after the other: the script's lock serialises builders anyway, and the machine may be small.
  for (const suite of ['bookworm', 'trixie'] as const) {
    const started = performance.now();
    const b = await buildRootfs({ echo: true, suite });
    const secs = ((performance.now() - started) / 1000).toFixed(2);
    console.log(`[stns-fleet chroot] ${suite} rootfs ${b.cacheHit ? 'cache hit' : 'cache miss, built'} in ${secs}s: ${b.path}`);
  }
  return reap;
}
