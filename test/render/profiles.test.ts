// Every OS profile rendered from its real stock files (stock/, from shared/fixtures): the edits keep every
// other byte, sshd would really use our keys command, a converged host renders to no change, the token is
// escaped for TOML and absent from the script, and every generated script passes shellcheck.
import { parse as parseToml } from 'smol-toml';
import { describe, expect, test } from 'vitest';
import { effective, evaluateSshd, optionDirectives } from '../../src/sshd/config.js';
import { effectiveExecStart } from '../../src/sshd/systemd.js';
import { materialize, redact, stnsSecretValues } from '../../src/render/secrets.js';
import { hasChanges } from '../../src/plan/host-plan.js';
import { applyDesired, lines, render as renderAny, settings, SECRETS, stockFile, stockVariants, TOKEN, withFiles, type OsProfileId } from '../helpers/render.js';
import { labSshdKeys } from '../helpers/lab-sshd.js';
import { shellcheck } from '../helpers/shellcheck.js';

// Every stock tree of every profile (each release / image flavour): OS_PROFILE_IDS × profile.stockVariants.
const TREES = stockVariants();
const EXPECTED_STRATEGY: Record<string, string> = {
  'amazon-linux-2': 'sshd_config', // OpenSSH 7.4: no Include; EIC lines in sshd_config
  'ubuntu-24.04': 'systemd', // the stock tree carries EIC's ssh.service.d drop-in with -o options
  'ubuntu-26.04': 'systemd', // the same EIC drop-in (derived from 24.04's tree)
};
const EXPECTED_EIC: Record<string, boolean> = {
  'amazon-linux-2/ami': true,
  'amazon-linux-2023/standard': true, // sshd_config.d/60-ec2-instance-connect.conf, chained by our 00- drop-in
  'amazon-linux-2023/minimal': false,
  'ubuntu-24.04/noble': true,
  'ubuntu-26.04/resolute': true,
};

function after(r: Awaited<ReturnType<typeof renderAny>>, p: string): string {
  const f = r.desired.files.find((x) => x.path === p);
  if (!f?.content) throw new Error(`no content for ${p}`);
  return materialize(f.content, SECRETS).toString('utf8');
}

describe.each(TREES)('%s (%s) from its stock files', (id: OsProfileId, variant: string) => {
  const render = (o: Parameters<typeof renderAny>[1] = {}) => renderAny(id, { variant, ...o });
  test('nsswitch: stns follows files/compat on passwd, group, shadow; every other line byte-identical', async () => {
    const r = await render();
    const before = lines(r.snapshot.files.get('/etc/nsswitch.conf')!.toString());
    const now = lines(after(r, '/etc/nsswitch.conf'));
    expect(now.length).toBe(before.length);
    before.forEach((line, i) => {
      const db = /^(passwd|group|shadow)\s*:/.exec(line)?.[1];
      if (!db) return expect(now[i]).toBe(line);
      const src = line.split(':')[1]!.trim().split(/\s+/);
      const anchor = src.findIndex((s) => s === 'files' || s === 'compat');
      const want = [...src.slice(0, anchor + 1), 'stns', ...src.slice(anchor + 1)];
      expect(now[i]!.split(':')[1]!.trim().split(/\s+/)).toEqual(want);
    });
  });

  test('pam: exactly one pam_mkhomedir line added after the session stack; nothing else changes', async () => {
    const r = await render();
    const before = lines(r.snapshot.files.get('/etc/pam.d/sshd')!.toString());
    const now = lines(after(r, '/etc/pam.d/sshd'));
    expect(now.length).toBe(before.length + 1);
    const at = now.findIndex((l) => l.includes('pam_mkhomedir.so'));
    expect(now[at]).toMatch(/^session\s+optional\s+pam_mkhomedir\.so skel=\/etc\/skel\/ umask=0022$/);
    expect([...now.slice(0, at), ...now.slice(at + 1)]).toEqual(before);
    expect(now[at - 1]).toMatch(/^(@include common-session|session\s+include\s+password-auth)$/);
  });

  test('sshd: evaluated independently, our keys command wins', async () => {
    const r = await render();
    expect(r.desired.problems).toEqual([]);
    expect(r.desired.sshd.strategy).toBe(EXPECTED_STRATEGY[id] ?? 'dropin');
    expect(r.desired.sshd.chainsEic).toBe(EXPECTED_EIC[`${id}/${variant}`] ?? false);
    const result = applyDesired(r.snapshot, r.desired);
    const exec = effectiveExecStart(result, r.profile.sshd.service);
    const ev = evaluateSshd(result, { options: exec ? optionDirectives(exec.sshdOptions, exec.origin) : [] });
    const akc = effective(ev, 'AuthorizedKeysCommand')!.args.join(' ');
    const eic = r.desired.sshd.chainsEic;
    expect(akc).toBe(eic ? '/usr/lib/stns-fleet/stns-fleet-keys %u %f' : '/usr/lib/stns/stns-key-wrapper');
    expect(effective(ev, 'AuthorizedKeysCommandUser')!.args).toEqual([eic ? 'ec2-instance-connect' : 'root']);
    if (eic) expect(after(r, '/usr/lib/stns-fleet/stns-fleet-keys')).toMatch(/exec \S*eic_run_authorized_keys "\$1" "\$2"\n$/);
  });

  // The check above evaluates with the product's own sshd model; this one asks an independent evaluator
  // (test/helpers/lab-sshd.ts) on the converged files written out as a tree.
  test('sshd: an independent evaluator on the converged tree agrees', async () => {
    const r = await render();
    const result = applyDesired(r.snapshot, r.desired);
    const exec = effectiveExecStart(result, r.profile.sshd.service);
    const eic = r.desired.sshd.chainsEic;
    expect(labSshdKeys(result.files, exec?.sshdOptions ?? [])).toEqual({
      command: eic ? '/usr/lib/stns-fleet/stns-fleet-keys %u %f' : '/usr/lib/stns/stns-key-wrapper',
      user: eic ? 'ec2-instance-connect' : 'root',
    });
  });

  test('idempotent: rendering the converged host changes nothing', async () => {
    const first = await render();
    expect(hasChanges(first.plan)).toBe(true);
    const second = await render({ snapshot: applyDesired(first.snapshot, first.desired) });
    expect(second.plan.changes.filter((c) => c.action !== 'noop').map((c) => c.file.path)).toEqual([]);
  });

  test('the generated host script passes shellcheck and never carries the token in clear', async () => {
    const r = await render();
    expect(r.script).not.toContain(TOKEN);
    expect(r.script).not.toContain('s3cr3t');
    const sc = shellcheck(r.script, id);
    expect(sc.out, sc.out).toBe('');
    expect(sc.code).toBe(0);
  });
});

test('every profile has a complete stock tree: nothing absent, no problem (AL2023 included, stock/SOURCES.md)', async () => {
  for (const [id, variant] of TREES) {
    const r = await renderAny(id, { variant });
    for (const f of ['/etc/os-release', '/etc/nsswitch.conf', '/etc/pam.d/sshd', '/etc/ssh/sshd_config']) expect(r.snapshot.files.has(f), `${id} ${variant} ${f}`).toBe(true);
    expect(r.desired.problems, `${id} ${variant}`).toEqual([]);
  }
});

test('32-bit Raspberry Pi OS: unsupported before anything changes, unless the packages are already there', async () => {
  const missing = await renderAny('raspberry-pi-os', { arch: 'armhf', packagesInstalled: false });
  expect(missing.identity.osRelease['ID']).toBe('raspbian');
  expect(missing.desired.problems.join('\n')).toMatch(/amd64 and arm64 only; this host is armhf/);
  const present = await renderAny('raspberry-pi-os', { arch: 'armhf', packagesInstalled: true });
  expect(present.desired.problems).toEqual([]);
});

describe('stns.conf TOML', () => {
  const nasty = ['plain', 'q"uote', 'back\\slash', 'new\nline', 'cr\rtab\t', "'''", '"""', ']\n[tls]\nca = "x"', 'ユニコード', '\u0001\u007f', '#not a comment'];
  test.each(nasty)('token %j parses back exactly, with no key or table injected', async (token) => {
    const r = await renderAny('debian-12', {
      secrets: { auth_token: token },
      settings: settings({ httpHeaders: { 'X-A': 'v"1' }, tls: { ca: '/etc/ca.pem' }, cached: { enable: true, prefetch: false } }),
    });
    const f = r.desired.files.find((x) => x.path === '/etc/stns/client/stns.conf')!;
    const parsed = parseToml(materialize(f.content!, stnsSecretValues({ 'X-A': 'v"1' }, token)).toString('utf8')) as Record<string, unknown>;
    expect(parsed['auth_token']).toBe(token);
    expect(parsed['api_endpoint']).toBe('https://stns.example.com/v1');
    expect(Object.keys(parsed).sort()).toEqual(['api_endpoint', 'auth_token', 'cached', 'http_headers', 'request_retry', 'request_timeout', 'tls']);
    expect(parsed['tls']).toEqual({ ca: '/etc/ca.pem' });
    expect(parsed['http_headers']).toEqual({ 'X-A': 'v"1' });
    expect(parsed['cached']).toEqual({ enable: true, prefetch: false });
    expect(redact(f.content!.toString('utf8'))).toContain('auth_token = "(sensitive)"');
    // A header value may be a credential: it is a placeholder like the token, never in rendered content.
    expect(f.content!.toString('utf8')).not.toContain('v"1');
    expect(redact(f.content!.toString('utf8'))).toContain('X-A = "(sensitive)"');
  });
});

test('a hand-configured host (stns-key-wrapper already in sshd_config) needs no sshd change', async () => {
  const base = await renderAny('debian-12');
  const cfg = `AuthorizedKeysCommand /usr/lib/stns/stns-key-wrapper\nAuthorizedKeysCommandUser root\n${stockFile('debian-12', 'etc/ssh/sshd_config')}`;
  const r = await renderAny('debian-12', { snapshot: withFiles(base.snapshot, { '/etc/ssh/sshd_config': cfg }) });
  expect(r.desired.sshd.strategy).toBe('unchanged');
  expect(r.plan.changes.filter((c) => c.file.role === 'sshd' && c.action !== 'noop')).toEqual([]);
});

test('a foreign keys command is never replaced: the host gets a problem naming where it is set', async () => {
  const base = await renderAny('debian-12');
  const r = await renderAny('debian-12', {
    snapshot: withFiles(base.snapshot, { '/etc/ssh/sshd_config.d/00-aaa.conf': 'AuthorizedKeysCommand /usr/bin/sss_ssh_authorizedkeys\n' }),
  });
  expect(r.desired.problems.join('\n')).toMatch(/already "\/usr\/bin\/sss_ssh_authorizedkeys" \(\/etc\/ssh\/sshd_config.d\/00-aaa.conf:1\)/);
});

test('Ubuntu 22.04 with the EIC systemd drop-in: systemd strategy; the override keeps the rest of ExecStart', async () => {
  const base = await renderAny('ubuntu-22.04');
  const eic = stockFile('ubuntu-24.04', 'usr/lib/systemd/system/ssh.service.d/ec2-instance-connect.conf');
  const r = await renderAny('ubuntu-22.04', { snapshot: withFiles(base.snapshot, { '/usr/lib/systemd/system/ssh.service.d/ec2-instance-connect.conf': eic }) });
  expect(r.desired.sshd.strategy).toBe('systemd');
  const override = after(r, '/etc/systemd/system/ssh.service.d/zz-stns-fleet.conf');
  expect(override).toContain('ExecStart=\nExecStart=/usr/sbin/sshd -D -o "AuthorizedKeysCommand /usr/lib/stns-fleet/stns-fleet-keys %%u %%f" -o "AuthorizedKeysCommandUser ec2-instance-connect" $SSHD_OPTS\n');
  // The sshd_config.d drop-in would be ignored here (-o wins), so none is written.
  expect(r.desired.files.find((f) => f.path === '/etc/ssh/sshd_config.d/00-stns-fleet.conf')!.content).toBeNull();
});

test('an Include after an existing keys command falls back to the managed block, and stripping it restores sshd_config', async () => {
  const base = await renderAny('debian-12');
  const original = `AuthorizedKeysCommand /opt/aws/bin/eic_run_authorized_keys %u %f\nAuthorizedKeysCommandUser ec2-instance-connect\n${stockFile('debian-12', 'etc/ssh/sshd_config')}`;
  const r = await renderAny('debian-12', { snapshot: withFiles(base.snapshot, { '/etc/ssh/sshd_config': original }) });
  expect(r.desired.sshd.strategy).toBe('sshd_config');
  const edited = after(r, '/etc/ssh/sshd_config');
  expect(edited).toContain('#[stns-fleet] AuthorizedKeysCommand /opt/aws/bin/eic_run_authorized_keys %u %f');
  // Converged, then the same host rendered again: no change; the block is derived from the original bytes.
  const again = await renderAny('debian-12', { snapshot: applyDesired(r.snapshot, r.desired) });
  expect(hasChanges(again.plan)).toBe(false);
});
