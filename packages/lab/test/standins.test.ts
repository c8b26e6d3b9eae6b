// The stand-ins lab hosts find on PATH, run as a host command would run them (STNS_FLEET_ROOT = the host's
// tree): sshd -t / -T against the stock files of every OS and the project's own sshd evaluator,
// stns-key-wrapper and getent against the lab's STNS server, the package tools, uname/dpkg, services.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { effective, evaluateSshd, optionDirectives, snapshotOf } from 'stns-fleet';
import { LAB_BIN, wrapperFor } from '../src/standins.js';
import { standin, useLab } from './helpers.js';

const TOKEN = 'we"b\\tok\'en';
const t = useLab({ hosts: 10, pis: 1, seed: 'standins', tokens: { web: TOKEN } });
const hostOf = (os: string) => t.lab.hosts.find((h) => h.os === os)!;
const put = (dir: string, p: string, content: string): void => {
  mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
  writeFileSync(path.join(dir, p), content);
};
const run = (os: string, ...argv: string[]) => standin(t.lab, hostOf(os).dir, argv);
/** The served stand-ins (sshd, getent, stns-key-wrapper) both ways: their own node process (a tree outside a
 * lab), and answered by the lab (a lab host). */
const SERVED_MODES = [
  { mode: 'a node process', served: false },
  { mode: 'served by the lab', served: true },
];

/** A TOML basic string, escaped as the project's renderer does for quotes, backslashes and control bytes. */
const toml = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

describe.each(SERVED_MODES)('sshd, $mode', ({ served }) => {
  const run = (os: string, ...argv: string[]) => standin(t.lab, hostOf(os).dir, argv, { served });

  test('-t accepts the stock configuration of every OS that ships one', async () => {
    const all = ['debian-11', 'debian-12', 'debian-13', 'ubuntu-20.04', 'ubuntu-22.04', 'ubuntu-24.04', 'ubuntu-26.04', 'amazon-linux-2', 'amazon-linux-2023', 'raspberry-pi-os'];
    for (const os of all) {
      expect(hostOf(os), os).toBeDefined();
      expect(await run(os, 'sshd', '-t'), os).toEqual({ code: 0, out: '', err: '' });
    }
  });

  test('-t refuses unknown keywords and missing values in included files, one line each, exit 255', async () => {
    const h = hostOf('ubuntu-22.04');
    put(h.dir, '/etc/ssh/sshd_config.d/99-bad.conf', '# a comment\nBogus yes\nPasswordAuthentication\nAuthorizedKeysCommand relative/path\n');
    try {
      expect(await run('ubuntu-22.04', 'sshd', '-t')).toEqual({
        code: 255,
        out: '',
        err:
          '/etc/ssh/sshd_config.d/99-bad.conf: line 2: Bad configuration option: Bogus\n' +
          '/etc/ssh/sshd_config.d/99-bad.conf: line 3: PasswordAuthentication missing argument.\n' +
          '/etc/ssh/sshd_config.d/99-bad.conf: line 4: AuthorizedKeysCommand must be an absolute path\n' +
          '/etc/ssh/sshd_config: terminating, 3 bad configuration options\n',
      });
      expect((await run('ubuntu-22.04', 'sshd', '-t', '-o', 'Nonsense=1')).err).toContain('command-line line 0: Bad configuration option: Nonsense');
    } finally {
      put(h.dir, '/etc/ssh/sshd_config.d/99-bad.conf', '');
    }
    // Amazon Linux 2's sshd_config has no Include: a drop-in is never read, good or bad.
    put(hostOf('amazon-linux-2').dir, '/etc/ssh/sshd_config.d/99-bad.conf', 'Bogus yes\n');
    expect((await run('amazon-linux-2', 'sshd', '-t')).code).toBe(0);
  });

  test('-T: -o first, then files in Include order, the first value wins, a Match ends its file; as src/sshd/config.ts reads it', async () => {
    const h = hostOf('ubuntu-24.04');
    put(h.dir, '/etc/ssh/sshd_config.d/05-match.conf', 'Match User bob\n  AuthorizedKeysCommand /match %u\n');
    put(h.dir, '/etc/ssh/sshd_config.d/10-a.conf', 'AuthorizedKeysCommand /usr/lib/stns/stns-key-wrapper %u\nAuthorizedKeysCommandUser root\n');
    put(h.dir, '/etc/ssh/sshd_config.d/20-b.conf', 'AuthorizedKeysCommand /b\nAuthorizedKeysCommandUser nobody\n');
    const opts = ['AuthorizedKeysCommandUser ec2-instance-connect'];
    const r = await run('ubuntu-24.04', 'sshd', '-T', '-o', opts[0]!);
    expect(r).toEqual({ code: 0, err: '', out: 'authorizedkeyscommand /usr/lib/stns/stns-key-wrapper %u\nauthorizedkeyscommanduser ec2-instance-connect\n' });
    // The project's evaluator, on the same files, agrees.
    const files: Record<string, string> = {};
    const walk = (rel: string): void => {
      for (const n of readdirSync(path.join(h.dir, rel))) {
        const p = `${rel}/${n}`;
        if (statSync(path.join(h.dir, p)).isDirectory()) walk(p);
        else files[p] = readFileSync(path.join(h.dir, p), 'utf8');
      }
    };
    walk('/etc/ssh');
    const ev = evaluateSshd(snapshotOf(files), { options: optionDirectives(opts, 'test') });
    expect(`authorizedkeyscommand ${effective(ev, 'AuthorizedKeysCommand')!.args.join(' ')}\nauthorizedkeyscommanduser ${effective(ev, 'AuthorizedKeysCommandUser')!.args[0]}\n`).toBe(r.out);
    expect((await run('debian-12', 'sshd', '-T')).out).toBe('authorizedkeyscommand none\nauthorizedkeyscommanduser none\n');
    expect((await run('amazon-linux-2', 'sshd', '-T')).out).toBe('authorizedkeyscommand /opt/aws/bin/eic_run_authorized_keys %u %f\nauthorizedkeyscommanduser ec2-instance-connect\n');
  });
});

describe('stand-ins served by the lab', () => {
  test('starts no node process, and gives the same bytes as the node stand-in for a refused configuration', async () => {
    const h = hostOf('debian-12');
    const noNode = path.join(t.lab.workDir, 'bin-no-node');
    mkdirSync(noNode, { recursive: true });
    writeFileSync(path.join(noNode, 'sshd'), wrapperFor('sshd', '/nonexistent/node'), { mode: 0o755 });
    put(h.dir, '/etc/ssh/sshd_config.d/99-bad.conf', "Bogus 'it''s'\nBanner\n");
    try {
      const argv = ['sshd', '-t', '-o', "Banner=/a b'c", '-f', `${h.dir}/etc/ssh/sshd_config`];
      const served = await standin(t.lab, h.dir, argv, { served: true, bin: noNode });
      expect(served.code).toBe(255);
      expect(served.err).toContain('99-bad.conf: line 1: Bad configuration option: Bogus');
      expect(served).toEqual(await standin(t.lab, h.dir, argv));
      // Without the lab's URL the same wrapper needs its node, and there is none.
      expect((await standin(t.lab, h.dir, argv, { bin: noNode })).code).toBe(127);
    } finally {
      put(h.dir, '/etc/ssh/sshd_config.d/99-bad.conf', '');
    }
  });

  test('getent and the key wrapper: no node process, the bytes the node stand-ins give', async () => {
    const h = hostOf('debian-12');
    const noNode = path.join(t.lab.workDir, 'bin-no-node-stns');
    mkdirSync(noNode, { recursive: true });
    for (const name of ['getent', 'stns-key-wrapper']) writeFileSync(path.join(noNode, name), wrapperFor(name, '/nonexistent/node'), { mode: 0o755 });
    const stock = { nss: readFileSync(path.join(h.dir, 'etc/nsswitch.conf'), 'utf8') };
    put(h.dir, '/etc/nsswitch.conf', stock.nss.replace(/^(passwd:\s+files)/m, '$1 stns'));
    put(h.dir, '/etc/stns/client/stns.conf', `api_endpoint = ${toml(t.lab.stnsEndpoint)}\nauth_token = ${toml(TOKEN)}\n`);
    try {
      const cases: [string, string[]][] = [
        ['getent', ['passwd', 'alice', 'root', 'mallory']],
        ['getent', ['shadow', 'alice']],
        ['stns-key-wrapper', ['bob']],
        ['stns-key-wrapper', ['mallory']],
      ];
      for (const [name, args] of cases) {
        const served = await standin(t.lab, h.dir, [name, ...args], { served: true, bin: noNode });
        const node = await standin(t.lab, h.dir, [name, ...args]);
        expect(served, `${name} ${args.join(' ')}`).toEqual(node);
        // Without the lab's URL the wrapper needs its node, and there is none.
        expect((await standin(t.lab, h.dir, [name, ...args], { bin: noNode })).code, `${name} ${args.join(' ')}, no lab`).toBe(127);
      }
      expect(await standin(t.lab, h.dir, ['stns-key-wrapper', 'alice'], { served: true, bin: noNode })).toEqual({ code: 0, out: `${t.lab.stnsUsers[0]!.keys[0]}\n\n`, err: '' });
      expect(await standin(t.lab, h.dir, ['getent', 'passwd', 'alice'], { served: true, bin: noNode })).toEqual({ code: 0, out: 'alice:x:2001:2001:Alice Lab:/home/alice:/bin/bash\n', err: '' });
    } finally {
      put(h.dir, '/etc/nsswitch.conf', stock.nss);
    }
  });

  test('the lab serves only its hosts\' trees', async () => {
    const r = await fetch(`${t.lab.endpoint}/_lab/sshd`, { method: 'POST', body: '/etc\0-t\0' });
    expect(r.status).toBe(404);
    expect(await r.text()).toContain("not a lab host's tree: /etc");
  });
});

describe.each(SERVED_MODES)('STNS clients, $mode', ({ served }) => {
  const run = (os: string, ...argv: string[]) => standin(t.lab, hostOf(os).dir, argv, { served });
  const conf = (endpoint: string, token: string) => `# Managed by a test\napi_endpoint = ${toml(endpoint)}\nauth_token = ${toml(token)}\nrequest_timeout = 3\n\n[cached]\nenable = false\n`;

  test('stns-key-wrapper: keys with the right token (escaped in TOML); 255 and the real message otherwise', async () => {
    const h = hostOf('debian-12');
    put(h.dir, '/etc/stns/client/stns.conf', conf(t.lab.stnsEndpoint, TOKEN));
    const alice = t.lab.stnsUsers.find((u) => u.name === 'alice')!;
    const bob = t.lab.stnsUsers.find((u) => u.name === 'bob')!;
    expect(await run('debian-12', 'stns-key-wrapper', 'alice')).toEqual({ code: 0, out: `${alice.keys[0]}\n\n`, err: '' });
    expect((await run('debian-12', 'stns-key-wrapper', 'bob')).out).toBe(`${bob.keys.join('\n')}\n\n`);
    expect(await run('debian-12', 'stns-key-wrapper', 'carol')).toEqual({ code: 0, out: '\n', err: '' });
    expect(await run('debian-12', 'stns-key-wrapper', 'mallory')).toEqual({ code: 255, out: '', err: 'http request failed user: mallory\n' });
    expect(await run('debian-12', 'stns-key-wrapper')).toMatchObject({ code: 255, err: 'User name is a required parameter\n' });
    put(h.dir, '/etc/stns/client/stns.conf', conf(t.lab.stnsEndpoint, 'wrong'));
    const before = t.lab.stats().stns.unauthorized;
    expect(await run('debian-12', 'stns-key-wrapper', 'alice')).toEqual({ code: 255, out: '', err: 'http request failed user: alice\n' });
    expect(t.lab.stats().stns.unauthorized).toBe(before + 1);
    put(h.dir, '/etc/stns/client/stns.conf', conf('http://127.0.0.1:9/v1', TOKEN));
    expect(await run('debian-12', 'stns-key-wrapper', 'alice')).toEqual({ code: 255, out: '', err: 'http request failed user: alice\n' });
    put(h.dir, '/etc/stns/client/stns.conf', 'api_endpoint = "unterminated\n');
    expect(await run('debian-12', 'stns-key-wrapper', 'alice')).toEqual({ code: 255, out: '', err: '' });
    // \u escapes are TOML too.
    put(h.dir, '/etc/stns/client/stns.conf', `api_endpoint = ${toml(t.lab.stnsEndpoint)}\nauth_token = "\\u0077e\\"b\\\\tok'en"\n`);
    expect((await run('debian-12', 'stns-key-wrapper', 'alice')).code).toBe(0);
  });

  test('getent asks STNS only when nsswitch.conf lists stns; files first; ids and groups', async () => {
    const h = hostOf('ubuntu-22.04');
    put(h.dir, '/etc/stns/client/stns.conf', conf(t.lab.stnsEndpoint, t.lab.tokens.pi));
    expect(await run('ubuntu-22.04', 'getent', 'passwd', 'root')).toEqual({ code: 0, out: 'root:x:0:0:root:/root:/bin/bash\n', err: '' });
    expect(await run('ubuntu-22.04', 'getent', 'passwd', 'alice')).toEqual({ code: 2, out: '', err: '' });
    const stock = readFileSync(path.join(h.dir, 'etc/nsswitch.conf'), 'utf8');
    put(h.dir, '/etc/nsswitch.conf', stock.replace(/^(passwd:\s+files)/m, '$1 stns').replace(/^(group:\s+files)/m, '$1 stns'));
    try {
      expect(await run('ubuntu-22.04', 'getent', 'passwd', 'alice')).toEqual({ code: 0, out: 'alice:x:2001:2001:Alice Lab:/home/alice:/bin/bash\n', err: '' });
      expect((await run('ubuntu-22.04', 'getent', 'passwd', '2002')).out).toBe('bob:x:2002:2002:Bob Lab:/home/bob:/bin/bash\n');
      expect((await run('ubuntu-22.04', 'getent', 'group', 'ops')).out).toBe('ops:x:3000:alice,bob\n');
      expect(await run('ubuntu-22.04', 'getent', 'passwd', 'alice', 'mallory')).toMatchObject({ code: 2, out: 'alice:x:2001:2001:Alice Lab:/home/alice:/bin/bash\n' });
      put(h.dir, '/etc/stns/client/stns.conf', conf(t.lab.stnsEndpoint, 'wrong'));
      expect((await run('ubuntu-22.04', 'getent', 'passwd', 'alice')).code).toBe(2);
    } finally {
      put(h.dir, '/etc/nsswitch.conf', stock);
    }
  });
});

describe('packages', () => {
  test('apt: nothing installed; install needs the STNS repository; then dpkg-query and the installed key wrapper work', async () => {
    const h = hostOf('debian-11');
    expect(await run('debian-11', 'dpkg-query', '-W', '-f=${Status}', 'libnss-stns-v2')).toEqual({ code: 1, out: '', err: 'dpkg-query: no packages found matching libnss-stns-v2\n' });
    expect((await run('debian-11', 'dpkg-query', '-W', '-f=${Status}', 'openssh-server')).out).toBe('install ok installed');
    expect(await run('debian-11', 'apt-get', 'install', '-y', 'libnss-stns-v2')).toMatchObject({ code: 100, err: 'E: Unable to locate package libnss-stns-v2\n' });
    put(h.dir, '/etc/apt/sources.list.d/stns-fleet.list', 'deb [signed-by=/etc/apt/keyrings/stns-fleet.gpg] https://repo.stns.jp/bullseye/ stns bullseye\n');
    expect((await run('debian-11', 'apt-get', 'update', '-o', 'Dir::Etc::sourcelist=sources.list.d/stns-fleet.list')).code).toBe(0);
    expect((await run('debian-11', 'apt-get', 'install', '-y', '--no-install-recommends', '-o', 'Dpkg::Options::=--force-confold', 'libnss-stns-v2', 'cache-stnsd')).code).toBe(0);
    expect((await run('debian-11', 'dpkg-query', '-W', '-f=${Status}', 'cache-stnsd')).out).toBe('install ok installed');
    expect((await run('debian-11', 'dpkg-query', '-W', 'libnss-stns-v2')).out).toBe('libnss-stns-v2\t2.6.10-1\n');
    expect(readFileSync(path.join(h.dir, 'etc/stns/client/stns.conf'), 'utf8')).toMatch(/^#api_endpoint/);
    put(h.dir, '/etc/stns/client/stns.conf', `api_endpoint = ${toml(t.lab.stnsEndpoint)}\nauth_token = ${toml(t.lab.tokens.pi)}\n`);
    const installed = await standin(t.lab, h.dir, ['../hosts/' + path.basename(h.dir) + '/usr/lib/stns/stns-key-wrapper', 'alice']);
    expect(installed).toMatchObject({ code: 0, out: `${t.lab.stnsUsers[0]!.keys[0]}\n\n` });
    // The installed wrapper is answered by the lab when the host runs under it: the same bytes with no node at all.
    const noNode = path.join(h.dir, 'usr/lib/stns/stns-key-wrapper-no-node');
    writeFileSync(noNode, readFileSync(path.join(h.dir, 'usr/lib/stns/stns-key-wrapper'), 'utf8').replace(/^exec '[^']+'/m, "exec '/nonexistent/node'"), { mode: 0o755 });
    const argv = ['../hosts/' + path.basename(h.dir) + '/usr/lib/stns/stns-key-wrapper-no-node', 'alice'];
    expect(await standin(t.lab, h.dir, argv, { served: true })).toEqual(installed);
    expect((await standin(t.lab, h.dir, argv)).code).toBe(127);
  });

  test('rpm/yum: the same on Amazon Linux 2, rpm -q answers as rpm does', async () => {
    const h = hostOf('amazon-linux-2');
    expect(await run('amazon-linux-2', 'rpm', '-q', 'libnss-stns-v2')).toEqual({ code: 1, out: 'package libnss-stns-v2 is not installed\n', err: '' });
    expect((await run('amazon-linux-2', 'yum', 'install', '-y', 'libnss-stns-v2')).code).toBe(1);
    put(h.dir, '/etc/yum.repos.d/stns-fleet.repo', '[stns-fleet]\nname=stns\nbaseurl=https://repo.stns.jp/centos/$basearch/2\ngpgcheck=1\n');
    expect((await run('amazon-linux-2', 'yum', 'install', '-y', 'libnss-stns-v2')).code).toBe(0);
    expect(await run('amazon-linux-2', 'rpm', '-q', 'libnss-stns-v2')).toEqual({ code: 0, out: 'libnss-stns-v2-2.6.10-1.x86_64\n', err: '' });
    expect(statSync(path.join(h.dir, 'usr/lib/stns/stns-key-wrapper')).mode & 0o111).toBeTruthy();
  });

  test('architecture: dpkg and uname answer for the host, not for this machine', async () => {
    expect((await run('raspberry-pi-os', 'dpkg', '--print-architecture')).out).toBe('arm64\n');
    expect((await run('raspberry-pi-os', 'uname', '-m')).out).toBe('aarch64\n');
    expect((await run('amazon-linux-2023', 'dpkg', '--print-architecture')).code).toBe(127);
    expect((await run('amazon-linux-2023', 'uname', '-m')).out).toBe('x86_64\n');
    expect((await run('debian-12', 'uname', '-s')).out).toBe('Linux\n');
  });
});

test('systemctl and service succeed; the SSM agent stand-in records stop and start', async () => {
  const pi = hostOf('raspberry-pi-os');
  expect((await run('ubuntu-24.04', 'systemctl', 'reload', 'ssh')).code).toBe(0);
  expect((await run('raspberry-pi-os', 'service', 'amazon-ssm-agent', 'stop')).code).toBe(0);
  expect(readFileSync(path.join(pi.dir, 'var/lib/stns-fleet-lab/agent'), 'utf8')).toMatch(/^stopped \d+\n$/);
  expect(await run('raspberry-pi-os', 'systemctl', 'is-active', 'amazon-ssm-agent')).toEqual({ code: 3, out: 'inactive\n', err: '' });
  expect(t.lab.host(pi.key)!.pingStatus).toBe('ConnectionLost');
  expect((await run('raspberry-pi-os', 'systemctl', 'start', 'amazon-ssm-agent')).code).toBe(0);
  expect(await run('raspberry-pi-os', 'systemctl', 'is-active', '--quiet', 'amazon-ssm-agent')).toEqual({ code: 0, out: '', err: '' });
  expect(t.lab.host(pi.key)!.pingStatus).toBe('Online');
});
