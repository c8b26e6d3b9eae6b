// The architecture of a directory laid out like a host's / (src/facts/root-arch.ts, for `render --root`): dpkg's
// own word first (var/lib/dpkg/arch, else the dpkg package's stanza in var/lib/dpkg/status), else the ELF header
// of its /bin/sh, symbolic links followed inside the tree and never out of it; nothing when the tree does not say.
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { archFromRoot, elfArch } from '../../src/facts/root-arch.js';
import { STOCK_DIR } from '../helpers/render.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sf-root-arch-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** An ELF header for machine `m` (3 i386, 40 arm, 62 x86_64, 183 aarch64), 64-bit, little- or big-endian. */
function elf(m: number, bigEndian = false): Buffer {
  const b = Buffer.alloc(64);
  b.writeUInt32BE(0x7f454c46, 0);
  b[4] = 2;
  b[5] = bigEndian ? 2 : 1;
  if (bigEndian) b.writeUInt16BE(m, 18);
  else b.writeUInt16LE(m, 18);
  return b;
}

let n = 0;
/** An empty tree (or a copy of a stock one), then `extra` lays out more. */
async function tree(extra: (root: string) => Promise<void> = async () => {}, stockDir?: string): Promise<string> {
  const root = path.join(dir, `root-${++n}`);
  if (stockDir) await cp(path.join(STOCK_DIR, stockDir), root, { recursive: true });
  else await mkdir(root);
  await extra(root);
  return root;
}
const put = async (root: string, rel: string, content: string | Buffer): Promise<void> => {
  await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
  await writeFile(path.join(root, rel), content);
};
const dpkgStatus = (arch: string) => (root: string) =>
  put(root, 'var/lib/dpkg/status', `Package: base-files\nStatus: install ok installed\nArchitecture: ${arch === 'arm64' ? 'all' : arch}\n\nPackage: dpkg\nStatus: install ok installed\nArchitecture: ${arch}\nVersion: 1.22.21\n`);
/** A merged-/usr tree: /bin → usr/bin, /usr/bin/sh → dash (relative or absolute), dash an ELF for `machine`. */
const mergedUsrShell = (machine: number, absolute = false) => async (root: string) => {
  await put(root, 'usr/bin/dash', elf(machine));
  await symlink(absolute ? '/usr/bin/dash' : 'dash', path.join(root, 'usr/bin/sh'));
  await symlink('usr/bin', path.join(root, 'bin'));
};

describe('from dpkg', () => {
  test('var/lib/dpkg/status: the Architecture of the dpkg package (not of the stanza before it)', async () => {
    expect(await archFromRoot(await tree(dpkgStatus('arm64'), 'debian-13'))).toEqual({ arch: 'arm64', from: 'var/lib/dpkg/status (package dpkg)' });
  });

  test('var/lib/dpkg/arch, its first line, wins over the status file and over /bin/sh', async () => {
    const root = await tree(async (r) => {
      await put(r, 'var/lib/dpkg/arch', 'armhf\narm64\n');
      await dpkgStatus('amd64')(r);
      await mergedUsrShell(62)(r);
    });
    expect(await archFromRoot(root)).toEqual({ arch: 'armhf', from: 'var/lib/dpkg/arch' });
  });

  test('a status file without a dpkg stanza says nothing: the shell decides', async () => {
    const root = await tree(async (r) => {
      await put(r, 'var/lib/dpkg/status', 'Package: base-files\nStatus: install ok installed\nArchitecture: amd64\n');
      await mergedUsrShell(183)(r);
    });
    expect(await archFromRoot(root)).toEqual({ arch: 'arm64', from: 'the ELF header of /bin/sh (/usr/bin/dash)' });
  });
});

describe('from the ELF header of the shell', () => {
  test('through merged-/usr links, relative and absolute (an absolute target is under the tree)', async () => {
    expect(await archFromRoot(await tree(mergedUsrShell(183), 'debian-13'))).toEqual({ arch: 'arm64', from: 'the ELF header of /bin/sh (/usr/bin/dash)' });
    expect(await archFromRoot(await tree(mergedUsrShell(62, true), 'amazon-linux-2023'))).toEqual({ arch: 'amd64', from: 'the ELF header of /bin/sh (/usr/bin/dash)' });
  });

  test('a plain /bin/sh is named as itself', async () => {
    expect(await archFromRoot(await tree((r) => put(r, 'bin/sh', elf(40))))).toEqual({ arch: 'armhf', from: 'the ELF header of /bin/sh' });
  });

  test("this machine's own shell reads as what uname -m says", async () => {
    const machine = execFileSync('uname', ['-m'], { encoding: 'utf8' }).trim();
    const want = ({ x86_64: 'amd64', aarch64: 'arm64' } as Record<string, string>)[machine];
    if (want === undefined) return; // another architecture: nothing known to compare with
    const sh = await readFile(await realpath('/bin/sh'));
    expect(await archFromRoot(await tree((r) => put(r, 'bin/sh', sh)))).toEqual({ arch: want, from: 'the ELF header of /bin/sh' });
  });

  test('a link that climbs out of the tree is resolved inside it (the ELF outside is never read)', async () => {
    await put(dir, 'outside/sh', elf(62));
    const root = await tree(async (r) => {
      await mkdir(path.join(r, 'bin'));
      await symlink('../../outside/sh', path.join(r, 'bin/sh'));
    });
    // On disk the link reaches dir/outside/sh; inside the tree it is /outside/sh, which the tree lacks.
    expect(await readFile(path.join(root, 'bin/sh'))).toEqual(elf(62));
    expect(await archFromRoot(root)).toBeUndefined();
  });

  test('a link loop ends without an answer', async () => {
    const root = await tree(async (r) => {
      await mkdir(path.join(r, 'bin'));
      await symlink('sh2', path.join(r, 'bin/sh'));
      await symlink('sh', path.join(r, 'bin/sh2'));
    });
    expect(await archFromRoot(root)).toBeUndefined();
  });

  test('a shell script /bin/sh is not an ELF: the next shell on the list answers', async () => {
    const root = await tree(async (r) => {
      await put(r, 'bin/sh', '#!/bin/busybox sh\n');
      await put(r, 'bin/bash', elf(183));
    });
    expect(await archFromRoot(root)).toEqual({ arch: 'arm64', from: 'the ELF header of /bin/bash' });
  });
});

test('elfArch: the machine field, in the header\'s byte order; no ELF, no answer', () => {
  expect([3, 40, 62, 183].map((m) => elfArch(elf(m)))).toEqual(['i386', 'armhf', 'amd64', 'arm64']);
  expect(elfArch(elf(62, true))).toBe('amd64');
  expect(elfArch(elf(21))).toBe('other'); // PowerPC 64
  expect(elfArch(Buffer.from('#!/bin/sh\n'))).toBeUndefined();
  expect(elfArch(elf(62).subarray(0, 19))).toBeUndefined();
});

test('a tree of configuration files only does not say', async () => {
  expect(await archFromRoot(await tree(undefined, 'debian-13'))).toBeUndefined();
});
