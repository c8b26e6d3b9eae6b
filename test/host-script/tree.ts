// Helpers for the host-script tests (not a test file): a Debian 12 host laid out under a directory (its stock
// files, STNS_FLEET_ROOT), the lab's stand-ins on PATH (sshd that really parses the configuration, dpkg-query
// over the lab's package list), the real converge.sh generated for it, and tools to run it, stop it at a
// step (STNS_FLEET_TEST_STOP_AT), signal it, and compare the tree before and after.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { generateHostScript } from '../../src/plan/host-script.js';
import { writeStandins } from '@stns-fleet/lab';
import { planHost, type HostPlan } from '../../src/plan/host-plan.js';
import { profileById } from '../../src/profiles/index.js';
import type { DesiredState } from '../../src/render/desired.js';
import { STOCK_DIR } from '../../src/render/stock.js';
import { render, SECRETS, type RenderOptions } from '../helpers/render.js';

/** A piece of the test token (helpers/render.ts) that survives TOML escaping: where it is, a secret is. */
export const SECRET_MARK = 's3cr3t-';

export interface Tree {
  dir: string;
  /** The host's / */
  root: string;
  env: NodeJS.ProcessEnv;
  cleanup(): Promise<void>;
}

/** A Debian 12 host tree with the STNS packages installed (the lab's package list) and the lab's stand-ins. */
export async function makeTree(o: { installed?: boolean } = {}): Promise<Tree> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sf-host-script-'));
  const root = path.join(dir, 'root');
  const bin = path.join(dir, 'bin');
  const tmp = path.join(dir, 'tmp');
  const p = profileById('debian-12');
  for (const layer of p.stockLayers(p.defaultArch)) cpSync(path.join(STOCK_DIR, layer), root, { recursive: true });
  await writeStandins(bin);
  await mkdir(tmp);
  await mkdir(path.join(root, 'var/backups'), { recursive: true, mode: 0o755 }); // as on every Debian host
  if (o.installed ?? true) {
    await mkdir(path.join(root, 'var/lib/stns-fleet-lab'), { recursive: true });
    await writeFile(path.join(root, 'var/lib/stns-fleet-lab/installed'), 'libnss-stns-v2 2.6.10-1\ncache-stnsd 1:0.3.19-1\n');
  }
  return {
    dir,
    root,
    // TMPDIR inside the test's directory: what the script leaves there is seen too.
    env: { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`, STNS_FLEET_ROOT: root, TMPDIR: tmp, HOME: dir, LC_ALL: 'C' },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** The plan and script for the stock Debian 12 host (optionally with the desired state changed first). */
export async function planScript(tweak?: (d: DesiredState) => void, o: RenderOptions = {}): Promise<{ plan: HostPlan; script: string }> {
  const r = await render('debian-12', o);
  if (!tweak) return { plan: r.plan, script: r.script };
  tweak(r.desired);
  const plan = planHost(r.desired, r.snapshot, SECRETS);
  return { plan, script: generateHostScript(plan, r.t, SECRETS) };
}

export interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Running {
  pid: number;
  done: Promise<Ended>;
  ended(): boolean;
}

let n = 0;

/** Starts the script with sh (from a file, as the SSM agent runs it) on the tree. */
export async function start(t: Tree, script: string, env: Record<string, string> = {}): Promise<Running> {
  const file = path.join(t.dir, `script-${++n}.sh`);
  await writeFile(file, script, { mode: 0o700 });
  return track(spawn('/bin/sh', [file], { env: { ...t.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** A started script (its pid must be the shell's own: `chroot DIR /bin/sh FILE` qualifies, chroot execs). */
export function track(child: ChildProcessByStdio<null, Readable, Readable>): Running {
  let stdout = '';
  let stderr = '';
  let over = false;
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const done = new Promise<Ended>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      over = true;
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { pid: child.pid!, done, ended: () => over };
}

export async function runScript(t: Tree, script: string, env: Record<string, string> = {}): Promise<Ended> {
  return (await start(t, script, env)).done;
}

function procState(pid: number): Promise<string | undefined> {
  return readFile(`/proc/${pid}/stat`, 'utf8').then(
    (s) => s.slice(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3),
    () => undefined,
  );
}

/** Waits (on the event, with a generous outer limit) until the script stopped itself at its step. */
export async function waitStopped(r: Running, what: string): Promise<void> {
  const limit = Date.now() + 120_000;
  for (;;) {
    if (r.ended()) {
      const e = await r.done;
      throw new Error(`the script ended (code ${e.code}, signal ${e.signal}) before it stopped at ${what}:\n${e.stdout}${e.stderr}`);
    }
    if ((await procState(r.pid)) === 'T') return;
    if (Date.now() > limit) throw new Error(`the script never stopped at ${what}`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

/** Runs the script up to `step`, where it stops itself. */
export async function stopAt(t: Tree, script: string, step: string): Promise<Running> {
  const r = await start(t, script, { STNS_FLEET_TEST_STOP_AT: step });
  await waitStopped(r, step);
  return r;
}

export const lastLine = (s: string): string => s.trimEnd().split('\n').at(-1) ?? '';

/**
 * Everything under root except what `skip` says: path → type, mode, owner, and content digest or link target.
 * A directory's own mode and owner are included, so a directory the script made and did not remove shows.
 */
export async function treeState(root: string, skip: (rel: string) => boolean = () => false): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  async function walk(rel: string): Promise<void> {
    for (const name of (await readdir(path.join(root, rel))).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      if (skip(r)) continue;
      const abs = path.join(root, r);
      const st = await lstat(abs);
      const meta = `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
      if (st.isSymbolicLink()) out[r] = `link -> ${await readlink(abs)}`;
      else if (st.isDirectory()) {
        out[r] = `dir ${meta}`;
        await walk(r);
      } else out[r] = `file ${meta} ${createHash('sha256').update(await readFile(abs)).digest('hex')}`;
    }
  }
  await walk('');
  return out;
}

/** The host's own files: not the script's backups and state (checked on their own) nor the lab's bookkeeping. */
export const hostFilesOnly = (rel: string): boolean =>
  rel === 'var/backups/stns-fleet' || rel.startsWith('var/backups/stns-fleet/') || rel === 'var/lib/stns-fleet' || rel.startsWith('var/lib/stns-fleet/');

/** Every file under dir (recursively) whose bytes contain the test token. */
export async function filesWithSecret(dir: string): Promise<string[]> {
  const found: string[] = [];
  async function walk(d: string): Promise<void> {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const abs = path.join(d, e.name);
      if (e.isDirectory()) await walk(abs);
      else if (e.isFile() && (await readFile(abs)).includes(SECRET_MARK)) found.push(abs);
    }
  }
  await walk(dir);
  return found.sort();
}

/** Entries of a directory, or [] when it does not exist. */
export const entries = (dir: string): Promise<string[]> => readdir(dir).then((e) => e.sort(), () => []);

export async function put(root: string, abs: string, content: string, mode = 0o644): Promise<void> {
  const p = path.join(root, abs);
  await mkdir(path.dirname(p), { recursive: true });
  await writeFile(p, content);
  await chmod(p, mode);
}
