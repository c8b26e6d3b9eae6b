// Reading what the facts script printed (src/facts/facts.ts). The outputs here are written by hand in the
// format templates/host/facts.sh documents (digests and gzip from node:crypto and node:zlib, not from the
// product), plus one real run of facts.sh on a small tree whose files are the expected answer. Anything cut,
// altered or mixed up is an error naming what is wrong, never a host state.
import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { factsComplete, parseFacts, parseFactsHeader, type HostState } from '../../src/facts/facts.js';
import { FACTS_LIB, factsScript, factWatch } from '../../src/facts/facts-script.js';
import { loadTemplates } from '../../src/render/templates.js';

const sha = (b: string | Buffer): string => createHash('sha256').update(b).digest('hex');
const RSA_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');

const OS_RELEASE = 'ID=debian\nVERSION_ID="12"\n';
const NSSWITCH = 'passwd: files\ngroup: files\n';
const SPACED = '/etc/ssh/sshd_config.d/with space.conf';

interface Doc {
  seal?: string;
  secrets?: string[];
  body?: string[];
  files?: Record<string, string | Buffer>;
  /** Replaces the content line of a path. */
  content?: Record<string, string>;
  end?: string;
  before?: string;
}

/** A facts output as facts.sh prints it: header, secret lines, body, one content block per file line, END. */
function facts(d: Doc = {}): string {
  const files = d.files ?? { '/etc/os-release': OS_RELEASE, '/etc/nsswitch.conf': NSSWITCH };
  const body = d.body ?? [
    'arch aarch64',
    'pkg libnss-stns-v2 1',
    'pkg cache-stnsd 0',
    'probe /usr/lib/stns/stns-key-wrapper',
    'probe /etc/rpi-issue',
    ...Object.entries(files).map(([p, c]) => `file ${sha(c)} ${p}`),
  ];
  const digest = sha(body.map((l) => `${l}\n`).join(''));
  const content = Object.keys(files).flatMap((p) => [`STNS_FLEET_CONTENT ${p}`, d.content?.[p] ?? gzipSync(files[p]!).toString('base64')]);
  return [
    ...(d.before ? [d.before] : []),
    `STNS_FLEET_FACTS v1 ${digest} ${d.seal ?? RSA_KEY}`,
    ...(d.secrets ?? []),
    ...body,
    ...content,
    `STNS_FLEET_END ${d.end ?? digest}`,
    '',
  ].join('\n');
}

const state = (out: string): HostState => {
  const r = parseFacts(out);
  if ('error' in r) throw new Error(r.error);
  return r;
};
const errorOf = (out: string): string => {
  const r = parseFacts(out);
  return 'error' in r ? r.error : '(parsed)';
};
const text = (s: HostState): Record<string, string> => Object.fromEntries([...s.snapshot.files].map(([p, b]) => [p, b.toString('utf8')]));

describe('a whole facts output', () => {
  test('the state: machine and architecture, packages, probes, every file', () => {
    const out = facts();
    const s = state(out);
    expect(s.digest).toBe(/^STNS_FLEET_FACTS v1 ([0-9a-f]{64}) /m.exec(out)![1]);
    expect(s.machine).toBe('aarch64');
    expect(s.arch).toBe('arm64');
    expect(s.packages).toEqual({ 'libnss-stns-v2': true, 'cache-stnsd': false });
    expect([...s.probes]).toEqual(['/usr/lib/stns/stns-key-wrapper', '/etc/rpi-issue']);
    expect(text(s)).toEqual({ '/etc/os-release': OS_RELEASE, '/etc/nsswitch.conf': NSSWITCH });
    expect(s.snapshot.fullSha).toEqual(new Map()); // the facts' view: plan fills in the real digests
    expect(factsComplete(out)).toBe(true);
  });

  test('binary content, an empty file and a path with a space come back byte for byte', () => {
    const bin = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x0a, 0x0d]);
    const s = state(facts({ files: { '/etc/sudoers.d/bin': bin, '/etc/empty': '', [SPACED]: 'UsePAM yes\n' } }));
    expect(s.snapshot.files.get('/etc/sudoers.d/bin')).toEqual(bin);
    expect(s.snapshot.files.get('/etc/empty')).toEqual(Buffer.alloc(0));
    expect(text(s)[SPACED]).toBe('UsePAM yes\n');
  });

  test('lines before the header (a login banner, a shell warning) are no part of it', () => {
    expect(text(state(facts({ before: 'bash: warning: setlocale: LC_ALL: cannot change locale\nhello' })))).toEqual({ '/etc/os-release': OS_RELEASE, '/etc/nsswitch.conf': NSSWITCH });
  });

  test('a machine name is kept as the host says it, and mapped', () => {
    expect(state(facts({ body: ['arch x86_64'], files: {} }))).toMatchObject({ machine: 'x86_64', arch: 'amd64', packages: {} });
    expect(state(facts({ body: ['arch armv7l'], files: {} })).arch).toBe('armhf');
    expect(state(facts({ body: ['arch amd64'], files: {} })).arch).toBe('amd64'); // dpkg --print-architecture's word
  });
});

describe('the header alone', () => {
  test('digest, seal key and the sealed digests of secret-bearing files ("none": could not seal)', () => {
    const out = facts({ secrets: ['STNS_FLEET_SECRET /etc/stns/client/stns.conf c2VhbGVk', 'STNS_FLEET_SECRET /etc/other.conf none'] });
    const h = parseFactsHeader(out.slice(0, out.indexOf('\narch ')))!; // it fits in what ListCommandInvocations returns
    expect(h.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(h.sealKey).toBe(RSA_KEY);
    expect(h.sealedDigests).toEqual(new Map([['/etc/stns/client/stns.conf', 'c2VhbGVk']]));
    expect(state(out).digest).toBe(h.digest); // the secret lines are not part of the body
  });

  test('no openssl on the host (none), or a key that is not RSA: no seal key', () => {
    expect(parseFactsHeader(facts({ seal: 'none' }))!.sealKey).toBeNull();
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    expect(parseFactsHeader(facts({ seal: ec }))!.sealKey).toBeNull();
    expect(parseFactsHeader(facts({ seal: 'bm90IGEga2V5' }))!.sealKey).toBeNull();
  });

  test('no header: another version, a short digest, or nothing', () => {
    const out = facts();
    for (const bad of [out.replace('STNS_FLEET_FACTS v1 ', 'STNS_FLEET_FACTS v2 '), out.replace(/(STNS_FLEET_FACTS v1 [0-9a-f]{63})[0-9a-f]/, '$1'), out.replace(/(STNS_FLEET_FACTS v1 )([0-9a-f]{64})/, (_m, a: string, d: string) => a + d.toUpperCase()), '', 'Failed\n']) {
      expect(parseFactsHeader(bad)).toBeUndefined();
      expect(factsComplete(bad)).toBe(false);
      expect(errorOf(bad)).toBe('no STNS_FLEET_FACTS header in the output');
    }
  });
});

describe('malformed outputs are refused, naming what is wrong', () => {
  test('cut anywhere before END (SSM truncates at 2,500 or 24,000 characters): incomplete', () => {
    const out = facts();
    const end = out.indexOf('\nSTNS_FLEET_END ');
    for (const at of [out.indexOf('\narch'), out.indexOf('STNS_FLEET_CONTENT'), end, end + 20]) {
      expect(factsComplete(out.slice(0, at))).toBe(false);
      expect(errorOf(out.slice(0, at))).toBe('the facts output is incomplete (truncated)');
    }
  });

  test('an END of another digest (two outputs mixed up): incomplete', () => {
    expect(errorOf(facts({ end: sha('another host') }))).toBe('the facts output is incomplete (truncated)');
  });

  test('a body line changed after the digest was taken', () => {
    const out = facts().replace('pkg cache-stnsd 0', 'pkg cache-stnsd 1');
    expect(errorOf(out)).toBe('the facts body does not match its digest');
  });

  test('a file whose content does not match the sha256 listed for it', () => {
    expect(errorOf(facts({ content: { '/etc/nsswitch.conf': gzipSync('passwd: files stns\n').toString('base64') } }))).toBe('the content of /etc/nsswitch.conf does not match its sha256');
  });

  test('content that is no gzip', () => {
    expect(errorOf(facts({ content: { '/etc/os-release': Buffer.from('not gzip').toString('base64') } }))).toBe('the content of /etc/os-release cannot be decoded');
    expect(errorOf(facts({ content: { '/etc/os-release': '' } }))).toBe('the content of /etc/os-release cannot be decoded');
  });

  test('a listed file with no content block', () => {
    const out = facts();
    const cut = out.replace(/STNS_FLEET_CONTENT \/etc\/nsswitch\.conf\n[^\n]*\n/, '');
    expect(cut).not.toContain('STNS_FLEET_CONTENT /etc/nsswitch.conf');
    expect(errorOf(cut)).toBe('no content for /etc/nsswitch.conf');
  });
});

describe('facts.sh itself, on a small tree', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sf-facts-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test('its output parses back to exactly the watched files of the tree', async () => {
    const root = path.join(dir, 'root');
    const tree: Record<string, string> = {
      '/etc/os-release': OS_RELEASE,
      '/etc/nsswitch.conf': NSSWITCH,
      '/etc/ssh/sshd_config': 'Include /etc/ssh/sshd_config.d/*.conf\n',
      [SPACED]: 'PasswordAuthentication no\n',
      '/etc/sudoers.d/90-cloud-init-users': 'ada ALL=(ALL) NOPASSWD:ALL\n',
    };
    const w = factWatch();
    // Every file above is one the facts read (else the test would prove nothing about it).
    for (const p of Object.keys(tree)) expect(w.paths.includes(p) || [...w.dirs, ...w.anyDirs].includes(path.posix.dirname(p)), p).toBe(true);
    for (const [p, c] of Object.entries(tree)) {
      await mkdir(path.dirname(path.join(root, p)), { recursive: true });
      await writeFile(path.join(root, p), c);
    }
    await writeFile(path.join(root, 'etc/ssh/sshd_config.d/notes.txt'), 'not read: not *.conf\n');
    const t = await loadTemplates(undefined, [FACTS_LIB]);
    const out = execFileSync('sh', ['-c', factsScript(t)], { env: { PATH: process.env['PATH'], STNS_FLEET_ROOT: root }, encoding: 'utf8' });
    const s = state(out);
    expect(text(s)).toEqual(tree);
    expect(s.machine).not.toBe('');
    expect(s.packages).toEqual({ 'libnss-stns-v2': false, 'cache-stnsd': false });
    expect(parseFactsHeader(out)!.sealKey).not.toBeNull(); // openssl made the tree a seal key
  });
});
