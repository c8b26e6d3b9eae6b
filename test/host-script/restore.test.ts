// Restore keeps the file, not just the bytes; backups keep no secret readable and do not pile up; a held
// package is installed. On a directory tree with the lab's stand-ins; where a failure after writing is
// needed, an sshd that accepts the staged copy (-f) and refuses the live configuration.
import { createHash } from 'node:crypto';
import { chmod, lstat, mkdir, readFile, readlink, rename, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { FACTS_LIB, factsScript } from '../../src/facts/facts-script.js';
import { loadTemplates } from '../../src/render/templates.js';
import { stock, withFiles } from '../helpers/render.js';
import { entries, hostFilesOnly, lastLine, makeTree, planScript, put, runScript, treeState, type Tree } from './tree.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

let t: Tree;
beforeEach(async () => {
  t = await makeTree();
});
afterEach(async () => {
  await t.cleanup();
});

/** PATH for a run whose live sshd -t fails after the staged one passed: every file is written, then restored. */
async function refusingLiveSshd(): Promise<Record<string, string>> {
  const bin = path.join(t.dir, 'bin-refuse');
  await mkdir(bin, { recursive: true });
  const lab = path.join(t.dir, 'bin', 'sshd');
  await writeFile(path.join(bin, 'sshd'), `#!/bin/sh\ncase " $* " in *" -f "*) exec '${lab}' "$@" ;; esac\necho "test: the live configuration is refused" >&2\nexit 255\n`);
  await chmod(path.join(bin, 'sshd'), 0o755);
  return { PATH: `${bin}:${t.env.PATH}` };
}

describe('symbolic links', () => {
  const TARGET = 'usr/share/nss/nsswitch.conf';

  async function linkNsswitch(): Promise<Buffer> {
    const original = await readFile(path.join(t.root, 'etc/nsswitch.conf'));
    await mkdir(path.dirname(path.join(t.root, TARGET)), { recursive: true });
    await rename(path.join(t.root, 'etc/nsswitch.conf'), path.join(t.root, TARGET));
    // Absolute, as distributions that ship it under /usr do: resolved inside the host, never on this machine.
    await symlink(`/${TARGET}`, path.join(t.root, 'etc/nsswitch.conf'));
    return original;
  }

  test('a symlinked nsswitch.conf stays a symlink and its target gets the content', async () => {
    await linkNsswitch();
    const { plan, script } = await planScript();
    const r = await runScript(t, script);
    expect(r.code, r.stdout).toBe(0);
    expect((await lstat(path.join(t.root, 'etc/nsswitch.conf'))).isSymbolicLink()).toBe(true);
    expect(await readlink(path.join(t.root, 'etc/nsswitch.conf'))).toBe(`/${TARGET}`);
    const want = plan.changes.find((c) => c.file.path === '/etc/nsswitch.conf')!.afterSha256;
    expect(sha(await readFile(path.join(t.root, TARGET)))).toBe(want);
    expect(await entries(path.join(t.root, 'usr/share/nss'))).toEqual(['nsswitch.conf']); // no temp file left there
  });

  test('after a failed run the target is restored, and the link is still the link', async () => {
    const original = await linkNsswitch();
    const before = await treeState(t.root, hostFilesOnly);
    const { script } = await planScript();
    const r = await runScript(t, script, await refusingLiveSshd());
    expect(r.code, r.stdout).toBe(40);
    expect(lastLine(r.stdout)).toBe('STNS_FLEET_RESULT=invalid');
    expect(r.stdout).toContain('STNS_FLEET_FILE /etc/nsswitch.conf nss'); // it was written, through the link
    expect(r.stdout).toMatch(/^stns-fleet: restored every file from /m);
    expect(await readFile(path.join(t.root, TARGET))).toEqual(original);
    expect(await treeState(t.root, hostFilesOnly)).toEqual(before);
  });

  test('a dangling link is refused before anything is touched', async () => {
    await mkdir(path.join(t.root, 'etc/stns/client'), { recursive: true });
    await symlink('real-stns.conf', path.join(t.root, 'etc/stns/client/stns.conf'));
    const before = await treeState(t.root, hostFilesOnly);
    const { script } = await planScript();
    const r = await runScript(t, script);
    expect(r.code, r.stdout).toBe(20);
    expect(lastLine(r.stdout)).toBe('STNS_FLEET_RESULT=preflight');
    expect(r.stdout).toContain(
      'STNS_FLEET_ERROR /etc/stns/client/stns.conf is a symbolic link to /etc/stns/client/real-stns.conf, which does not exist: remove the link or create its target; nothing was touched',
    );
    expect(await treeState(t.root, hostFilesOnly)).toEqual(before);
    expect(await entries(path.join(t.root, 'var/lib/stns-fleet'))).toEqual([]);
    expect(await entries(path.join(t.root, 'var/backups'))).toEqual([]);
  });
});

describe('backups', () => {
  const OLD = '# an older stns.conf\napi_endpoint = "https://old.example.com/v1"\nauth_token = "OLD-TOKEN-42"\n';

  test('the backup of stns.conf is 0600 (its mode, 0644, is in the manifest and comes back on restore)', async () => {
    await put(t.root, '/etc/stns/client/stns.conf', OLD, 0o644);
    const s = await stock('debian-12');
    const { script } = await planScript(undefined, { snapshot: withFiles(s.snapshot, { '/etc/stns/client/stns.conf': OLD }) });
    const r = await runScript(t, script, await refusingLiveSshd());
    expect(r.code, r.stdout).toBe(40);
    const [b] = await entries(path.join(t.root, 'var/backups/stns-fleet'));
    const dir = path.join(t.root, 'var/backups/stns-fleet', b!);
    expect((await stat(path.join(dir, 'etc/stns/client/stns.conf'))).mode & 0o777).toBe(0o600);
    expect((await stat(path.join(dir, 'etc/nsswitch.conf'))).mode & 0o777).toBe(0o644); // not a secret: as it was
    const uid = process.getuid!();
    const gid = process.getgid!();
    expect((await readFile(path.join(dir, 'manifest'), 'utf8')).split('\n')).toContain(
      `present ${sha(Buffer.from(OLD))} 644 ${uid} ${gid} /etc/stns/client/stns.conf`,
    );
    // Restored with its own mode, not the backup's.
    expect(await readFile(path.join(t.root, 'etc/stns/client/stns.conf'), 'utf8')).toBe(OLD);
    expect((await stat(path.join(t.root, 'etc/stns/client/stns.conf'))).mode & 0o777).toBe(0o644);
  });

  test('pruning keeps the last 5 backup directories (this run among them), not the re-register worker’s', async () => {
    const bd = path.join(t.root, 'var/backups/stns-fleet');
    const old = [1, 2, 3, 4, 5, 6, 7].map((d) => `2020010${d}T000000Z-${100 + d}`);
    for (const d of [...old, 'pi-reregister-20200101T000000Z']) await mkdir(path.join(bd, d), { recursive: true });
    const { script } = await planScript();
    const r = await runScript(t, script);
    expect(r.code, r.stdout).toBe(0);
    const mine = /^STNS_FLEET_BACKUP \/var\/backups\/stns-fleet\/(\S+)$/m.exec(r.stdout.replace(t.root, ''))![1]!;
    expect(await entries(bd)).toEqual([...old.slice(3), mine, 'pi-reregister-20200101T000000Z'].sort());
    // An unchanged run makes no backup and prunes too: a newer one arrives, the oldest goes.
    await mkdir(path.join(bd, '20300101T000000Z-1'));
    const again = await runScript(t, script);
    expect(lastLine(again.stdout)).toBe('STNS_FLEET_RESULT=unchanged');
    expect(await entries(bd)).toEqual([...old.slice(4), mine, '20300101T000000Z-1', 'pi-reregister-20200101T000000Z'].sort());
  });
});

describe('held packages', () => {
  /** dpkg-query that says what dpkg says of a package on hold: "hold ok installed". */
  async function heldDpkg(on: Tree): Promise<Record<string, string>> {
    const bin = path.join(on.dir, 'bin-hold');
    await mkdir(bin, { recursive: true });
    // Every name asked is on hold (dpkg-query -W -f '${Package} ${Status}\n' NAME...).
    await writeFile(path.join(bin, 'dpkg-query'), "#!/bin/sh\nfor a; do case \"$a\" in -*) ;; *) printf '%s hold ok installed\\n' \"$a\" ;; esac; done\n");
    await chmod(path.join(bin, 'dpkg-query'), 0o755);
    return { PATH: `${bin}:${on.env.PATH}` };
  }

  test('a package on hold counts as installed: nothing is installed, no repository added', async () => {
    const tree = await makeTree({ installed: false }); // the lab's package list is empty: only the hold says installed
    try {
      const { script } = await planScript();
      const r = await runScript(tree, script, await heldDpkg(tree));
      expect(r.code, r.stdout).toBe(0);
      expect(lastLine(r.stdout)).toBe('STNS_FLEET_RESULT=changed');
      expect(r.stdout).not.toContain('installing');
      expect(await readFile(path.join(tree.root, 'etc/apt/sources.list.d/stns-fleet.list')).catch(() => null)).toBeNull();
    } finally {
      await tree.cleanup();
    }
  });

  test('the facts script reports a held package as installed', async () => {
    const tl = await loadTemplates(undefined, [FACTS_LIB]);
    const r = await runScript(t, factsScript(tl), await heldDpkg(t));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^pkg libnss-stns-v2 1$/m);
  });
});
