// The stock files of an OS profile (stock/<layer>/…, copied from shared/fixtures with their sources in
// stock/SOURCES.md): the "current host" that `render --os` starts from when no --root is given.
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { snapshotFromRoot, type HostSnapshot, type WatchList } from '../model/host-snapshot.js';
import type { Arch, OsProfile } from '../profiles/types.js';

export const STOCK_DIR = fileURLToPath(new URL('../../stock/', import.meta.url));

/** The stock files of `profile` (its stock variant `variant`, default the first), as a host snapshot. */
export async function stockSnapshot(profile: OsProfile, arch: Arch, watch: WatchList, variant?: string): Promise<HostSnapshot> {
  const files = new Map<string, Buffer>();
  for (const layer of profile.stockLayers(arch, variant)) {
    const s = await snapshotFromRoot(path.join(STOCK_DIR, layer), watch);
    for (const [p, b] of s.files) files.set(p, b);
  }
  return { files };
}
