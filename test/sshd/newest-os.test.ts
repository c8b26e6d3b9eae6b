// sshd wiring on the newest OS lines: Amazon Linux 2023 with and without EC2 Instance Connect (the standard and
// the minimal AMI), an AL2023 host whose sshd_config lost its Include, and the generic RPM's `-o` drop-in; the
// chain wrapper kept exactly as on Amazon Linux 2 and Ubuntu; OpenSSH 10's split daemon and Ubuntu's
// socket-activated `ssh` unit as profile data.
import { describe, expect, test } from 'vitest';
import { profileById } from '../../src/profiles/index.js';
import { effective, evaluateSshd, optionDirectives } from '../../src/sshd/config.js';
import { CHAIN_WRAPPER, overridePath, SSHD_DROPIN } from '../../src/sshd/strategy.js';
import { effectiveExecStart } from '../../src/sshd/systemd.js';
import { applyDesired, render, stock, stockFile, withFiles } from '../helpers/render.js';

const EIC_DROPIN = '/etc/ssh/sshd_config.d/60-ec2-instance-connect.conf';
const content = (r: Awaited<ReturnType<typeof render>>, p: string) => r.desired.files.find((f) => f.path === p)?.content?.toString('utf8') ?? null;

/** The keys command sshd would really use on the converged host. */
function keysCommand(r: Awaited<ReturnType<typeof render>>): { command: string; user: string } {
  const s = applyDesired(r.snapshot, r.desired);
  const exec = effectiveExecStart(s, r.profile.sshd.service);
  const ev = evaluateSshd(s, { options: exec ? optionDirectives(exec.sshdOptions, exec.origin) : [] });
  return { command: effective(ev, 'AuthorizedKeysCommand')!.args.join(' '), user: effective(ev, 'AuthorizedKeysCommandUser')!.args.join(' ') };
}

describe('Amazon Linux 2023', () => {
  test('the stock sshd_config is RHEL 9-style: Include right after the header comment, 50-redhat.conf beside', () => {
    const cfg = stockFile('amazon-linux-2023', 'etc/ssh/sshd_config').split('\n');
    const include = cfg.indexOf('Include /etc/ssh/sshd_config.d/*.conf');
    expect(include).toBe(14);
    expect(cfg.slice(0, include).every((l) => l === '' || l.startsWith('#'))).toBe(true);
    expect(stockFile('amazon-linux-2023', 'etc/ssh/sshd_config.d/50-redhat.conf')).toContain('UsePAM yes');
    expect(stockFile('amazon-linux-2023-eic', 'etc/ssh/sshd_config.d/60-ec2-instance-connect.conf')).toBe(
      'AuthorizedKeysCommand /opt/aws/bin/eic_run_authorized_keys %u %f\nAuthorizedKeysCommandUser ec2-instance-connect\n',
    );
  });

  test('standard AMI (EIC in 60-ec2-instance-connect.conf): our 00- drop-in chains EIC, which keeps working; EIC\'s file untouched', async () => {
    const r = await render('amazon-linux-2023', { variant: 'standard' });
    expect(r.snapshot.files.has(EIC_DROPIN)).toBe(true);
    expect(r.desired.sshd.before).toEqual({ command: '/opt/aws/bin/eic_run_authorized_keys %u %f', user: 'ec2-instance-connect', source: `${EIC_DROPIN}:1` });
    expect(r.desired.sshd.strategy).toBe('dropin');
    expect(r.desired.sshd.chainsEic).toBe(true);
    expect(content(r, SSHD_DROPIN)).toMatch(/^AuthorizedKeysCommand \/usr\/lib\/stns-fleet\/stns-fleet-keys %u %f$/m);
    expect(keysCommand(r)).toEqual({ command: '/usr/lib/stns-fleet/stns-fleet-keys %u %f', user: 'ec2-instance-connect' });
    expect(content(r, CHAIN_WRAPPER)).toMatch(/\nexec \/opt\/aws\/bin\/eic_run_authorized_keys "\$1" "\$2"\n$/);
    expect(r.desired.files.some((f) => f.path === EIC_DROPIN)).toBe(false);
    expect(r.desired.warnings).toEqual([]);
  });

  test('the chain wrapper is the one Amazon Linux 2 gets (same EIC command) and Ubuntu\'s but for the EIC path', async () => {
    const al2023 = content(await render('amazon-linux-2023'), CHAIN_WRAPPER)!;
    const al2 = content(await render('amazon-linux-2'), CHAIN_WRAPPER)!;
    const ubuntu = content(await render('ubuntu-24.04'), CHAIN_WRAPPER)!;
    expect(al2023).toBe(al2);
    expect(al2023).toBe(ubuntu.replaceAll('/usr/share/ec2-instance-connect/eic_run_authorized_keys', '/opt/aws/bin/eic_run_authorized_keys'));
  });

  test('minimal AMI (no EIC): the STNS key wrapper alone, as root, from the drop-in; no chain wrapper', async () => {
    const r = await render('amazon-linux-2023', { variant: 'minimal' });
    expect(r.snapshot.files.has(EIC_DROPIN)).toBe(false);
    expect(r.desired.sshd.strategy).toBe('dropin');
    expect(r.desired.sshd.chainsEic).toBe(false);
    expect(keysCommand(r)).toEqual({ command: '/usr/lib/stns/stns-key-wrapper', user: 'root' });
    expect(content(r, CHAIN_WRAPPER)).toBeNull();
  });

  test('sshd_config without its Include (amazon-linux-2023 issue 1016): the managed block, and a warning that EIC\'s drop-in is not read', async () => {
    const s = (await stock('amazon-linux-2023', undefined, 'standard')).snapshot;
    const cfg = stockFile('amazon-linux-2023', 'etc/ssh/sshd_config').replace('Include /etc/ssh/sshd_config.d/*.conf\n', '');
    const r = await render('amazon-linux-2023', { snapshot: withFiles(s, { '/etc/ssh/sshd_config': cfg }) });
    expect(r.desired.problems).toEqual([]);
    expect(r.desired.sshd.strategy).toBe('sshd_config');
    expect(keysCommand(r)).toEqual({ command: '/usr/lib/stns/stns-key-wrapper', user: 'root' });
    expect(r.desired.warnings).toContain(
      `${EIC_DROPIN} sets AuthorizedKeysCommand, but sshd does not read it (nothing includes /etc/ssh/sshd_config.d): what it configures (EC2 Instance Connect?) does not work on this host, before or after this change`,
    );
  });

  test('EIC wired the RHEL 8 / generic RPM way (a -o drop-in for sshd.service): the systemd override, chained', async () => {
    const s = (await stock('amazon-linux-2023', undefined, 'minimal')).snapshot;
    const unit = '[Service]\nExecStart=\nExecStart=/usr/sbin/sshd -D -o "AuthorizedKeysCommand /opt/aws/bin/eic_run_authorized_keys %%u %%f" -o "AuthorizedKeysCommandUser ec2-instance-connect" $SSHD_OPTS\n';
    const r = await render('amazon-linux-2023', { snapshot: withFiles(s, { '/usr/lib/systemd/system/sshd.service.d/ec2-instance-connect.conf': unit }) });
    expect(r.desired.sshd.strategy).toBe('systemd');
    expect(content(r, overridePath('sshd'))).toContain('-o "AuthorizedKeysCommand /usr/lib/stns-fleet/stns-fleet-keys %%u %%f" -o "AuthorizedKeysCommandUser ec2-instance-connect" $SSHD_OPTS');
    expect(keysCommand(r)).toEqual({ command: '/usr/lib/stns-fleet/stns-fleet-keys %u %f', user: 'ec2-instance-connect' });
  });
});

describe('OpenSSH 10 and socket-activated ssh', () => {
  test('the daemon\'s programs: sshd, sshd-session and sshd-auth from OpenSSH 10; sshd alone before 9.8', () => {
    expect(profileById('debian-13').sshd.programs).toEqual(['sshd', 'sshd-session', 'sshd-auth']);
    expect(profileById('ubuntu-26.04').sshd.programs).toEqual(['sshd', 'sshd-session', 'sshd-auth']);
    expect(profileById('debian-12').sshd.programs).toEqual(['sshd']);
    expect(profileById('amazon-linux-2023').sshd.programs).toEqual(['sshd']);
  });

  test('Ubuntu 26.04: unit ssh (no sshd.service alias), socket ssh.socket; the EIC -o drop-in is overridden on ssh.service', async () => {
    const p = profileById('ubuntu-26.04');
    expect(p.sshd).toMatchObject({ service: 'ssh', socket: 'ssh.socket', openssh: '10.2p1' });
    expect(profileById('ubuntu-22.04').sshd.socket).toBeUndefined();
    const r = await render('ubuntu-26.04');
    expect(r.desired.sshd.strategy).toBe('systemd');
    expect(r.desired.files.find((f) => f.path === '/etc/systemd/system/ssh.service.d/zz-stns-fleet.conf')?.content).not.toBeNull();
    expect(r.desired.files.some((f) => f.path.includes('sshd.service'))).toBe(false);
    expect(r.desired.sshd.testOptions).toEqual(['AuthorizedKeysCommand /usr/lib/stns-fleet/stns-fleet-keys %u %f', 'AuthorizedKeysCommandUser ec2-instance-connect']);
  });

  test('Debian 13: ssh.service passes no -o, so the sshd_config.d drop-in; the unit stays ssh', async () => {
    const r = await render('debian-13');
    expect(effectiveExecStart(r.snapshot, 'ssh')?.sshdOptions).toEqual([]);
    expect(r.desired.sshd.strategy).toBe('dropin');
    expect(r.profile.sshd.service).toBe('ssh');
  });
});
