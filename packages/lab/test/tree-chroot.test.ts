// The lab's stand-in for chroot (lab-bin/tree-chroot.sh): the host script enters a tree (STNS_FLEET_ROOT) to run
// its own package manager and sshd; on a directory host those are the lab's stand-ins, which act on the tree
// already, so entering it runs the program by its name with the same environment. Only the host's own tree.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { writeStandins } from '../src/standins.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sf-tree-chroot-'));
const bin = path.join(dir, 'bin');
const root = path.join(dir, 'root');
mkdirSync(root);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function chroot(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(path.join(bin, 'chroot'), args, { env: { PATH: `${bin}:/usr/bin:/bin`, STNS_FLEET_ROOT: root }, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test("enters only the host's own tree: the program runs by its name, the lab's stand-ins first, the tree kept", async () => {
  await writeStandins(bin);
  expect(chroot(root, '/bin/sh', '-c', 'echo "$STNS_FLEET_ROOT"; command -v dpkg-query')).toEqual({ code: 0, out: `${root}\n${bin}/dpkg-query\n`, err: '' });
  expect(chroot(`${root}/`, '/bin/true').code).toBe(0);
  expect(chroot(root, '/usr/sbin/no-such-program').code).toBe(127);
  const other = chroot(dir, '/bin/true');
  expect(other.code).toBe(125);
  expect(other.err).toContain(`only this host's own tree (${root}) can be entered, not ${dir}`);
  expect(chroot().code).toBe(125);
});
