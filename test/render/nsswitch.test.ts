// nsswitch.conf: stns goes into passwd/group/shadow right after files/compat (and the action items bound
// to it); every other byte stays. Expectations are derived from the input, never copied from the output.
import { describe, expect, test } from 'vitest';
import { addStnsToNsswitch, NSS_DATABASES, nssSources } from '../../src/render/nsswitch.js';
import { stockCopies } from '../helpers/render.js';

const DB_LINE = /^(\s*)(passwd|group|shadow)(\s*:)(.*)$/;

/** Whitespace-separated words of a sources field, without a trailing comment. */
const words = (field: string): string[] => field.split('#')[0]!.trim().split(/\s+/).filter(Boolean);

/**
 * Checks one changed sources field against the original: the only difference is one `stns` word; the other
 * words keep their order; stns comes right after files/compat and the [..] action items that follow it
 * (or last when there is neither); the trailing comment is kept byte for byte.
 */
function expectStnsAdded(before: string, after: string): void {
  const b = words(before);
  const a = words(after);
  expect(a.filter((w) => w === 'stns')).toHaveLength(1);
  expect(a.filter((w) => w !== 'stns')).toEqual(b);
  const at = a.indexOf('stns');
  const anchor = a.findIndex((w) => w === 'files' || w === 'compat');
  if (anchor >= 0) {
    expect(anchor).toBeLessThan(at);
    // Only complete [...] action groups (bound to files/compat) stand between it and stns.
    expect(a.slice(anchor + 1, at).join(' ')).toMatch(/^(\[[^\]]*\] ?)*$/);
  } else {
    expect(at).toBe(a.length - 1);
  }
  const comment = (s: string): string => (s.includes('#') ? s.slice(s.indexOf('#')) : '');
  expect(comment(after)).toBe(comment(before));
}

function expectOnlyDbLinesChanged(input: string, output: string): void {
  const inL = input.split('\n');
  const outL = output.split('\n');
  expect(outL.length).toBe(inL.length);
  inL.forEach((line, i) => {
    const m = DB_LINE.exec(line);
    if (!m || line.trimStart().startsWith('#')) {
      expect(outL[i], `line ${i + 1} must be byte-identical`).toBe(line);
      return;
    }
    const o = DB_LINE.exec(outL[i]!);
    expect(o, `line ${i + 1} is still a ${m[2]} line`).not.toBeNull();
    expect(`${o?.[1]}${o?.[2]}${o?.[3]}`).toBe(`${m[1]}${m[2]}${m[3]}`); // "passwd:   " prefix kept
    if (words(m[4]!).includes('stns')) expect(outL[i]).toBe(line);
    else expectStnsAdded(m[4]!, o![4]!);
  });
}

describe('every stock nsswitch.conf', () => {
  const copies = stockCopies('etc/nsswitch.conf');
  test('there are stock files to test', () => expect(copies.length).toBeGreaterThanOrEqual(5));
  test.each(copies.map((c) => [c.dir, c] as const))('%s', (_dir, c) => {
    const out = addStnsToNsswitch(c.content);
    expectOnlyDbLinesChanged(c.content, out);
    const after = nssSources(out);
    for (const db of NSS_DATABASES) expect(after[db], db).toContain('stns');
    // gshadow is not served by libnss-stns: left alone
    expect(nssSources(out)).not.toHaveProperty('gshadow');
    expect(addStnsToNsswitch(out)).toBe(out);
  });
});

describe('source lists', () => {
  const cases: [string, string][] = [
    ['sss files', 'sss files stns'],
    ['files systemd', 'files stns systemd'],
    ['compat', 'compat stns'],
    ['compat systemd', 'compat stns systemd'],
    ['files [NOTFOUND=return] sss', 'files [NOTFOUND=return] stns sss'],
    ['files [NOTFOUND=return]', 'files [NOTFOUND=return] stns'],
    // glibc allows several status=action items in one bracket, and blanks inside it
    ['files [NOTFOUND=return UNAVAIL=continue] sss', 'files [NOTFOUND=return UNAVAIL=continue] stns sss'],
    ['files [ NOTFOUND = return ] systemd', 'files [ NOTFOUND = return ] stns systemd'],
    ['files [!UNAVAIL=return] [NOTFOUND=return] ldap', 'files [!UNAVAIL=return] [NOTFOUND=return] stns ldap'],
    ['systemd', 'systemd stns'],
    ['files # local accounts only', 'files stns # local accounts only'],
    ['sss files   # comment with files in it', 'sss files stns   # comment with files in it'],
  ];
  test.each(cases)('passwd: %s', (src, want) => {
    for (const db of NSS_DATABASES) {
      const input = `${db}:     ${src}\n`;
      const out = addStnsToNsswitch(`passwd: files\ngroup: files\nshadow: files\n`.replace(new RegExp(`^${db}: files$`, 'm'), input.trimEnd()));
      const line = out.split('\n').find((l) => l.startsWith(`${db}:`))!;
      // the expected text is the input with " stns" inserted at the position the rule gives
      expect(line).toBe(`${db}:     ${want}`);
      expectStnsAdded(src, line.slice(line.indexOf(':') + 1));
    }
  });

  test('a missing shadow line is appended (files stns); the file grows by exactly one line', () => {
    const input = '# comment\npasswd:         files\ngroup:          files\nhosts: files dns\n';
    const out = addStnsToNsswitch(input);
    expect(out.startsWith(input.replace('passwd:         files', 'passwd:         files stns').replace('group:          files', 'group:          files stns'))).toBe(true);
    expect(out.split('\n').length).toBe(input.split('\n').length + 1);
    expect(nssSources(out).shadow).toEqual(['files', 'stns']);
    expect(out.endsWith('\n')).toBe(true);
    expect(addStnsToNsswitch(out)).toBe(out);
  });

  test('a commented-out line does not count as present', () => {
    const input = 'passwd: files\ngroup: files\n#shadow: files\n';
    const out = addStnsToNsswitch(input);
    expect(out.split('\n')[2]).toBe('#shadow: files');
    expect(nssSources(out).shadow).toEqual(['files', 'stns']);
  });

  test('a file without a trailing newline stays without one', () => {
    const input = 'passwd: files\ngroup: files\nshadow: files';
    const out = addStnsToNsswitch(input);
    expect(out).toBe('passwd: files stns\ngroup: files stns\nshadow: files stns');
    expectOnlyDbLinesChanged(input, out);
  });

  test('a missing line after a last line without newline: the newline is added first', () => {
    const input = 'passwd: files\ngroup: files';
    const out = addStnsToNsswitch(input);
    expect(out.startsWith('passwd: files stns\ngroup: files stns\n')).toBe(true);
    expect(nssSources(out).shadow).toEqual(['files', 'stns']);
    expect(addStnsToNsswitch(out)).toBe(out);
  });

  test.each([
    'passwd: stns files\ngroup: files stns\nshadow: sss stns files\n',
    'passwd: files stns\ngroup: files stns\nshadow: files stns\n',
    'passwd:\tcompat stns systemd # x\ngroup: files [NOTFOUND=return] stns\nshadow: stns\n',
  ])('stns already present anywhere → unchanged (%#)', (input) => {
    expect(addStnsToNsswitch(input)).toBe(input);
  });

  test('idempotent on every case', () => {
    for (const [src] of cases) {
      const input = `passwd: ${src}\ngroup: ${src}\nshadow: ${src}\n`;
      const once = addStnsToNsswitch(input);
      expect(addStnsToNsswitch(once)).toBe(once);
    }
  });

  test('nssSources reads the effective lists', () => {
    const s = nssSources('passwd: files stns # c\n#group: x\ngroup: sss files\n');
    expect(s).toEqual({ passwd: ['files', 'stns'], group: ['sss', 'files'], shadow: undefined });
  });
});

describe('systemd 258+: libnss-systemd on shadow and gshadow too (Ubuntu 26.04 stock tree)', () => {
  test('stns follows files and every existing source stays, in order; gshadow (not served by STNS) is untouched', async () => {
    const { render } = await import('../helpers/render.js');
    const r = await render('ubuntu-26.04');
    const before = r.snapshot.files.get('/etc/nsswitch.conf')!.toString('utf8');
    expect(before).toMatch(/^shadow: +files systemd$/m);
    expect(before).toMatch(/^gshadow: +files systemd$/m);
    const out = r.desired.files.find((f) => f.path === '/etc/nsswitch.conf')!.content!.toString('utf8');
    expect(nssSources(out)).toEqual({ passwd: ['files', 'stns', 'systemd'], group: ['files', 'stns', 'systemd'], shadow: ['files', 'stns', 'systemd'] });
    expect(out).toMatch(/^gshadow: +files systemd$/m);
    expectOnlyDbLinesChanged(before, out);
    expect(r.desired.nss.before.shadow).toEqual(['files', 'systemd']);
    expect(r.desired.nss.after.shadow).toEqual(['files', 'stns', 'systemd']);
  });

  test('with action items and systemd first (a hand-edited line), nothing is dropped', () => {
    const input = 'passwd: systemd files [NOTFOUND=return] sss\nshadow: files systemd\ngshadow: files systemd\ngroup: files [SUCCESS=merge] systemd\n';
    const out = addStnsToNsswitch(input);
    expect(out).toBe('passwd: systemd files [NOTFOUND=return] stns sss\nshadow: files stns systemd\ngshadow: files systemd\ngroup: files [SUCCESS=merge] stns systemd\n');
  });
});
