// pam.d/sshd: exactly one pam_mkhomedir line, right after the OS's session stack include; every other line
// byte-identical; nothing added when any active form of it is already there.
import { describe, expect, test } from 'vitest';
import { isOsProfileId } from '../../src/profiles/ids.js';
import { profileById } from '../../src/profiles/index.js';
import { addMkhomedir, hasMkhomedir, type MkhomedirOptions } from '../../src/render/pam.js';
import { render, stock, stockCopies, text, withFiles } from '../helpers/render.js';

/** The stock session-stack line sshd's mkhomedir goes after, found by plain token comparison. */
function anchorIndex(lines: string[], family: 'debian' | 'rhel'): number {
  const want = family === 'debian' ? ['@include', 'common-session'] : ['session', 'include', 'password-auth'];
  return lines.findIndex((l) => {
    const w = l.trim().split(/\s+/);
    return w.length === want.length && w.every((x, i) => x === want[i]);
  });
}

const opts = (id: string, umask = '0022'): MkhomedirOptions => {
  const p = profileById(id);
  return { control: p.pam.control, umask, after: p.pam.after };
};

describe('every stock pam.d/sshd', () => {
  const copies = stockCopies('etc/pam.d/sshd').filter((c) => isOsProfileId(c.dir));
  test('there are stock files to test', () => expect(copies.length).toBeGreaterThanOrEqual(7));
  test.each(copies.map((c) => [c.dir, c] as const))('%s', (dir, c) => {
    const profile = profileById(dir);
    const umask = '0077';
    const out = addMkhomedir(c.content, opts(dir, umask));
    const inL = c.content.split('\n');
    const outL = out.split('\n');
    expect(outL.length).toBe(inL.length + 1);
    const k = anchorIndex(inL, profile.family);
    expect(k, 'the stock file has the anchor line').toBeGreaterThanOrEqual(0);
    // every line but the new one is byte-identical, in order
    expect([...outL.slice(0, k + 1), ...outL.slice(k + 2)]).toEqual(inL);
    const added = outL[k + 1]!;
    expect(added.trim().split(/\s+/)).toEqual(['session', profile.pam.control, 'pam_mkhomedir.so', 'skel=/etc/skel/', `umask=${umask}`]);
    expect(outL.filter((l) => /pam_mkhomedir/.test(l))).toHaveLength(1);
    expect(addMkhomedir(out, opts(dir, umask))).toBe(out);
  });

  test.each(copies.map((c) => [c.dir] as const))('%s end to end: desired pam file = stock + the line; noop once applied', async (dir) => {
    const r = await render(dir as 'debian-12');
    const f = r.desired.files.find((x) => x.path === '/etc/pam.d/sshd')!;
    expect(f.content!.toString()).toBe(addMkhomedir(text(r.snapshot, '/etc/pam.d/sshd'), opts(dir)));
    expect(r.plan.changes.find((c) => c.file.path === '/etc/pam.d/sshd')!.action).toBe('update');
    const again = await render(dir as 'debian-12', { snapshot: withFiles(r.snapshot, { '/etc/pam.d/sshd': f.content! }) });
    expect(again.plan.changes.find((c) => c.file.path === '/etc/pam.d/sshd')!.action).toBe('noop');
  });
});

describe('already present', () => {
  const base = '@include common-auth\n@include common-session\nsession optional pam_motd.so\n';
  test.each([
    'session    optional     pam_mkhomedir.so skel=/etc/skel/ umask=0022',
    'session required pam_mkhomedir.so',
    'session\toptional\tpam_oddjob_mkhomedir.so umask=0077',
    '-session optional pam_mkhomedir.so',
    '  session [success=ok default=ignore] pam_mkhomedir.so # with a comment',
  ])('%s → unchanged', (line) => {
    const input = `${base}${line}\n`;
    expect(addMkhomedir(input, opts('debian-12'))).toBe(input);
  });

  test('in a file the stack includes (alsoCheck: common-session) → unchanged', () => {
    const common = 'session [default=1] pam_permit.so\nsession optional pam_mkhomedir.so\n';
    expect(addMkhomedir(base, opts('debian-12'), [common])).toBe(base);
  });

  test('commented-out occurrences do not count, here or in alsoCheck', () => {
    const input = `${base}#session optional pam_mkhomedir.so\n   # session required pam_oddjob_mkhomedir.so\n`;
    const out = addMkhomedir(input, opts('debian-12'), ['# session optional pam_mkhomedir.so\n']);
    expect(out.split('\n').length).toBe(input.split('\n').length + 1);
    expect(out.split('\n')[2]).toMatch(/^session\s+optional\s+pam_mkhomedir\.so /);
    expect(hasMkhomedir(input)).toBe(false);
    expect(hasMkhomedir(out)).toBe(true);
  });

  test('desiredState: mkhomedir in /etc/pam.d/common-session leaves sshd\'s file as it is', async () => {
    const s = await stock('debian-12');
    const snapshot = withFiles(s.snapshot, { '/etc/pam.d/common-session': 'session optional pam_mkhomedir.so umask=0022\n' });
    const r = await render('debian-12', { snapshot });
    expect(r.plan.changes.find((c) => c.file.path === '/etc/pam.d/sshd')!.action).toBe('noop');
  });
});

describe('placement without the usual anchor', () => {
  test('no common-session include: after the first session line (fallback), once', () => {
    const input = 'auth required pam_unix.so\nsession required pam_unix.so\nsession optional pam_motd.so\n';
    const out = addMkhomedir(input, opts('debian-12'));
    const l = out.split('\n');
    expect(l[2]).toMatch(/pam_mkhomedir\.so/);
    expect([...l.slice(0, 2), ...l.slice(3)]).toEqual(input.split('\n'));
  });
  test('no session line at all: appended, with a newline supplied first', () => {
    const input = 'auth required pam_unix.so';
    const out = addMkhomedir(input, opts('amazon-linux-2'));
    expect(out.startsWith(`${input}\n`)).toBe(true);
    expect(out.split('\n').length).toBe(3);
    expect(out.endsWith('\n')).toBe(true);
  });
  test('mkhomedir disabled in settings: the pam file is not managed', async () => {
    const { settings } = await import('../helpers/render.js');
    const r = await render('debian-12', { settings: settings({}, { mkhomedir: { enable: false, umask: '0022' } }) });
    expect(r.desired.files.some((f) => f.path === '/etc/pam.d/sshd')).toBe(false);
  });
});
