// What we know of a host's files: absolute path → bytes, for every file a profile watches. A path that is
// absent from the map is absent on the host. Renderers read only this, so the same code serves `render
// --root DIR` (read from disk) and `plan` (read from gathered facts).
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';

export interface HostSnapshot {
  /** Every watched file's bytes; a secret-bearing file (stns.conf) redacted when `fullSha` is present. */
  files: ReadonlyMap<string, Buffer>;
  /** Present on snapshots made from facts: the sha256 of the real bytes of each secret-bearing file, as the
   * host reported it sealed (absent for a file: unknown). Absent: `files` holds real bytes throughout. */
  fullSha?: ReadonlyMap<string, string>;
}

export function snapshotOf(entries: Record<string, string | Buffer>): HostSnapshot {
  const files = new Map<string, Buffer>();
  for (const [p, v] of Object.entries(entries)) files.set(p, typeof v === 'string' ? Buffer.from(v) : v);
  return { files };
}

export function readText(s: HostSnapshot, p: string): string | undefined {
  return s.files.get(p)?.toString('utf8');
}

/** Files directly inside `dir` (no recursion), sorted bytewise as glob(3) in the C locale does. */
export function listDir(s: HostSnapshot, dir: string): string[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return [...s.files.keys()]
    .filter((p) => p.startsWith(prefix) && !p.slice(prefix.length).includes('/'))
    .sort(byteOrder);
}

export function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** A watch list: exact paths, plus directories whose files (matching `suffix`) are all read. */
export interface WatchList {
  paths: string[];
  dirs: { dir: string; suffix: string }[];
}

/** Reads the watched files from a directory laid out like a host's `/` (render --root, lab hosts). */
export async function snapshotFromRoot(root: string, watch: WatchList): Promise<HostSnapshot> {
  const files = new Map<string, Buffer>();
  const readIfFile = async (abs: string): Promise<void> => {
    const onDisk = path.join(root, abs);
    const st = await stat(onDisk).catch(() => undefined);
    if (st?.isFile()) files.set(abs, await readFile(onDisk));
  };
  for (const p of watch.paths) await readIfFile(p);
  for (const { dir, suffix } of watch.dirs) {
    const names = await readdir(path.join(root, dir)).catch(() => [] as string[]);
    for (const n of names) if (n.endsWith(suffix)) await readIfFile(path.posix.join(dir, n));
  }
  return { files };
}
