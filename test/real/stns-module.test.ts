// The REAL libnss-stns-v2 (libnss_stns.so.2 loaded by glibc's getent/id, and stns-key-wrapper), built from the
// upstream source, inside a Debian 12 root, against the lab's STNS server: what the stand-ins model, checked
// against the real thing. Also the real module's own behaviours a lab or a fleet run meets (upstream README):
// the range headers it reads case-sensitively, its cache keyed by path only, its lock file after a refused
// connection.
import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from 'vitest';
import { freshRoot, readFileIn, runInChroot, writeFileIn, type FreshRoot } from '../chroot/harness.js';
import { labDirectory, StnsServer } from '@stns-fleet/lab';
import { BUILD_TIMEOUT_MS, ensureRealRootfs, freePort, requireRealStnsOrSkip } from './real-stns.js';

const describeReal = requireRealStnsOrSkip();

const NSSWITCH = 'passwd:         files stns\ngroup:          files stns\nshadow:         files stns\ngshadow:        files\n\nhosts:          files dns\n';

describeReal('the real libnss-stns-v2 against the lab STNS server', () => {
  const dir = labDirectory('real-module');
  const server = new StnsServer(dir, [
    { name: 'web', value: 'tok-web', ...dir.access['web']! },
    { name: 'pi', value: 'tok-pi', ...dir.access['pi']! },
  ]);
  let endpoint = '';
  let rootfs = '';
  let root: FreshRoot;
  const conf = (o: { endpoint?: string; token?: string; cache?: boolean } = {}): string =>
    `api_endpoint = "${o.endpoint ?? endpoint}"\nauth_token = "${o.token ?? 'tok-web'}"\nrequest_timeout = 5\nrequest_retry = 1\ncache = ${o.cache ?? false}\n\n[cached]\nenable = false\n`;
  const sh = (script: string) => runInChroot(root.dir, script);
  const since = (n: number) => server.requests().slice(n).map((r) => `${r.token ?? '-'} ${r.status} ${r.url}`);

  beforeAll(async () => {
    rootfs = await ensureRealRootfs();
    endpoint = await server.listen(0);
  }, BUILD_TIMEOUT_MS);
  afterAll(() => server.close());
  beforeEach(async () => {
    root = await freshRoot({ rootfs });
    await writeFileIn(root.dir, '/etc/nsswitch.conf', NSSWITCH);
    await writeFileIn(root.dir, '/etc/stns/client/stns.conf', conf());
  });
  afterEach(() => root?.cleanup());

  test('the image carries the real package: libnss_stns.so.2 and an ELF stns-key-wrapper, linked to libcurl', async () => {
    const r = await sh("dpkg-query -W -f='${Status} ${Version}\\n' libnss-stns-v2; ls /usr/lib/*/libnss_stns.so.2; head -c 4 /usr/lib/stns/stns-key-wrapper | od -An -c | tr -d ' '; ldd /usr/lib/stns/stns-key-wrapper | grep -c libcurl\n");
    expect(r.stdout).toMatch(/^install ok installed 2\.6\.10-1\n\/usr\/lib\/[a-z0-9_]+-linux-gnu[a-z]*\/libnss_stns\.so\.2\n177ELF\n1\n$/);
  });

  test('getent through glibc NSS: by name, by id, groups, enumeration; `-s files` does not see STNS users', async () => {
    const n = server.requests().length;
    const r = await sh('getent passwd alice; getent passwd 2002; getent group ops; getent -s files passwd alice; echo "files=$?"\n');
    expect(r.stdout).toBe('alice:x:2001:2001:Alice Lab:/home/alice:/bin/bash\nbob:x:2002:2002:Bob Lab:/home/bob:/bin/bash\nops:x:3000:alice,bob\nfiles=2\n');
    expect(since(n)).toEqual(['web 200 /v1/users?name=alice', 'web 200 /v1/users?id=2002', 'web 200 /v1/groups?name=ops']);
    expect(server.requests().at(-1)!.userAgent).toMatch(/^stns\/2\./);
    const all = await sh('getent passwd | cut -d: -f1 | tr "\\n" " "\n');
    expect(all.stdout).toMatch(/^root .* alice bob carol dave $/); // files first, then STNS's /users list (what the token sees)
  });

  test('id: the groups come from enumerating the full /groups list (the module has no initgroups)', async () => {
    const n = server.requests().length;
    const r = await sh('id alice\n');
    expect(r.stdout).toBe('uid=2001(alice) gid=2001(alice) groups=2001(alice),3000(ops)\n');
    expect(since(n)).toContain('web 200 /v1/groups');
  });

  test('per token: the Pi token does not see dave (NSS: not found; key wrapper: exit 255) and sees erin', async () => {
    await writeFileIn(root.dir, '/etc/stns/client/stns.conf', conf({ token: 'tok-pi' }));
    const r = await sh('getent passwd dave; echo "dave=$?"; getent passwd erin; id erin; /usr/lib/stns/stns-key-wrapper dave; echo "wrapper=$?"\n');
    expect(r.stdout).toBe(`dave=2\nerin:x:2005:2005:Erin Lab (Raspberry Pis only):/home/erin:/bin/bash\nuid=2005(erin) gid=2005(erin) groups=2005(erin),3002(pi-admins)\nwrapper=255\n`);
    expect(r.stderr).toBe('http request failed user: dave\n');
    await writeFileIn(root.dir, '/etc/stns/client/stns.conf', conf({ token: 'tok-web' }));
    expect((await sh('getent passwd erin; echo "erin=$?"; getent group pi-admins; echo "pi-admins=$?"\n')).stdout).toBe('erin=2\npi-admins=2\n');
  });

  test('stns-key-wrapper: keys then an empty line; a user without keys an empty line; unknown user and wrong token exit 255', async () => {
    const alice = dir.users.find((u) => u.name === 'alice')!;
    const bob = dir.users.find((u) => u.name === 'bob')!;
    expect(await sh('/usr/lib/stns/stns-key-wrapper alice\n')).toEqual({ code: 0, stdout: `${alice.keys[0]}\n\n`, stderr: '' });
    expect((await sh('/usr/local/bin/stns-key-wrapper bob\n')).stdout).toBe(`${bob.keys.join('\n')}\n\n`);
    expect(await sh('/usr/lib/stns/stns-key-wrapper carol\n')).toEqual({ code: 0, stdout: '\n', stderr: '' });
    expect(await sh('/usr/lib/stns/stns-key-wrapper mallory\n')).toEqual({ code: 255, stdout: '', stderr: 'http request failed user: mallory\n' });
    await writeFileIn(root.dir, '/etc/stns/client/stns.conf', conf({ token: 'wrong' }));
    const before = server.stats.unauthorized;
    expect(await sh('/usr/lib/stns/stns-key-wrapper alice\n')).toEqual({ code: 255, stdout: '', stderr: 'http request failed user: alice\n' });
    expect(server.stats.unauthorized).toBe(before + 1); // no retry on an HTTP error
  });

  test('the range headers (read case-sensitively) spare by-id queries outside the token\'s ids, within one process', async () => {
    const n = server.requests().length;
    const r = await sh('getent passwd alice 9999; echo "rc=$?"\n');
    expect(r.stdout).toBe('alice:x:2001:2001:Alice Lab:/home/alice:/bin/bash\nrc=2\n');
    expect(since(n)).toEqual(['web 200 /v1/users?name=alice']); // 9999 > User-Highest-Id 2004: never asked
    const m = server.requests().length;
    await sh('getent passwd 9999\n'); // a fresh process has seen no header yet: it asks
    expect(since(m)).toEqual(['web 404 /v1/users?id=9999']);
  });

  test('its cache, under /var/cache/stns/<euid>/, is keyed by path only: a changed token keeps being answered from it', async () => {
    await writeFileIn(root.dir, '/etc/stns/client/stns.conf', conf({ cache: true }));
    expect((await sh('getent passwd alice\n')).code).toBe(0);
    expect((await sh('ls /var/cache/stns/0/\n')).stdout).toBe('users%3Fname%3Dalice\n');
    expect((await sh('stat -c %a /var/cache/stns\n')).stdout).toBe('1777\n');
    await writeFileIn(root.dir, '/etc/stns/client/stns.conf', conf({ cache: true, token: 'wrong' }));
    const n = server.requests().length;
    expect((await sh('getent passwd alice\n')).stdout).toBe('alice:x:2001:2001:Alice Lab:/home/alice:/bin/bash\n');
    expect(since(n)).toEqual([]); // not asked: the cached answer of the old token
    await sh('rm -rf /var/cache/stns\n');
    expect((await sh('getent passwd alice\n')).code).toBe(2);
    expect(since(n)).toEqual(['- 401 /v1/users?name=alice']);
  });

  test('after a refused connection it writes /var/tmp/.stns.lock and fails every lookup until the lock is gone', async () => {
    const closed = await freePort();
    await writeFileIn(root.dir, '/etc/stns/client/stns.conf', conf({ endpoint: `http://127.0.0.1:${closed}/v1` }));
    expect((await sh('getent passwd alice\n')).code).toBe(2);
    expect((await sh('test -e /var/tmp/.stns.lock && echo locked\n')).stdout).toBe('locked\n');
    await writeFileIn(root.dir, '/etc/stns/client/stns.conf', conf());
    const n = server.requests().length;
    expect((await sh('getent passwd alice\n')).code).toBe(2); // the right endpoint now, but locked (request_locktime 60 s)
    expect(since(n)).toEqual([]);
    await sh('rm -f /var/tmp/.stns.lock\n');
    expect((await sh('getent passwd alice\n')).code).toBe(0);
    expect(await readFileIn(root.dir, '/etc/stns/client/stns.conf')).toContain(endpoint);
  });
});
