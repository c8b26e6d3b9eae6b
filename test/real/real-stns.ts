/**
 * Real-component tests: the real libnss-stns-v2 (built from the upstream source tarball by
 * scripts/stns-real-rootfs.sh, cached) in a Debian 12 root filesystem, with the real glibc NSS, sshd, PAM
 * and ssh client.
 *
 *   const describeReal = requireRealStnsOrSkip();
 *   describeReal('…', () => {
 *     let rootfs: string;
 *     beforeAll(async () => { rootfs = await ensureRealRootfs(); }, BUILD_TIMEOUT_MS);
 *     …
 *   });
 *
 * The source tarball stays outside the repository: $STNS_LIBNSS_TARBALL, else
 * ../shared/upstream/STNS-libnss-c55c3265790a.tar.gz beside the repository. Without it (or without root,
 * chroot, debootstrap …) the suite is skipped with the reason in its name; with CI=true it fails instead, as the
 * chroot suites do (requireChrootOrSkip).
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe } from 'vitest';
import { chrootSupport, type ChrootDescribe } from '../chroot/harness.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const SCRIPT = path.join(REPO, 'scripts/stns-real-rootfs.sh');

/** A cold cache debootstraps two trees and compiles: generous, as the machine may be loaded. */
export const BUILD_TIMEOUT_MS = 30 * 60_000;

export function tarballPath(): string {
  return process.env.STNS_LIBNSS_TARBALL ?? path.resolve(REPO, '../shared/upstream/STNS-libnss-c55c3265790a.tar.gz');
}

export type Support = { ok: true } | { ok: false; reason: string };

export function realStnsSupport(needs: string[] = []): Support {
  const c = chrootSupport();
  if (!c.ok) return c;
  const tarball = tarballPath();
  if (!existsSync(tarball)) {
    return { ok: false, reason: `the libnss-stns-v2 source tarball is missing: ${tarball} (set STNS_LIBNSS_TARBALL to STNS-libnss-*.tar.gz, see scripts/stns-real-rootfs.sh)` };
  }
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/local/bin', '/usr/bin', '/bin', '/usr/sbin', '/sbin'];
  const missing = needs.filter((b) => !dirs.some((d) => d !== '' && existsSync(path.join(d, b))));
  if (missing.length > 0) return { ok: false, reason: `missing ${missing.join(', ')} on this machine` };
  return { ok: true };
}

/** describe, or describe.skip with the reason (CI=true: throw, so CI never skips these silently). */
export function requireRealStnsOrSkip(needs: string[] = []): ChrootDescribe {
  const s = realStnsSupport(needs);
  if (s.ok) return (name, fn) => describe(name, fn);
  if (process.env.CI === 'true') throw new Error(`real-STNS test suite cannot run, and CI must not skip it: ${s.reason}`);
  return (name, fn) => describe.skip(`${name} [skipped: ${s.reason}]`, fn);
}

let rootfsPromise: Promise<string> | undefined;

/** Runs scripts/stns-real-rootfs.sh (cheap on a cache hit): the rootfs with the real package. */
export function ensureRealRootfs(): Promise<string> {
  rootfsPromise ??= new Promise<string>((resolve, reject) => {
    const child = spawn('bash', [SCRIPT, '--tarball', tarballPath()], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.on('error', reject);
    child.on('close', (code) => {
      const p = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !p.startsWith('/')) {
        rootfsPromise = undefined;
        reject(new Error(`scripts/stns-real-rootfs.sh failed (exit ${code}):\n${err}`));
        return;
      }
      if (/ built /.test(err)) process.stderr.write(err.split('\n').filter((l) => /^(stns-real-rootfs|debian-rootfs):/.test(l)).join('\n') + '\n');
      resolve(p);
    });
  });
  return rootfsPromise;
}

/** A TCP port on 127.0.0.1 nobody listens on (just released by the kernel to us). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Installs Debian's curl into a fresh root made from the real-STNS rootfs (which, debootstrapped minbase, has
 * libcurl4 but not the curl program that Debian's cloud images carry): the .deb of the very version of the
 * root's libcurl4, fetched once with `apt-get download` into ${STNS_FLEET_CACHE:-~/.cache/stns-fleet}/extra-debs/
 * and installed with the root's own dpkg. verify's probe (templates/host/verify.sh) asks with it.
 */
export async function installCurl(rootDir: string): Promise<void> {
  const q = (cmd: string, args: string[], cwd = '/'): Promise<{ code: number; out: string }> =>
    new Promise((resolve, reject) => {
      const c = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' } });
      let out = '';
      c.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
      c.stderr.setEncoding('utf8').on('data', (s: string) => (out += s));
      c.on('error', reject);
      c.on('close', (code) => resolve({ code: code ?? 1, out }));
    });
  const ver = await q('chroot', [rootDir, 'dpkg-query', '-W', '-f=${Version} ${Architecture}', 'libcurl4']);
  const [version, arch] = ver.out.trim().split(' ');
  if (ver.code !== 0 || !version || !arch) throw new Error(`no libcurl4 in ${rootDir}: ${ver.out}`);
  const dir = path.join(process.env.STNS_FLEET_CACHE ?? path.join(process.env.HOME ?? '/root', '.cache/stns-fleet'), 'extra-debs');
  const file = `curl_${version.replace(/:/g, '%3a')}_${arch}.deb`;
  if (!existsSync(path.join(dir, file))) {
    mkdirSync(dir, { recursive: true });
    const got = await q('apt-get', ['download', `curl=${version}`], dir);
    if (got.code !== 0 || !existsSync(path.join(dir, file))) throw new Error(`apt-get download curl=${version} failed (needed once for verify's probe):\n${got.out}`);
  }
  copyFileSync(path.join(dir, file), path.join(rootDir, 'tmp', file));
  const inst = await q('chroot', [rootDir, 'dpkg', '-i', `/tmp/${file}`]);
  rmSync(path.join(rootDir, 'tmp', file), { force: true });
  if (inst.code !== 0) throw new Error(`dpkg -i ${file} in ${rootDir} failed:\n${inst.out}`);
}
