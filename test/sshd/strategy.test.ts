// Where sshd's keys command goes (src/sshd/strategy.ts), decided on small hand-written hosts: a drop-in when
// sshd_config includes sshd_config.d before anything sets the command; else a block at the top of sshd_config,
// with the lines it overrides disabled; else, when the command comes from `-o` options in sshd's systemd unit,
// an override drop-in; EC2 Instance Connect chained behind STNS. Each case checks the exact text written, and
// the result is read back by the lab's sshd stand-in (packages/lab/lab-bin/sshd.mjs), a separate reader of
// sshd's configuration, not the product's evaluator.
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { snapshotOf, type HostSnapshot } from '../../src/model/host-snapshot.js';
import { CHAIN_WRAPPER, KEY_WRAPPER, overridePath, planSshd, SSHD_DROPIN, stripManaged, type SshdOutcome } from '../../src/sshd/strategy.js';
import { loadTemplates, type Templates } from '../../src/render/templates.js';
import { labSshdKeys } from '../helpers/lab-sshd.js';
import { settings } from '../helpers/render.js';

const CONFIG = '/etc/ssh/sshd_config';
const SSH_OVERRIDE = '/etc/systemd/system/ssh.service.d/zz-stns-fleet.conf';
const EIC_UNIT_DROPIN = '/usr/lib/systemd/system/ssh.service.d/ec2-instance-connect.conf';

let t: Templates;
let dir: string;
beforeAll(async () => {
  t = await loadTemplates();
  dir = await mkdtemp(path.join(tmpdir(), 'sf-sshd-strategy-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const plan = (files: Record<string, string>, user = 'root'): SshdOutcome => planSshd(snapshotOf(files), 'ssh', settings({}, { sshd: { keysCommandUser: user } }), t);

/** path → content of every file the outcome writes (null: must be absent). */
const written = (o: SshdOutcome): Record<string, string | null> => Object.fromEntries([...o.files].map(([p, f]) => [p, f.content]));

/** The host with the outcome's files written (null removes). */
function applied(files: Record<string, string>, o: SshdOutcome): Record<string, string> {
  const out = { ...files };
  for (const [p, f] of o.files) {
    if (f.content === null) delete out[p];
    else out[p] = f.content;
  }
  return out;
}

/** What the lab's sshd stand-in reads from these files: `sshd -T [-o …]` on a tree holding them. */
const labSshd = async (files: Record<string, string>, options: string[] = []): Promise<{ command: string; user: string }> => labSshdKeys(Object.entries(files), options);

const DROPIN_TEXT = (command: string, user: string): string =>
  [
    '# Managed by stns-fleet: changes made here are overwritten by the next apply.',
    "# sshd asks STNS for users' public keys through this command. sshd keeps the first value it reads,",
    '# and this file sorts first in sshd_config.d, so it wins over later files.',
    `AuthorizedKeysCommand ${command}`,
    `AuthorizedKeysCommandUser ${user}`,
    '',
  ].join('\n');

const BLOCK_TEXT = (command: string, user: string): string =>
  [
    '# BEGIN stns-fleet managed block: do not edit; the next apply rewrites it.',
    '# sshd keeps the first value it reads, so these lines come first. Lines that set the same keywords',
    '# further down are disabled with "#[stns-fleet] " and come back if this block is removed.',
    `AuthorizedKeysCommand ${command}`,
    `AuthorizedKeysCommandUser ${user}`,
    '# END stns-fleet managed block',
    '',
  ].join('\n');

describe('a drop-in in sshd_config.d', () => {
  const main = 'PasswordAuthentication no\nInclude /etc/ssh/sshd_config.d/*.conf\nUsePAM yes\n';

  test('sshd_config includes the directory before any keys command: 00-stns-fleet.conf, sshd_config untouched', async () => {
    const files = { [CONFIG]: main, '/etc/ssh/sshd_config.d/50-cloud-init.conf': 'PasswordAuthentication yes\n' };
    const o = plan(files);
    expect(o.strategy).toBe('dropin');
    expect(o.error).toBeUndefined();
    expect(written(o)).toEqual({
      [SSHD_DROPIN]: DROPIN_TEXT(KEY_WRAPPER, 'root'),
      [CHAIN_WRAPPER]: null,
      [SSH_OVERRIDE]: null,
      [CONFIG]: main,
    });
    expect(o.files.get(SSHD_DROPIN)!.mode).toBe(0o644);
    expect(o.files.get(CONFIG)!.mode).toBe(0o600);
    expect(o.before).toBeUndefined();
    expect(o.after).toEqual({ command: KEY_WRAPPER, user: 'root', source: `${SSHD_DROPIN}:4` });
    expect(o.warnings).toEqual([]);
    expect(await labSshd(files)).toEqual({ command: 'none', user: 'none' }); // the stand-in prints none when unset
    expect(await labSshd(applied(files, o))).toEqual({ command: KEY_WRAPPER, user: 'root' });
  });

  test('a relative Include, the Keyword=value form, and the inventory\'s keys-command user', async () => {
    for (const include of ['Include sshd_config.d/*.conf', 'include=sshd_config.d/*.conf', 'Include /etc/ssh/sshd_config.d/*']) {
      const files = { [CONFIG]: `${include}\n` };
      const o = plan(files, 'nobody');
      expect(o.strategy, include).toBe('dropin');
      expect(written(o)[SSHD_DROPIN], include).toBe(DROPIN_TEXT(KEY_WRAPPER, 'nobody'));
      expect(await labSshd(applied(files, o))).toEqual({ command: KEY_WRAPPER, user: 'nobody' });
    }
  });

  test('a disabled keys command (none) before nothing else is replaced the same way', () => {
    const o = plan({ [CONFIG]: main, '/etc/ssh/sshd_config.d/10-x.conf': 'AuthorizedKeysCommand none\n' });
    expect(o.strategy).toBe('dropin');
    expect(o.before).toBeUndefined(); // "none" is no keys command
  });

  test('planning the converged host again writes the same files (our own drop-in is not "another keys command")', () => {
    const files = { [CONFIG]: main };
    const first = plan(files);
    const again = plan(applied(files, first));
    expect(again.error).toBeUndefined();
    expect(again.strategy).toBe('dropin');
    expect(written(again)).toEqual(written(first));
    expect(again.before).toEqual(first.after);
  });
});

describe('a managed block at the top of sshd_config', () => {
  test('no Include (OpenSSH 7.4): the block first; the global keys lines below disabled, a Match block left alone, with a warning', async () => {
    const main = [
      'PasswordAuthentication no',
      'AuthorizedKeysCommand none',
      '  authorizedkeyscommanduser=nobody',
      'Match User backup',
      '    AuthorizedKeysCommand /usr/local/bin/backup-keys %u',
      '',
    ].join('\n');
    const files = { [CONFIG]: main };
    const o = plan(files);
    expect(o.strategy).toBe('sshd_config');
    expect(o.error).toBeUndefined();
    const want =
      BLOCK_TEXT(KEY_WRAPPER, 'root') +
      [
        'PasswordAuthentication no',
        '#[stns-fleet] AuthorizedKeysCommand none',
        '#[stns-fleet]   authorizedkeyscommanduser=nobody',
        'Match User backup',
        '    AuthorizedKeysCommand /usr/local/bin/backup-keys %u',
        '',
      ].join('\n');
    expect(written(o)).toEqual({ [SSHD_DROPIN]: null, [CHAIN_WRAPPER]: null, [SSH_OVERRIDE]: null, [CONFIG]: want });
    expect(o.warnings).toEqual([`authorizedkeyscommand is also set inside a Match block at ${CONFIG}:11; it wins for connections that match`]);
    expect(await labSshd(applied(files, o))).toEqual({ command: KEY_WRAPPER, user: 'root' });
  });

  test('the block comes off again: stripManaged gives back the original sshd_config byte for byte', () => {
    const main = 'AuthorizedKeysCommand none\nAuthorizedKeysCommandUser nobody\n';
    const o = plan({ [CONFIG]: main });
    const converged = applied({ [CONFIG]: main }, o);
    expect(converged[CONFIG]).not.toBe(main);
    expect(stripManaged(snapshotOf(converged), 'ssh').files.get(CONFIG)!.toString()).toBe(main);
    // and planning the converged host again writes the same sshd_config (not a second block)
    expect(written(plan(converged))).toEqual(written(o));
  });

  test('an Include that comes after a keys setting: the drop-in would lose, so the block goes first', async () => {
    const main = 'AuthorizedKeysCommandUser nobody\nInclude /etc/ssh/sshd_config.d/*.conf\n';
    const files = { [CONFIG]: main };
    const o = plan(files);
    expect(o.strategy).toBe('sshd_config');
    expect(written(o)[SSHD_DROPIN]).toBeNull();
    expect(written(o)[CONFIG]).toBe(`${BLOCK_TEXT(KEY_WRAPPER, 'root')}#[stns-fleet] AuthorizedKeysCommandUser nobody\nInclude /etc/ssh/sshd_config.d/*.conf\n`);
    expect(await labSshd(applied(files, o))).toEqual({ command: KEY_WRAPPER, user: 'root' });
    // What a drop-in alone would have given: the earlier user wins.
    expect(await labSshd({ ...files, [SSHD_DROPIN]: DROPIN_TEXT(KEY_WRAPPER, 'root') })).toEqual({ command: KEY_WRAPPER, user: 'nobody' });
  });

  test('a drop-in that sorts before ours and sets the user: the block (read before every Include) wins', async () => {
    const files = { [CONFIG]: 'Include /etc/ssh/sshd_config.d/*.conf\n', '/etc/ssh/sshd_config.d/0-user.conf': 'AuthorizedKeysCommandUser nobody\n' };
    const o = plan(files);
    expect(o.strategy).toBe('sshd_config');
    expect(written(o)[CONFIG]).toBe(`${BLOCK_TEXT(KEY_WRAPPER, 'root')}Include /etc/ssh/sshd_config.d/*.conf\n`);
    expect(written(o)['/etc/ssh/sshd_config.d/0-user.conf']).toBeUndefined(); // never a file we do not own
    expect(await labSshd(applied(files, o))).toEqual({ command: KEY_WRAPPER, user: 'root' });
  });

  test('a drop-in that sets a keys command sshd never reads (no Include): a warning that it does not work', () => {
    const eic = '/etc/ssh/sshd_config.d/60-ec2-instance-connect.conf';
    const o = plan({ [CONFIG]: 'UsePAM yes\n', [eic]: 'AuthorizedKeysCommand /opt/aws/bin/eic_run_authorized_keys %u %f\n' });
    expect(o.strategy).toBe('sshd_config');
    expect(o.chainsEic).toBe(false); // what sshd does not read is not chained
    expect(o.warnings).toEqual([expect.stringMatching(new RegExp(`^${eic} sets AuthorizedKeysCommand, but sshd does not read it`))]);
  });
});

describe('EC2 Instance Connect, chained', () => {
  test('in sshd_config (Amazon Linux 2): the block names the chain wrapper as EIC\'s user; the wrapper prints STNS then EIC', async () => {
    const eic = path.join(dir, 'eic', 'eic_run_authorized_keys');
    const main = `AuthorizedKeysCommand ${eic} %u %f\nAuthorizedKeysCommandUser ec2-instance-connect\n`;
    const o = plan({ [CONFIG]: main });
    expect(o.strategy).toBe('sshd_config');
    expect(o.chainsEic).toBe(true);
    expect(o.before).toEqual({ command: `${eic} %u %f`, user: 'ec2-instance-connect', source: `${CONFIG}:1` });
    expect(written(o)[CONFIG]).toBe(
      `${BLOCK_TEXT(`${CHAIN_WRAPPER} %u %f`, 'ec2-instance-connect')}#[stns-fleet] AuthorizedKeysCommand ${eic} %u %f\n#[stns-fleet] AuthorizedKeysCommandUser ec2-instance-connect\n`,
    );
    expect(written(o)[CHAIN_WRAPPER]).toBe(
      [
        '#!/bin/sh',
        `# Managed by stns-fleet: sshd's AuthorizedKeysCommand on this host (${CHAIN_WRAPPER} %u %f).`,
        "# Prints the user's STNS keys, then EC2 Instance Connect's, so that neither way of logging in is lost.",
        'user="$1"',
        `if [ -x ${KEY_WRAPPER} ]; then`,
        `\t${KEY_WRAPPER} "$user" 2>/dev/null`,
        'fi',
        `exec ${eic} "$1" "$2"`,
        '',
      ].join('\n'),
    );
    expect(o.files.get(CHAIN_WRAPPER)!.mode).toBe(0o755);
    // sshd calls the wrapper as the block says (%u %f): EIC gets exactly what it would have got.
    await mkdir(path.dirname(eic), { recursive: true });
    await writeFile(eic, '#!/bin/sh\nprintf "eic:%s\\n" "$@"\n');
    await chmod(eic, 0o755);
    expect(execFileSync('sh', ['-c', written(o)[CHAIN_WRAPPER]!, 'stns-fleet-keys', 'alice', 'SHA256:abc'], { encoding: 'utf8' })).toBe('eic:alice\neic:SHA256:abc\n');
  });

  test('EIC wanting its tokens in another order: the wrapper takes %u first and passes EIC its own order', async () => {
    const eic = path.join(dir, 'eic2', 'curl_authorized_keys');
    await mkdir(path.dirname(eic), { recursive: true });
    await writeFile(eic, '#!/bin/sh\nprintf "eic:%s\\n" "$@"\n');
    await chmod(eic, 0o755);
    const o = plan({ [CONFIG]: `AuthorizedKeysCommand ${eic} --fp %f --user %u\nAuthorizedKeysCommandUser ec2-instance-connect\n` });
    expect(o.chainsEic).toBe(true);
    expect(o.after?.command).toBe(`${CHAIN_WRAPPER} %u %f %u`);
    const wrapper = written(o)[CHAIN_WRAPPER]!;
    expect(wrapper).toContain('user="$1"\nshift\n');
    expect(wrapper).toContain(`exec ${eic} --fp "$1" --user "$2"\n`);
    // sshd substitutes %u %f %u: alice, her key's fingerprint, alice.
    expect(execFileSync('sh', ['-c', wrapper, 'stns-fleet-keys', 'alice', 'SHA256:abc', 'alice'], { encoding: 'utf8' })).toBe('eic:--fp\neic:SHA256:abc\neic:--user\neic:alice\n');
  });

  test('from -o options in the ssh unit (Ubuntu): a systemd override with the same command line, our keys command in place', async () => {
    const eicDropin = [
      '[Service]',
      'ExecStart=',
      'ExecStart=/usr/sbin/sshd -D -o "AuthorizedKeysCommand /usr/share/ec2-instance-connect/eic_run_authorized_keys %%u %%f" -o "AuthorizedKeysCommandUser ec2-instance-connect" $SSHD_OPTS',
      '',
    ].join('\n');
    const main = 'Include /etc/ssh/sshd_config.d/*.conf\nKbdInteractiveAuthentication no\n';
    const files = { [CONFIG]: main, [EIC_UNIT_DROPIN]: eicDropin };
    const o = plan(files);
    expect(o.strategy).toBe('systemd');
    expect(o.chainsEic).toBe(true);
    expect(o.error).toBeUndefined();
    expect(o.before).toEqual({
      command: '/usr/share/ec2-instance-connect/eic_run_authorized_keys %u %f',
      user: 'ec2-instance-connect',
      source: `sshd -o option in ${EIC_UNIT_DROPIN}`,
    });
    const override = [
      '# Managed by stns-fleet: changes made here are overwritten by the next apply.',
      `# ${EIC_UNIT_DROPIN}`,
      '# starts sshd with -o AuthorizedKeysCommand options, which beat sshd_config. This drop-in sorts after it',
      '# ("zz-") and starts sshd with the same command line, but with the keys command that returns STNS keys',
      "# and then EC2 Instance Connect's.",
      '[Service]',
      'ExecStart=',
      `ExecStart=/usr/sbin/sshd -D -o "AuthorizedKeysCommand ${CHAIN_WRAPPER} %%u %%f" -o "AuthorizedKeysCommandUser ec2-instance-connect" $SSHD_OPTS`,
      '',
    ].join('\n');
    expect(overridePath('ssh')).toBe(SSH_OVERRIDE);
    expect(written(o)).toEqual({ [SSHD_DROPIN]: null, [CHAIN_WRAPPER]: expect.stringContaining('exec /usr/share/ec2-instance-connect/eic_run_authorized_keys "$1" "$2"\n'), [SSH_OVERRIDE]: override, [CONFIG]: main });
    expect(o.testOptions).toEqual([`AuthorizedKeysCommand ${CHAIN_WRAPPER} %u %f`, 'AuthorizedKeysCommandUser ec2-instance-connect']);
    // The -o options of the override's ExecStart, read by hand (%% is systemd's %), given to the lab's sshd.
    const execStart = /^ExecStart=(.+)$/m.exec(override.split('ExecStart=\n')[1]!)![1]!;
    const opts = [...execStart.matchAll(/-o "([^"]*)"/g)].map((m) => m[1]!.replace(/%%/g, '%'));
    expect(await labSshd(applied(files, o), opts)).toEqual({ command: `${CHAIN_WRAPPER} %u %f`, user: 'ec2-instance-connect' });
  });

  test('an unquoted -oKeyword=value option is replaced where it stands', () => {
    const unit = '[Service]\nExecStart=/usr/sbin/sshd -D -oAuthorizedKeysCommandUser=ec2-instance-connect -o "AuthorizedKeysCommand /opt/aws/bin/eic_run_authorized_keys %%u %%f"\n';
    const o = plan({ [CONFIG]: 'UsePAM yes\n', '/lib/systemd/system/ssh.service': unit });
    expect(o.strategy).toBe('systemd');
    expect(written(o)[SSH_OVERRIDE]).toMatch(
      new RegExp(`^ExecStart=/usr/sbin/sshd -D "-oAuthorizedKeysCommandUser ec2-instance-connect" -o "AuthorizedKeysCommand ${CHAIN_WRAPPER} %%u %%f"$`, 'm'),
    );
    expect(written(o)[SSH_OVERRIDE]).toContain('\n# /lib/systemd/system/ssh.service\n');
  });
});

describe('nothing to change, and refusals', () => {
  test('sshd_config already asks the key wrapper as the right user: unchanged, every file of ours absent', () => {
    const main = `AuthorizedKeysCommand ${KEY_WRAPPER}\nAuthorizedKeysCommandUser root\n`;
    const o = plan({ [CONFIG]: main });
    expect(o.strategy).toBe('unchanged');
    expect(written(o)).toEqual({ [SSHD_DROPIN]: null, [CHAIN_WRAPPER]: null, [SSH_OVERRIDE]: null, [CONFIG]: main });
    expect(o.error).toBeUndefined();
  });

  test('the key wrapper with another user is not "unchanged": the user is set', () => {
    const o = plan({ [CONFIG]: `AuthorizedKeysCommand ${KEY_WRAPPER}\nAuthorizedKeysCommandUser nobody\n` });
    expect(o.strategy).toBe('sshd_config');
    expect(o.after).toEqual({ command: KEY_WRAPPER, user: 'root', source: `${CONFIG}:4` });
  });

  test('another keys command is never replaced', () => {
    const o = plan({ [CONFIG]: 'Include /etc/ssh/sshd_config.d/*.conf\n', '/etc/ssh/sshd_config.d/50-sss.conf': 'AuthorizedKeysCommand /usr/bin/sss_ssh_authorizedkeys %u\n' });
    expect(o.error).toBe(
      'AuthorizedKeysCommand is already "/usr/bin/sss_ssh_authorizedkeys %u" (/etc/ssh/sshd_config.d/50-sss.conf:1); stns-fleet chains only EC2 Instance Connect and will not replace another keys command',
    );
    expect(o.files.size).toBe(0);
  });

  test('no sshd_config: an error, nothing invented', () => {
    const o = plan({ '/etc/ssh/sshd_config.d/50-cloud-init.conf': 'PasswordAuthentication no\n' });
    expect(o.error).toBe('/etc/ssh/sshd_config is absent; stns-fleet edits an existing sshd configuration and will not invent one');
    expect(o.files.size).toBe(0);
  });
});

test('stripManaged: our three files and our block go, everything else stays', () => {
  const s: HostSnapshot = snapshotOf({
    [CONFIG]: `${BLOCK_TEXT(KEY_WRAPPER, 'root')}UsePAM yes\n#[stns-fleet] AuthorizedKeysCommand none\n`,
    [SSHD_DROPIN]: 'x',
    [CHAIN_WRAPPER]: 'x',
    [overridePath('sshd')]: 'x',
    [overridePath('ssh')]: 'kept: another service',
    '/etc/ssh/sshd_config.d/50-cloud-init.conf': 'PasswordAuthentication no\n',
  });
  const out = stripManaged(s, 'sshd');
  expect(Object.fromEntries([...out.files].map(([p, b]) => [p, b.toString()]))).toEqual({
    [CONFIG]: 'UsePAM yes\nAuthorizedKeysCommand none\n',
    [overridePath('ssh')]: 'kept: another service',
    '/etc/ssh/sshd_config.d/50-cloud-init.conf': 'PasswordAuthentication no\n',
  });
});
