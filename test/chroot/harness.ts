/**
 * Chroot harness: run the generated host script for real inside a private
 * copy of a cached Debian 12 (bookworm, minbase + openssh-server) rootfs.
 *
 *   const describeChroot = requireChrootOrSkip();
 *   describeChroot('my thing', () => {
 *     let root: FreshRoot;
 *     beforeEach(async () => { root = await freshRoot(); });
 *     afterEach(async () => { await root.cleanup(); });
 *     test('…', async () => {
 *       const r = await runInChroot(root.dir, script);
 *       expect(r.code).toBe(0);
 *     });
 *   });
 *
 * The rootfs is built by scripts/debian-rootfs.sh (cached under
 * ${STNS_FLEET_CACHE:-$HOME/.cache/stns-fleet}); test/chroot/global-setup.ts
 * builds it once before the run. Needs root, chroot, debootstrap, dpkg-deb.
 * A Debian 13 (trixie) tree is cached alongside: freshRoot({ rootfs: await
 * ensureRootfs('trixie') }).
 *
 * Mounts: freshRoot() mounts one overlayfs per root (cleanup() unmounts it;
 * set STNS_FLEET_ROOT_MODE=copy for plain copies). Nothing else is mounted:
 * the rootfs carries its own /dev nodes, and sshd -t and dpkg -i work without
 * /proc. `runInChroot(…, { proc: true })` gives a /proc that lives in a
 * private mount namespace and vanishes with the process.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants as fsConstants, readFileSync, rmSync } from 'node:fs';
import { chmod, copyFile, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { constants as osConstants, tmpdir } from 'node:os';
import { basename, dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe } from 'vitest';

export const CHROOT_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';
/** Where runInChroot puts the script inside the root. */
export const SCRIPT_IN_ROOT = '/tmp/stns-fleet-test.sh';

const ROOTFS_SCRIPT = fileURLToPath(new URL('../../scripts/debian-rootfs.sh', import.meta.url));
const SEARCH_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

// ---------------------------------------------------------------------------
// support detection

function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), ...SEARCH_DIRS];
  for (const d of dirs) {
    const p = join(d, name);
    try {
      accessSync(p, fsConstants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

export type ChrootSupport = { ok: true } | { ok: false; reason: string };

export function chrootSupport(): ChrootSupport {
  if (process.platform !== 'linux') return { ok: false, reason: `chroot tests need Linux (this is ${process.platform})` };
  const uid = process.getuid?.();
  if (uid !== 0) return { ok: false, reason: `chroot tests need root (uid is ${uid ?? 'unknown'})` };
  const missing = ['chroot', 'debootstrap', 'dpkg-deb', 'unshare'].filter((b) => findExecutable(b) === undefined);
  if (missing.length > 0) {
    return { ok: false, reason: `missing ${missing.join(', ')} (apt-get install -y debootstrap)` };
  }
  return { ok: true };
}

export type ChrootDescribe = (name: string, fn: () => void) => void;

/**
 * A `describe` for chroot suites. Without support it skips the suite and puts
 * the reason in its name; with `CI=true` it throws instead, so CI can never
 * silently skip the chroot tests.
 */
export function requireChrootOrSkip(): ChrootDescribe {
  const s = chrootSupport();
  if (s.ok) return (name, fn) => describe(name, fn);
  if (process.env.CI === 'true') {
    throw new Error(`chroot test suite cannot run, and CI must not skip it: ${s.reason}`);
  }
  return (name, fn) => describe.skip(`${name} [skipped: ${s.reason}]`, fn);
}

// ---------------------------------------------------------------------------
// rootfs

/** The Debian suites scripts/debian-rootfs.sh builds a plain tree of (bookworm = Debian 12, trixie = Debian 13). */
export type RootfsSuite = 'bookworm' | 'trixie';

const rootfsPromises = new Map<RootfsSuite, Promise<string>>();

export interface RootfsBuild {
  path: string;
  /** true when the script found a current tree and built nothing */
  cacheHit: boolean;
  /** the script's stderr (progress) */
  log: string;
}

/** Runs scripts/debian-rootfs.sh (always; cheap on a cache hit). */
export function buildRootfs(
  opts: {
    /** echo the script's progress lines */ echo?: boolean;
    /** default bookworm (--suite is then not passed at all) */ suite?: RootfsSuite;
  } = {},
): Promise<RootfsBuild> {
  const args = opts.suite && opts.suite !== 'bookworm' ? ['--suite', opts.suite] : [];
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [ROOTFS_SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    let partial = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      err += c;
      if (!opts.echo) return;
      // Echo only the script's own progress lines, not debootstrap's chatter.
      const lines = (partial + c).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) if (l.startsWith('debian-rootfs:')) process.stderr.write(l + '\n');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const path = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !path.startsWith('/')) {
        reject(new Error(`scripts/debian-rootfs.sh failed (exit ${code}):\n${err}`));
        return;
      }
      resolve({ path, cacheHit: !/^debian-rootfs: building /m.test(err), log: err });
    });
  });
}

/**
 * The cached rootfs directory of a suite (default bookworm; read-only by convention: use freshRoot()). Built on
 * demand when the global setup has not (the script's lock serialises builders).
 */
export function ensureRootfs(suite: RootfsSuite = 'bookworm'): Promise<string> {
  let p = rootfsPromises.get(suite);
  if (!p) {
    p = buildRootfs({ suite }).then(
      (b) => {
        if (!b.cacheHit) process.stderr.write(b.log);
        return b.path;
      },
      (e: unknown) => {
        rootfsPromises.delete(suite);
        throw e;
      },
    );
    rootfsPromises.set(suite, p);
  }
  return p;
}

// ---------------------------------------------------------------------------
// fresh roots

export interface FreshRoot {
  /** the root directory to chroot into */
  dir: string;
  /** how it was made: an overlay on the cached tree, or a full copy */
  mode: RootMode;
  cleanup(): Promise<void>;
}

export type RootMode = 'overlay' | 'copy';

/** Every fresh root lives in TMPDIR/stns-fleet-root-<pid>-XXXXXX/ as root/ (+ upper/, work/). */
const ROOT_PREFIX = 'stns-fleet-root-';
/** Dummy packages go to TMPDIR/stns-fleet-debs-<pid>-XXXXXX/. */
const DEB_PREFIX = 'stns-fleet-debs-';
const liveRoots = new Set<string>();
let exitHookInstalled = false;
let overlayBroken: string | undefined;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const base of liveRoots) {
      unmountUnderSync(base);
      spawnSync('rm', ['-rf', '--one-file-system', '--', base], { stdio: 'ignore' });
    }
    if (debDir) rmSync(debDir, { recursive: true, force: true });
  });
}

function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
}

async function mustRun(cmd: string, args: string[]): Promise<string> {
  const r = await run(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** Mount points at or below dir, deepest first (from /proc/self/mountinfo). */
function mountsUnder(dir: string, mountinfo: string): string[] {
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return mountinfo
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => m !== undefined)
    .map(unescape)
    .filter((m) => m === dir || m.startsWith(dir + '/'))
    .sort((a, b) => b.length - a.length);
}

function unmountUnderSync(dir: string): void {
  let info = '';
  try {
    info = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return;
  }
  for (const m of mountsUnder(dir, info)) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
}

async function unmountUnder(dir: string): Promise<void> {
  for (const m of mountsUnder(dir, await readFile('/proc/self/mountinfo', 'utf8'))) {
    const r = await run('umount', [m]);
    if (r.code !== 0) await mustRun('umount', ['-l', m]); // busy: detach lazily
  }
  const left = mountsUnder(dir, await readFile('/proc/self/mountinfo', 'utf8'));
  if (left.length > 0) throw new Error(`still mounted under ${dir}: ${left.join(', ')}`);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Unmount and remove fresh roots (and dummy-deb dirs) left behind by test
 * processes that are gone: vitest ends its workers with a signal, so their
 * exit hooks do not always run. Those of live processes are untouched.
 * Returns the removed base directories.
 */
export async function reapStaleRoots(): Promise<string[]> {
  const reaped: string[] = [];
  const tmp = tmpdir();
  const entries = await readdir(tmp).catch(() => [] as string[]);
  for (const name of entries) {
    const m = new RegExp(`^(?:${ROOT_PREFIX}|${DEB_PREFIX})(\\d+)-[A-Za-z0-9]+$`).exec(name);
    if (!m || pidAlive(Number(m[1]))) continue;
    const base = join(tmp, name);
    await unmountUnder(base);
    await mustRun('rm', ['-rf', '--one-file-system', '--', base]);
    reaped.push(base);
  }
  return reaped;
}

function preferredMode(): RootMode {
  const forced = process.env.STNS_FLEET_ROOT_MODE;
  if (forced === 'copy' || forced === 'overlay') return forced;
  if (overlayBroken !== undefined) return 'copy';
  try {
    return /\toverlay$/m.test(readFileSync('/proc/filesystems', 'utf8')) ? 'overlay' : 'copy';
  } catch {
    return 'copy';
  }
}

/**
 * A private writable root for one test. By default an overlayfs mount over
 * the cached tree (instant; writes land in a private upper dir); with
 * STNS_FLEET_ROOT_MODE=copy, or where overlayfs is unavailable, a full
 * `cp -a --reflink=auto` copy (~0.4 s on a quiet ext4, but it degraded to
 * 2-6 s per copy on the test VM's discard-mounted ext4). Always call
 * cleanup() (afterEach/finally); a process exit hook and reapStaleRoots()
 * catch what is missed. STNS_FLEET_KEEP_ROOTS=1 keeps them for debugging.
 * `rootfs` takes another cached tree as the source (e.g. the one with the
 * real libnss-stns-v2 of scripts/stns-real-rootfs.sh); it is never written.
 */
export async function freshRoot(opts: { rootfs?: string } = {}): Promise<FreshRoot> {
  const src = opts.rootfs ?? (await ensureRootfs());
  installExitHook();
  const base = await mkdtemp(join(tmpdir(), `${ROOT_PREFIX}${process.pid}-`));
  liveRoots.add(base);
  const dir = join(base, 'root');
  let mode = preferredMode();
  try {
    await mkdir(dir);
    await chmod(dir, 0o755);
    if (mode === 'overlay') {
      const upper = join(base, 'upper');
      const work = join(base, 'work');
      await mkdir(upper);
      await chmod(upper, 0o755); // the merged "/" takes the upper dir's mode
      await mkdir(work);
      const opts = `lowerdir=${src},upperdir=${upper},workdir=${work}`;
      const r = await run('mount', ['-t', 'overlay', 'stns-fleet-root', '-o', opts, dir]);
      if (r.code !== 0) {
        if (process.env.STNS_FLEET_ROOT_MODE === 'overlay') throw new Error(`overlay mount failed: ${r.stderr}`);
        overlayBroken = r.stderr.trim();
        process.stderr.write(`stns-fleet: overlay mount failed (${overlayBroken}); copying roots instead\n`);
        mode = 'copy';
      }
    }
    if (mode === 'copy') await mustRun('cp', ['-a', '--reflink=auto', '--', `${src}/.`, `${dir}/`]);
  } catch (e) {
    liveRoots.delete(base);
    await unmountUnder(base);
    await mustRun('rm', ['-rf', '--one-file-system', '--', base]);
    throw e;
  }
  let cleaned = false;
  return {
    dir,
    mode,
    async cleanup() {
      if (cleaned) return;
      cleaned = true;
      // Unmount everything below base first; then rm never crosses into
      // another filesystem (--one-file-system) and never follows symlinks.
      await unmountUnder(base);
      liveRoots.delete(base);
      if (process.env.STNS_FLEET_KEEP_ROOTS === '1') {
        process.stderr.write(`stns-fleet: keeping chroot files in ${base} (upper/ holds an overlay root's changes)\n`);
        return;
      }
      await mustRun('rm', ['-rf', '--one-file-system', '--', base]);
    },
  };
}

// ---------------------------------------------------------------------------
// paths inside a root

/**
 * The host path of absPath inside the root dir, resolving symlinks the way
 * the chroot would (absolute targets are relative to dir, `..` stops at dir),
 * so it never points outside dir. With followLast=false the last component is
 * not followed (for replacing or creating files).
 */
export async function hostPath(dir: string, absPath: string, opts: { followLast?: boolean } = {}): Promise<string> {
  if (!absPath.startsWith('/')) throw new Error(`not an absolute path: ${absPath}`);
  const followLast = opts.followLast ?? true;
  let pending = absPath.split('/').filter((p) => p !== '' && p !== '.');
  const resolved: string[] = [];
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const candidate = join(dir, ...resolved, part);
    const isLast = pending.length === 0;
    let st;
    try {
      st = await lstat(candidate);
    } catch {
      st = undefined; // does not exist (yet): take the name as is
    }
    if (st?.isSymbolicLink() && (!isLast || followLast)) {
      if (++hops > 40) throw new Error(`too many symlinks resolving ${absPath} in ${dir}`);
      const target = await readlink(candidate);
      if (target.startsWith('/')) resolved.length = 0;
      pending = [...target.split('/').filter((p) => p !== '' && p !== '.'), ...pending];
      continue;
    }
    resolved.push(part);
  }
  return join(dir, ...resolved);
}

export async function readFileIn(dir: string, absPath: string): Promise<string> {
  return readFile(await hostPath(dir, absPath), 'utf8');
}

/** Hex sha256 of a file inside the root. */
export async function sha256(dir: string, absPath: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(await hostPath(dir, absPath)))
    .digest('hex');
}

/**
 * Write a file inside the root (replacing whatever is at that path, a symlink
 * included, never writing through it). Parent directories are created.
 */
export async function writeFileIn(dir: string, absPath: string, content: string | Buffer, mode = 0o644): Promise<void> {
  const parent = await hostPath(dir, posix.dirname(absPath));
  await mkdir(parent, { recursive: true });
  const target = join(parent, posix.basename(absPath));
  await rm(target, { force: true });
  await writeFile(target, content, { flag: 'wx', mode });
  await chmod(target, mode);
}

// ---------------------------------------------------------------------------
// running

export interface RunOptions {
  /** Added to the clean environment (which is only PATH). */
  env?: Record<string, string>;
  /** Positional arguments for the script. */
  args?: string[];
  /** Mount a private /proc (own mount + pid namespace; nothing to unmount). */
  proc?: boolean;
  /** Written to the script's stdin (default: none, stdin is /dev/null). */
  stdin?: string;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Write script to /tmp/stns-fleet-test.sh inside the root and run it as
 * `chroot DIR /bin/sh /tmp/stns-fleet-test.sh ARGS…` with a clean environment.
 * A signal death is reported as 128+N.
 */
export async function runInChroot(dir: string, script: string, opts: RunOptions = {}): Promise<RunResult> {
  await writeFileIn(dir, SCRIPT_IN_ROOT, script, 0o755);
  const chrootArgs = [dir, '/bin/sh', SCRIPT_IN_ROOT, ...(opts.args ?? [])];
  const [cmd, args] = opts.proc
    ? ['unshare', ['--mount', '--propagation', 'private', '--pid', '--fork', `--mount-proc=${join(dir, 'proc')}`, 'chroot', ...chrootArgs]]
    : ['chroot', chrootArgs];
  const env = { ...opts.env, PATH: opts.env?.PATH ?? CHROOT_PATH };
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, cwd: '/', stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr?.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    if (opts.stdin !== undefined) child.stdin?.end(opts.stdin);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolve({ code: code ?? 128 + (signal ? (osConstants.signals[signal] ?? 0) : 0), stdout, stderr });
    });
  });
}

// ---------------------------------------------------------------------------
// dummy packages

let debDir: string | undefined;

export interface DummyDebOptions {
  name: string;
  version: string;
  /** absolute path in the package -> content (mode default 0644) */
  files: Record<string, { content: string; mode?: number }>;
  /** default "all" */
  arch?: string;
  /** Depends: field */
  depends?: string;
  /** default: every file under /etc/ (what debhelper would do) */
  conffiles?: string[];
  /** maintainer scripts, e.g. { postinst: '#!/bin/sh\nset -e\n…' } */
  scripts?: Partial<Record<'preinst' | 'postinst' | 'prerm' | 'postrm', string>>;
}

/** Builds a minimal .deb with dpkg-deb --build; returns its host path. */
export async function buildDummyDeb(opts: DummyDebOptions): Promise<string> {
  if (!/^[a-z0-9][a-z0-9+.-]+$/.test(opts.name)) throw new Error(`bad package name: ${opts.name}`);
  if (!/^[A-Za-z0-9.+~:-]+$/.test(opts.version)) throw new Error(`bad package version: ${opts.version}`);
  const arch = opts.arch ?? 'all';
  installExitHook();
  debDir ??= await mkdtemp(join(tmpdir(), `${DEB_PREFIX}${process.pid}-`));
  const tree = await mkdtemp(join(debDir, 'tree-'));
  try {
    await chmod(tree, 0o755);
    for (const [path, f] of Object.entries(opts.files)) {
      if (!path.startsWith('/') || path.split('/').some((p) => p === '..' || p === '.')) {
        throw new Error(`bad file path in package: ${path}`);
      }
      const host = join(tree, path);
      await mkdir(dirname(host), { recursive: true, mode: 0o755 });
      await writeFile(host, f.content);
      await chmod(host, f.mode ?? 0o644);
    }
    const control = join(tree, 'DEBIAN');
    await mkdir(control, { mode: 0o755 });
    await chmod(control, 0o755);
    const fields = [
      `Package: ${opts.name}`,
      `Version: ${opts.version}`,
      `Architecture: ${arch}`,
      'Maintainer: stns-fleet tests <tests@stns-fleet.invalid>',
      ...(opts.depends ? [`Depends: ${opts.depends}`] : []),
      'Priority: optional',
      'Section: misc',
      `Description: stns-fleet test stand-in for ${opts.name}`,
    ];
    await writeFile(join(control, 'control'), fields.join('\n') + '\n');
    const conffiles = opts.conffiles ?? Object.keys(opts.files).filter((p) => p.startsWith('/etc/'));
    if (conffiles.length > 0) await writeFile(join(control, 'conffiles'), conffiles.join('\n') + '\n');
    for (const [name, body] of Object.entries(opts.scripts ?? {})) {
      if (body === undefined) continue;
      await writeFile(join(control, name), body);
      await chmod(join(control, name), 0o755);
    }
    const out = join(debDir, `${opts.name}_${opts.version.replace(/^\d+:/, '')}_${arch}.deb`);
    await mustRun('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', tree, out]);
    return out;
  } finally {
    await rm(tree, { recursive: true, force: true });
  }
}

/** Copies the .deb into the root and runs `dpkg -i` there; throws on failure. */
export async function installDeb(dir: string, debPath: string): Promise<RunResult> {
  const inRoot = `/tmp/${basename(debPath)}`;
  const host = await hostPath(dir, inRoot, { followLast: false });
  await rm(host, { force: true });
  await copyFile(debPath, host, fsConstants.COPYFILE_EXCL);
  const r = await runInChroot(dir, 'set -e\ndpkg -i "$1"\nrm -f "$1"\n', { args: [inRoot] });
  if (r.code !== 0) throw new Error(`dpkg -i ${basename(debPath)} failed (exit ${r.code}):\n${r.stdout}${r.stderr}`);
  return r;
}

/** Stand-ins for the STNS packages (libnss-stns-v2, cache-stnsd), so "the image already carries them" is a
 * real dpkg state in a chroot suite. */
export async function stnsDummyDebs(): Promise<string[]> {
  const sh = { content: '#!/bin/sh\nexit 0\n', mode: 0o755 };
  return [
    await buildDummyDeb({ name: 'libnss-stns-v2', version: '2.6.10-1', files: { '/usr/lib/stns/stns-key-wrapper': sh } }),
    await buildDummyDeb({ name: 'cache-stnsd', version: '1:0.3.19-1', files: { '/usr/sbin/cache-stnsd': sh } }),
  ];
}

/** Every entry under `rel` in a root: type, mode, owner, and content hash or link target ("nothing touched"). */
export async function treeState(rootDir: string, rel = '/etc'): Promise<Record<string, string>> {
  const { lstat, readdir, readFile, readlink } = await import('node:fs/promises');
  const { createHash } = await import('node:crypto');
  const out: Record<string, string> = {};
  const walk = async (r: string): Promise<void> => {
    const host = join(rootDir, r);
    const st = await lstat(host);
    const meta = `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
    if (st.isSymbolicLink()) out[r] = `link ${meta} -> ${await readlink(host)}`;
    else if (st.isDirectory()) {
      out[r] = `dir ${meta}`;
      for (const name of (await readdir(host)).sort()) await walk(posix.join(r, name));
    } else if (st.isFile()) out[r] = `file ${meta} ${createHash('sha256').update(await readFile(host)).digest('hex')}`;
    else out[r] = `other ${meta} ${st.mode.toString(8)}`;
  };
  await walk(rel);
  return out;
}
