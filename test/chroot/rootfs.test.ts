/**
 * Sanity checks for the chroot harness and the cached Debian 12 rootfs.
 */
import { lstat, readFile, readlink, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import {
  buildDummyDeb,
  freshRoot,
  hostPath,
  installDeb,
  readFileIn,
  requireChrootOrSkip,
  runInChroot,
  sha256,
  writeFileIn,
  type FreshRoot,
} from './harness.js';

const describeChroot = requireChrootOrSkip();

describeChroot('chroot rootfs (Debian 12 minbase + openssh-server)', () => {
  let root: FreshRoot;
  beforeEach(async () => {
    root = await freshRoot();
  });
  afterEach(async () => {
    await root.cleanup();
  });

  test('it is Debian 12 and /bin/sh is dash', async () => {
    expect(await readFileIn(root.dir, '/etc/debian_version')).toMatch(/^12\./);
    const r = await runInChroot(root.dir, 'readlink -f /bin/sh\necho "$0" "$#" "$1"\n', { args: ['a b'] });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe('/usr/bin/dash\n/tmp/stns-fleet-test.sh 1 a b\n');
  });

  test('runs with a clean environment plus opts.env', async () => {
    const r = await runInChroot(root.dir, 'env | LC_ALL=C sort\n', { env: { FOO: 'bar' } });
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l && !l.startsWith('PWD='))).toEqual([
      'FOO=bar',
      'PATH=/usr/sbin:/usr/bin:/sbin:/bin',
    ]);
  });

  test('reports exit codes and stderr', async () => {
    const r = await runInChroot(root.dir, 'echo oops >&2; exit 7\n');
    expect(r).toEqual({ code: 7, stdout: '', stderr: 'oops\n' });
  });

  test('sshd -t passes on the stock config', async () => {
    const r = await runInChroot(root.dir, '/usr/sbin/sshd -t\n');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  test('sshd -t fails on a broken drop-in', async () => {
    await writeFileIn(root.dir, '/etc/ssh/sshd_config.d/x.conf', 'ThisIsNotAnOption yes\n');
    const r = await runInChroot(root.dir, '/usr/sbin/sshd -t\n');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/x\.conf.*Bad configuration option/);
  });

  test('a dummy deb installs and dpkg-query reports it', async () => {
    const deb = await buildDummyDeb({
      name: 'libnss-stns-v2',
      version: '2.6.5-1',
      files: {
        '/usr/lib/stns/stns-key-wrapper': { content: '#!/bin/sh\necho wrapped "$@"\n', mode: 0o755 },
        '/etc/stns/client/stns.conf': { content: 'api_endpoint = "http://localhost:1104/v1"\n' },
      },
    });
    await installDeb(root.dir, deb);
    const r = await runInChroot(
      root.dir,
      "dpkg-query -W -f='${Status} ${Version}\\n' libnss-stns-v2\n/usr/lib/stns/stns-key-wrapper x\ncat /var/lib/dpkg/info/libnss-stns-v2.conffiles\n",
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('install ok installed 2.6.5-1\nwrapped x\n/etc/stns/client/stns.conf\n');
    const mode = (await lstat(await hostPath(root.dir, '/usr/lib/stns/stns-key-wrapper'))).mode & 0o777;
    expect(mode).toBe(0o755);
  });

  test('a package with a postinst works (policy-rc.d blocks service starts)', async () => {
    const deb = await buildDummyDeb({
      name: 'cache-stnsd',
      version: '0.3.0-1',
      files: { '/usr/sbin/cache-stnsd': { content: '#!/bin/sh\nexit 0\n', mode: 0o755 } },
      // Without policy-rc.d this would start the chroot's sshd on the host.
      scripts: { postinst: '#!/bin/sh\nset -e\ninvoke-rc.d ssh start\necho postinst-done\n' },
    });
    const r = await installDeb(root.dir, deb);
    expect(r.stderr).toMatch(/policy-rc\.d denied execution of start/);
    expect(r.stdout).toMatch(/postinst-done/);
  });

  test('sha256 and readFileIn resolve symlinks inside the root only', async () => {
    await writeFileIn(root.dir, '/etc/a.txt', 'hello\n');
    // An absolute link must resolve inside the root, never to the host's file.
    await symlink('/etc/a.txt', join(root.dir, 'etc/b.txt'));
    expect(await readFileIn(root.dir, '/etc/b.txt')).toBe('hello\n');
    expect(await sha256(root.dir, '/etc/b.txt')).toBe(
      '5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03',
    );
    // Via the merged-/usr link /bin -> usr/bin, and with a .. escape attempt.
    expect(await hostPath(root.dir, '/bin/sh', { followLast: false })).toBe(join(root.dir, 'usr/bin/sh'));
    expect(await hostPath(root.dir, '/../../etc/a.txt')).toBe(join(root.dir, 'etc/a.txt'));
    // writeFileIn replaces a symlink instead of writing through it.
    await writeFileIn(root.dir, '/etc/b.txt', 'replaced\n');
    expect(await readFileIn(root.dir, '/etc/a.txt')).toBe('hello\n');
  });

  test('copy mode (STNS_FLEET_ROOT_MODE=copy) gives a working root too', async () => {
    const saved = process.env.STNS_FLEET_ROOT_MODE;
    process.env.STNS_FLEET_ROOT_MODE = 'copy';
    const copy = await freshRoot().finally(() => {
      if (saved === undefined) delete process.env.STNS_FLEET_ROOT_MODE;
      else process.env.STNS_FLEET_ROOT_MODE = saved;
    });
    try {
      expect(copy.mode).toBe('copy');
      const r = await runInChroot(copy.dir, '/usr/sbin/sshd -t && echo ok\n');
      expect(r).toMatchObject({ code: 0, stdout: 'ok\n' });
    } finally {
      await copy.cleanup();
    }
  });

  test('a private /proc on request, gone afterwards', async () => {
    const r = await runInChroot(root.dir, 'test -r /proc/self/status && echo has-proc\n', { proc: true });
    expect(r).toMatchObject({ code: 0, stdout: 'has-proc\n' });
    const mounts = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n');
    expect(mounts.filter((l) => l.includes(`${root.dir}/proc`))).toEqual([]);
  });

  test('two fresh roots are independent, and cleanup removes a root without following links out', async () => {
    const other = await freshRoot();
    try {
      await writeFileIn(root.dir, '/etc/ssh/sshd_config.d/x.conf', 'PermitRootLogin no\n');
      await runInChroot(root.dir, 'echo changed >> /etc/motd\n');
      expect(await sha256(other.dir, '/etc/motd')).not.toBe(await sha256(root.dir, '/etc/motd'));
      await expect(lstat(join(other.dir, 'etc/ssh/sshd_config.d/x.conf'))).rejects.toThrow();

      // A link pointing at a host directory that must survive cleanup.
      const outside = await freshRoot();
      try {
        await symlink(outside.dir, join(other.dir, 'escape'));
        await other.cleanup();
        await expect(lstat(other.dir)).rejects.toThrow();
        expect(await readlink(join(outside.dir, 'bin'))).toBe('usr/bin');
      } finally {
        await outside.cleanup();
      }
    } finally {
      await other.cleanup();
    }
  });
});
