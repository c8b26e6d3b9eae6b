// The architecture of a directory laid out like a host's / (render --root), from its own files: dpkg's native
// architecture (var/lib/dpkg/arch, first line, written when multiarch is configured; else the Architecture of
// the dpkg package in var/lib/dpkg/status), else the ELF header of its /bin/sh (or another shell). Symbolic
// links are followed inside the tree, never out of it. undefined: the tree does not say (a directory of
// configuration files only, such as stock/).
import { lstat, open, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { archOf } from '../model/host-identity.js';
import type { Arch } from '../profiles/types.js';

interface RootArch {
  arch: Arch;
  /** Where it was read, for messages (e.g. "var/lib/dpkg/status"). */
  from: string;
}

const SHELLS = ['bin/sh', 'usr/bin/sh', 'bin/bash', 'usr/bin/bash', 'bin/dash', 'usr/bin/dash'];

/** ELF e_machine → architecture (EM_386 3, EM_ARM 40, EM_X86_64 62, EM_AARCH64 183). */
export function elfArch(header: Buffer): Arch | undefined {
  if (header.length < 20 || header.readUInt32BE(0) !== 0x7f454c46) return undefined;
  const machine = header[5] === 2 ? header.readUInt16BE(18) : header.readUInt16LE(18);
  const byMachine: Record<number, Arch> = { 3: 'i386', 40: 'armhf', 62: 'amd64', 183: 'arm64' };
  return byMachine[machine] ?? 'other';
}

/** `rel` resolved inside `root`, following symbolic links as the host would (absolute targets are under root). */
async function resolveInside(root: string, rel: string, depth = 0): Promise<string | undefined> {
  if (depth > 16) return undefined;
  const parts = rel.split('/').filter(Boolean);
  let cur = '';
  for (let i = 0; i < parts.length; i++) {
    const next = path.posix.join(cur, parts[i]!);
    const st = await lstat(path.join(root, next)).catch(() => undefined);
    if (!st) return undefined;
    if (st.isSymbolicLink()) {
      const target = await readlink(path.join(root, next));
      const joined = target.startsWith('/') ? target : path.posix.join(cur, target);
      const rest = parts.slice(i + 1).join('/');
      return resolveInside(root, path.posix.normalize(path.posix.join(joined, rest)).replace(/^(\.\.\/)+/, ''), depth + 1);
    }
    cur = next;
  }
  return cur;
}

async function dpkgArch(root: string): Promise<RootArch | undefined> {
  const first = (await readFile(path.join(root, 'var/lib/dpkg/arch'), 'utf8').catch(() => '')).split('\n')[0]!.trim();
  if (first) return { arch: archOf(first), from: 'var/lib/dpkg/arch' };
  const status = await readFile(path.join(root, 'var/lib/dpkg/status'), 'utf8').catch(() => '');
  for (const stanza of status.split(/\n\n+/)) {
    if (!/^Package: dpkg$/m.test(stanza)) continue;
    const a = /^Architecture: (\S+)$/m.exec(stanza)?.[1];
    if (a) return { arch: archOf(a), from: 'var/lib/dpkg/status (package dpkg)' };
  }
  return undefined;
}

export async function archFromRoot(root: string): Promise<RootArch | undefined> {
  const fromDpkg = await dpkgArch(root);
  if (fromDpkg) return fromDpkg;
  for (const shell of SHELLS) {
    const rel = await resolveInside(root, shell);
    if (!rel) continue;
    const fh = await open(path.join(root, rel), 'r').catch(() => undefined);
    if (!fh) continue;
    try {
      const buf = Buffer.alloc(20);
      const { bytesRead } = await fh.read(buf, 0, 20, 0);
      const arch = elfArch(buf.subarray(0, bytesRead));
      if (arch) return { arch, from: `the ELF header of ${rel === shell ? `/${shell}` : `/${shell} (/${rel})`}` };
    } finally {
      await fh.close();
    }
  }
  return undefined;
}
