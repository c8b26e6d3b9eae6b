// What we know of a host's files (src/model/host-snapshot.ts): a directory's files listed as sshd's and sudo's
// glob(3) lists them in the C locale (checked against the shell's own glob on the same names), and a tree read
// from disk by a watch list: the exact paths, and a directory's files with the suffix, regular files only.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { byteOrder, listDir, readText, snapshotFromRoot, snapshotOf } from '../../src/model/host-snapshot.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sf-host-snapshot-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const NAMES = ['b.conf', 'B.conf', 'a.conf', '_x.conf', '00-x.conf', '0-x.conf', '10.conf', '9.conf', 'Z.conf', 'é.conf', '~x.conf', '-x.conf'];

test('listDir: the files directly in a directory, in the order the C locale\'s glob gives', async () => {
  const d = path.join(dir, 'sshd_config.d');
  await mkdir(d);
  for (const n of NAMES) await writeFile(path.join(d, n), '');
  const globbed = execFileSync('sh', ['-c', 'for f in "$1"/*; do printf "%s\\n" "${f##*/}"; done', 'sh', d], { env: { ...process.env, LC_ALL: 'C' }, encoding: 'utf8' }).trim().split('\n');
  expect(globbed).toHaveLength(NAMES.length);
  const s = snapshotOf({
    ...Object.fromEntries(NAMES.map((n) => [`/etc/ssh/sshd_config.d/${n}`, ''])),
    '/etc/ssh/sshd_config.d/sub/deeper.conf': '',
    '/etc/ssh/sshd_config': '',
    '/etc/ssh/sshd_config.d.bak/x.conf': '',
  });
  expect(listDir(s, '/etc/ssh/sshd_config.d')).toEqual(globbed.map((n) => `/etc/ssh/sshd_config.d/${n}`));
  expect(listDir(s, '/etc/ssh/sshd_config.d/')).toEqual(listDir(s, '/etc/ssh/sshd_config.d'));
  expect(listDir(s, '/etc/nowhere')).toEqual([]);
});

test('byteOrder compares UTF-8 bytes, not UTF-16 units or the locale', () => {
  // U+FF5E (EF BD 9E) sorts before U+1F511 (F0 9F 94 91) in bytes, after it in UTF-16 code units.
  expect(['\u{1F511}', '\uFF5E'].sort(byteOrder)).toEqual(['\uFF5E', '\u{1F511}']);
  expect(['b', 'B', 'a'].sort(byteOrder)).toEqual(['B', 'a', 'b']);
});

test('snapshotOf and readText', () => {
  const s = snapshotOf({ '/a': 'text', '/b': Buffer.from([0xff, 0x00]) });
  expect(readText(s, '/a')).toBe('text');
  expect(s.files.get('/b')).toEqual(Buffer.from([0xff, 0x00]));
  expect(readText(s, '/missing')).toBeUndefined();
});

test('snapshotFromRoot: the watched paths and each watched directory\'s files with the suffix; regular files only', async () => {
  const root = path.join(dir, 'root');
  const put = async (rel: string, content: string): Promise<void> => {
    await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await writeFile(path.join(root, rel), content);
  };
  await put('etc/nsswitch.conf', 'passwd: files\n');
  await put('etc/ssh/sshd_config.d/50-cloud-init.conf', 'PasswordAuthentication no\n');
  await put('etc/ssh/sshd_config.d/README', 'not a .conf\n');
  await mkdir(path.join(root, 'etc/ssh/sshd_config.d/dir.conf'));
  await put('srv/target.conf', 'through a link\n');
  await symlink('../../../srv/target.conf', path.join(root, 'etc/ssh/sshd_config.d/linked.conf'));
  await put('etc/sudoers.d/90-cloud-init-users', 'ada ALL=(ALL) NOPASSWD:ALL\n');
  await mkdir(path.join(root, 'etc/os-release'), { recursive: true }); // a directory where a file is watched
  const s = await snapshotFromRoot(root, {
    paths: ['/etc/nsswitch.conf', '/etc/os-release', '/etc/missing'],
    dirs: [
      { dir: '/etc/ssh/sshd_config.d', suffix: '.conf' },
      { dir: '/etc/sudoers.d', suffix: '' },
      { dir: '/etc/absent.d', suffix: '.conf' },
    ],
  });
  expect(Object.fromEntries([...s.files].map(([p, b]) => [p, b.toString()]))).toEqual({
    '/etc/nsswitch.conf': 'passwd: files\n',
    '/etc/ssh/sshd_config.d/50-cloud-init.conf': 'PasswordAuthentication no\n',
    '/etc/ssh/sshd_config.d/linked.conf': 'through a link\n',
    '/etc/sudoers.d/90-cloud-init-users': 'ada ALL=(ALL) NOPASSWD:ALL\n',
  });
  expect(s.fullSha).toBeUndefined(); // real bytes throughout
});
