// The verify script (src/verify/judge.ts): shellcheck, with a user name that needs quoting; and a run on a tree.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from 'vitest';
import { verifyScript } from '../../src/verify/judge.js';
import { shellcheck } from '../helpers/shellcheck.js';

test('the verify script is clean POSIX sh', () => {
  const sc = shellcheck(verifyScript({ users: ['alice', "o'brien"], testOptions: ['AuthorizedKeysCommand /usr/lib/stns-fleet/stns-fleet-keys %u %f'] }), 'verify');
  expect(sc.out).toBe('');
  expect(sc.code).toBe(0);
});

// What the script reports, read from the key wrapper's and getent's output by the shell itself: key lines
// counted, the first two other non-empty lines kept (at most 200 characters), getent's fields 1, 3 and 6 as
// `cut -d: -f1,3,6` gives them (a line without a colon whole), sshd -T's AuthorizedKeysCommand lines.
test('verify.sh on a tree: keys counted, messages cut, passwd fields, the keys command', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sf-verify-'));
  try {
    const root = path.join(dir, 'root');
    const bin = path.join(dir, 'bin');
    for (const d of ['usr/lib/stns', 'etc/stns/client']) mkdirSync(path.join(root, d), { recursive: true });
    mkdirSync(bin);
    const long = 'x'.repeat(300);
    const exe = (p: string, body: string): void => {
      writeFileSync(p, `#!/bin/sh\n${body}`);
      chmodSync(p, 0o755);
    };
    exe(path.join(root, 'usr/lib/stns/stns-key-wrapper'), `case "$1" in
a) printf 'ssh-ed25519 AAAA a\\n\\nerror: long ${long}\\nsecond\\nthird\\necdsa-sha2-nistp256 AAAA a\\n' ;;
b) printf 'just one\\n  \\n'; exit 3 ;;
c) printf 'sk-ssh-ed25519@openssh.com AAAA c\\n' ;;
esac\n`);
    exe(path.join(bin, 'getent'), `case "$2" in a) echo 'a:x:1:2:gecos:/home/a:/bin/sh' ;; c) printf 'no colon here\\nsecond\\n'; exit 2 ;; esac\n`);
    exe(path.join(bin, 'sshd'), `printf 'port 22\\nAuthorizedKeysCommand /usr/lib/stns/stns-key-wrapper\\nauthorizedkeyscommanduser root\\nusepam yes\\n'\n`);
    exe(path.join(bin, 'curl'), 'exit 7\n');
    writeFileSync(path.join(root, 'etc/stns/client/stns.conf'), 'api_endpoint = "http://127.0.0.1:9/v1"\n');
    const out = execFileSync('sh', ['-c', verifyScript({ users: ['a', 'b', 'c'], testOptions: [] })], {
      env: { PATH: `${bin}:${process.env['PATH']}`, STNS_FLEET_ROOT: root },
      encoding: 'utf8',
    });
    const msg = `error: long ${long}`.slice(0, 200);
    expect(out.split('\n')).toEqual([
      'STNS_FLEET_VERIFY lookup tree 0',
      `STNS_FLEET_VERIFY keys a 0 2 ${msg}`,
      'STNS_FLEET_VERIFY passwd a 0 a:1:/home/a',
      'STNS_FLEET_VERIFY keys b 3 0 just one    ',
      'STNS_FLEET_VERIFY passwd b - not asked',
      'STNS_FLEET_VERIFY why b none 000 7',
      'STNS_FLEET_VERIFY keys c 0 1 ',
      'STNS_FLEET_VERIFY passwd c 2 no colon here',
      'STNS_FLEET_VERIFY sshd AuthorizedKeysCommand /usr/lib/stns/stns-key-wrapper',
      'STNS_FLEET_VERIFY sshd authorizedkeyscommanduser root',
      'STNS_FLEET_VERIFY end',
      '',
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
