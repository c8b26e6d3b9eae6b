// Optional chroot hosts: Debian 12 hosts that are a real root filesystem (the cached debootstrap tree of
// scripts/debian-rootfs.sh, as test/chroot/harness.ts uses it, or another tree: LabOptions.chrootRootfs),
// copied per host, whose commands run with `chroot` — real dash, dpkg and sshd instead of stand-ins. Only as
// root and when the tree exists.
// The tree has no network, so the STNS packages must be on the "image" already. A package the image has is
// kept as it is (scripts/stns-real-rootfs.sh makes an image with the real libnss-stns-v2, built from upstream
// source: then glibc loads the real libnss_stns.so.2 and sshd runs the real stns-key-wrapper). Only a package
// the image lacks is filled in, with a dummy deb made with dpkg-deb: its stns-key-wrapper (and a getent that
// fills in for the NSS module) ask the lab's STNS server with bash's /dev/tcp.
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LAB_BIN } from './standins.js';

export type ChrootSupport = { ok: true; rootfs: string } | { ok: false; reason: string };

export function rootfsPath(): string {
  const cache = process.env['STNS_FLEET_CACHE'] ?? path.join(process.env['HOME'] ?? '/root', '.cache/stns-fleet');
  return path.join(cache, 'bookworm/rootfs');
}

function onPath(name: string): boolean {
  return ['/usr/sbin', '/usr/bin', '/sbin', '/bin'].some((d) => {
    try {
      accessSync(path.join(d, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Can the lab run chroot hosts from `rootfs` (default: the cached Debian 12 rootfs)? */
export function chrootSupport(rootfs?: string): ChrootSupport {
  if (process.getuid?.() !== 0) return { ok: false, reason: 'chroot hosts need root' };
  const missing = ['chroot', 'dpkg-deb', 'cp'].filter((b) => !onPath(b));
  if (missing.length > 0) return { ok: false, reason: `chroot hosts need ${missing.join(', ')}` };
  const tree = rootfs ?? rootfsPath();
  if (!existsSync(path.join(tree, 'usr/sbin/sshd'))) {
    return {
      ok: false,
      reason: rootfs
        ? `the chroot hosts' rootfs ${rootfs} is not a root filesystem with sshd (usr/sbin/sshd is missing)`
        : `chroot hosts need the cached Debian rootfs at ${tree} (run scripts/debian-rootfs.sh as root)`,
    };
  }
  return { ok: true, rootfs: tree };
}

function output(cmd: string, args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

async function run(cmd: string, args: string[]): Promise<void> {
  const r = await output(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.code}): ${r.err}`);
}

/** Is `pkg` installed in the tree (dpkg's own answer: install, hold or deinstall, "ok installed")? */
async function installedIn(dir: string, pkg: string): Promise<boolean> {
  const r = await output('chroot', [dir, 'dpkg-query', '-W', '-f=${Status}', pkg]);
  return r.code === 0 && / ok installed$/.test(r.out);
}

interface Deb {
  name: string;
  version: string;
  files: Record<string, { from?: string; content?: string; mode: number }>;
}

const DEBS: Deb[] = [
  {
    name: 'libnss-stns-v2',
    version: '2.6.10-1',
    files: {
      '/usr/lib/stns/stns-key-wrapper': { from: 'chroot/stns-key-wrapper', mode: 0o755 },
      '/usr/lib/stns-fleet-lab/stns-http.bash': { from: 'chroot/stns-http.bash', mode: 0o644 },
      '/usr/local/bin/getent': { from: 'chroot/getent', mode: 0o755 },
    },
  },
  { name: 'cache-stnsd', version: '1:0.3.19-1', files: { '/usr/sbin/cache-stnsd': { content: '#!/bin/sh\n# stns-fleet lab: cache-stnsd placeholder\nexit 0\n', mode: 0o755 } } },
];

/** Builds the dummy STNS packages once per lab; returns their paths. */
export async function buildDebs(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const d of DEBS) {
    const root = path.join(dir, d.name);
    await mkdir(path.join(root, 'DEBIAN'), { recursive: true });
    await writeFile(
      path.join(root, 'DEBIAN/control'),
      `Package: ${d.name}\nVersion: ${d.version}\nArchitecture: all\nMaintainer: stns-fleet lab <lab@localhost>\nDescription: stns-fleet lab stand-in for ${d.name}\n`,
    );
    for (const [p, f] of Object.entries(d.files)) {
      const dest = path.join(root, p);
      await mkdir(path.dirname(dest), { recursive: true });
      if (f.from) await copyFile(path.join(LAB_BIN, f.from), dest);
      else await writeFile(dest, f.content ?? '');
      await chmod(dest, f.mode);
    }
    const deb = path.join(dir, `${d.name}.deb`);
    await run('dpkg-deb', ['--root-owner-group', '--build', root, deb]);
    await rm(root, { recursive: true, force: true });
    out.push(deb);
  }
  return out;
}

/** A chroot host's tree: a full copy of the rootfs, with the dummy STNS packages the image lacks installed by
 * its own dpkg. A package the image already has (the real libnss-stns-v2, say) is never replaced. */
export async function seedChrootTree(dir: string, rootfs: string, debs: string[]): Promise<void> {
  await mkdir(path.dirname(dir), { recursive: true });
  await run('cp', ['-a', '--reflink=auto', rootfs, dir]);
  for (const deb of debs) {
    const name = path.basename(deb, '.deb');
    if (await installedIn(dir, name)) continue;
    await copyFile(deb, path.join(dir, 'tmp', path.basename(deb)));
    await run('chroot', [dir, 'dpkg', '-i', `/tmp/${path.basename(deb)}`]);
    await rm(path.join(dir, 'tmp', path.basename(deb)));
  }
}
