// sshd's new configuration is validated before it is live: staged in the work directory (the live /etc/ssh
// with the planned files put in, Include lines pointing into the copy), checked with `sshd -t -f`, and only
// then written. A drop-in sshd rejects ends `invalid` with nothing written: at the moment sshd -t runs the
// live tree is still the old one, and it stays byte-identical. On a directory tree with the lab's sshd
// stand-in, which parses the configuration as OpenSSH does (the real sshd: test/chroot/host-script.test.ts).
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { SSHD_DROPIN } from '../../src/sshd/strategy.js';
import { stock, withFiles } from '../helpers/render.js';
import { entries, hostFilesOnly, lastLine, makeTree, planScript, stopAt, treeState, type Tree } from './tree.js';

let t: Tree;
beforeEach(async () => {
  t = await makeTree();
});
afterEach(async () => {
  await t.cleanup();
});

async function badDropinScript(o: Parameters<typeof planScript>[1] = {}): Promise<string> {
  const { plan, script } = await planScript((d) => {
    const f = d.files.find((x) => x.path === SSHD_DROPIN)!;
    f.content = Buffer.from(`${f.content!.toString()}NotAnSshdKeyword yes\n`);
  }, o);
  expect(plan.changes.find((c) => c.file.path === SSHD_DROPIN)?.action).toBe('create');
  return script;
}

/** sshd_config with its Include line written another way (the plan still places a drop-in). */
async function withInclude(line: string): Promise<Parameters<typeof planScript>[1]> {
  const p = path.join(t.root, 'etc/ssh/sshd_config');
  const text = (await readFile(p, 'utf8')).replace(/^Include .*$/m, line);
  await writeFile(p, text);
  const s = await stock('debian-12');
  return { snapshot: withFiles(s.snapshot, { '/etc/ssh/sshd_config': text }) };
}

for (const include of ['Include /etc/ssh/sshd_config.d/*.conf', 'Include sshd_config.d/*.conf', 'include=sshd_config.d/*.conf']) {
  test(`a drop-in sshd rejects ends invalid and is never live (sshd_config: "${include}")`, async () => {
    const o = include.startsWith('Include /') ? {} : await withInclude(include);
    const script = await badDropinScript(o);
    const before = await treeState(t.root, hostFilesOnly);
    // Stopped just before the staged sshd -t: the live tree is still the old one, the new drop-in is staged only.
    const r = await stopAt(t, script, 'staged-check');
    expect(await treeState(t.root, hostFilesOnly)).toEqual(before);
    const [work] = (await entries(path.join(t.root, 'var/lib/stns-fleet'))).filter((e) => e.startsWith('converge.'));
    const stage = path.join(t.root, 'var/lib/stns-fleet', work!, 'stage');
    expect(await readFile(path.join(stage, SSHD_DROPIN), 'utf8')).toContain('NotAnSshdKeyword yes');
    // The Include points into the copy as the tree's own sshd sees it (run inside the tree: the path without it).
    const inTree = `/${path.relative(t.root, stage)}`;
    expect(await readFile(path.join(stage, 'etc/ssh/sshd_config'), 'utf8')).toMatch(new RegExp(`^(Include |include=)"${inTree}/etc/ssh/sshd_config\\.d/\\*\\.conf"$`, 'm'));
    expect((await readdir(path.join(stage, 'etc/ssh'))).filter((n) => n.startsWith('ssh_host_'))).toEqual([]);
    process.kill(r.pid, 'SIGCONT');
    const e = await r.done;
    expect(e.code, e.stdout).toBe(40);
    expect(lastLine(e.stdout)).toBe('STNS_FLEET_RESULT=invalid');
    expect(e.stdout).toContain('STNS_FLEET_ERROR sshd -t refused the new configuration (output above); nothing was touched');
    // sshd's complaint, naming the live path the staged file stands for.
    expect(e.stdout).toMatch(/^\/etc\/ssh\/sshd_config\.d\/00-stns-fleet\.conf: line \d+: Bad configuration option: NotAnSshdKeyword$/m);
    expect(e.stdout).not.toContain('STNS_FLEET_FILE'); // nothing was ever renamed in
    expect(await treeState(t.root, hostFilesOnly)).toEqual(before);
    expect(await entries(path.join(t.root, 'var/backups'))).toEqual([]); // not even a backup was made
    expect(await entries(path.join(t.root, 'var/lib/stns-fleet'))).toEqual([]);
  });
}

test('a configuration sshd accepts is checked staged, written, then checked live again', async () => {
  const { script } = await planScript();
  const r = await stopAt(t, script, 'staged-check');
  process.kill(r.pid, 'SIGCONT');
  const e = await r.done;
  expect(e.code, e.stdout).toBe(0);
  const staged = e.stdout.indexOf('stns-fleet: sshd -t accepts the new configuration, staged');
  const written = e.stdout.indexOf(`STNS_FLEET_FILE ${SSHD_DROPIN} sshd`);
  const live = e.stdout.indexOf('stns-fleet: sshd -t accepts the new configuration\n');
  expect(staged).toBeGreaterThanOrEqual(0);
  expect(written).toBeGreaterThan(staged);
  expect(live).toBeGreaterThan(written);
});
