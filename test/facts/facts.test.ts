// Reading what the facts script printed (src/facts/facts.ts). The outputs here are written by hand in the
// format templates/host/facts.sh documents (digests and gzip from node:crypto and node:zlib, not from the
// product), plus one real run of facts.sh on a small tree whose files are the expected answer. Anything cut,
// altered or mixed up is an error naming what is wrong, never a host state.
import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { factsComplete, parseFacts, parseFactsHeader, type HostState } from '../../src/facts/facts.js';
import { FACTS_LIB, factsScript, factWatch } from '../../src/facts/facts-script.js';
import { loadTemplates } from '../../src/render/templates.js';
import { REDACT_AWK, redactStnsConf, templateComments } from '../../src/render/redact-stns-conf.js';
import { STNS_CONF } from '../../src/render/stns-conf.js';

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
  /** Replaces the bytes of a path in the content (its sha256 stays that of `files`). */
  content?: Record<string, string>;
  /** Replaces the content block's base64 lines. */
  blob?: string;
  /** Replaces the CONTENT line's sizes. */
  sizes?: number[];
  end?: string;
  before?: string;
}

/** A facts output as facts.sh prints it: header, secret lines, body, the sizes and then the gzip members of every
 * file line's file (base64, 76 a line), END. */
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
  const bytes = Object.keys(files).map((p) => { const b = d.content?.[p] ?? files[p]!; return typeof b === 'string' ? Buffer.from(b) : b; });
  const blob = d.blob ?? Buffer.concat(bytes.map((b) => gzipSync(b))).toString('base64').replace(/.{76}/g, '$&\n').replace(/\n$/, '');
  const content = bytes.length === 0 ? [] : [`STNS_FLEET_CONTENT${(d.sizes ?? bytes.map((b) => b.length)).map((n) => ` ${n}`).join('')}`, ...(blob ? [blob] : [])];
  return [
    ...(d.before ? [d.before] : []),
    `STNS_FLEET_FACTS v2 ${digest} ${d.seal ?? RSA_KEY}`,
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
    expect(s.digest).toBe(/^STNS_FLEET_FACTS v2 ([0-9a-f]{64}) /m.exec(out)![1]);
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
    const s = state(facts({ files: { '/etc/sudoers.d/bin': bin, '/etc/empty': '', [SPACED]: 'UsePAM yes\n', '/etc/big': 'x'.repeat(5000) } }));
    expect(s.snapshot.files.get('/etc/big')?.length).toBe(5000);
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

  test('no openssl on the host (none), or a key we cannot seal to (not RSA, X25519 or P-256): no seal key', () => {
    expect(parseFactsHeader(facts({ seal: 'none' }))!.sealKey).toBeNull();
    const spki = (k: ReturnType<typeof generateKeyPairSync>['publicKey']): string => k.export({ type: 'spki', format: 'der' }).toString('base64');
    const p384 = spki(generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey);
    expect(parseFactsHeader(facts({ seal: p384 }))!.sealKey).toBeNull();
    expect(parseFactsHeader(facts({ seal: 'bm90IGEga2V5' }))!.sealKey).toBeNull();
    for (const k of [spki(generateKeyPairSync('x25519').publicKey), spki(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey)]) {
      expect(parseFactsHeader(facts({ seal: k }))!.sealKey).toBe(k);
    }
  });

  test('no header: another version, a short digest, or nothing', () => {
    const out = facts();
    for (const bad of [out.replace('STNS_FLEET_FACTS v2 ', 'STNS_FLEET_FACTS v1 '), out.replace(/(STNS_FLEET_FACTS v2 [0-9a-f]{63})[0-9a-f]/, '$1'), out.replace(/(STNS_FLEET_FACTS v2 )([0-9a-f]{64})/, (_m, a: string, d: string) => a + d.toUpperCase()), '', 'Failed\n']) {
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
    expect(errorOf(facts({ content: { '/etc/nsswitch.conf': 'passwd: files stns\n' } }))).toBe('the content of /etc/nsswitch.conf does not match its sha256');
    // Sizes that split the same bytes elsewhere: each file's bytes are wrong.
    expect(errorOf(facts({ sizes: [OS_RELEASE.length - 1, NSSWITCH.length + 1] }))).toBe('the content of /etc/os-release does not match its sha256');
  });

  test('content that is no gzip', () => {
    expect(errorOf(facts({ blob: Buffer.from('not gzip').toString('base64') }))).toBe('the file contents cannot be decoded');
    expect(errorOf(facts({ blob: '' }))).toBe('the file contents cannot be decoded');
  });

  test('a listed file with no content (no size, or no CONTENT line at all), or content no file line lists', () => {
    expect(errorOf(facts({ sizes: [OS_RELEASE.length] }))).toBe('no content for /etc/nsswitch.conf');
    const out = facts();
    const cut = out.replace(/STNS_FLEET_CONTENT[^]*?(?=STNS_FLEET_END )/, '');
    expect(cut).not.toContain('STNS_FLEET_CONTENT');
    expect(errorOf(cut)).toBe('no content for /etc/os-release');
    expect(errorOf(facts({ sizes: [OS_RELEASE.length, NSSWITCH.length, 0] }))).toBe('the content does not match the files listed');
    expect(errorOf(facts({ sizes: [OS_RELEASE.length, NSSWITCH.length, 1.5] }))).toBe('the content sizes are malformed');
  });

  test('a trailing byte no size accounts for', () => {
    const bytes = Buffer.concat([gzipSync(OS_RELEASE), gzipSync(NSSWITCH), gzipSync('x')]).toString('base64');
    expect(errorOf(facts({ blob: bytes }))).toBe('the content does not match the files listed');
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
    // One file through a symbolic link (as Debian's /etc/os-release), one empty, one secret-bearing (redacted).
    await symlink('../ssh/sshd_config', path.join(root, 'etc/sudoers.d/linked'));
    await writeFile(path.join(root, 'etc/sudoers.d/empty'), '');
    await mkdir(path.join(root, 'etc/stns/client'), { recursive: true });
    const conf = 'api_endpoint = "http://stns.example/v1"\nauth_token = "tok-facts-secret-1234"\n';
    await writeFile(path.join(root, STNS_CONF), conf);
    const t = await loadTemplates(undefined, [FACTS_LIB, REDACT_AWK, 'stns.conf.hbs']);
    const out = execFileSync('sh', ['-c', factsScript(t)], { env: { PATH: process.env['PATH'], STNS_FLEET_ROOT: root }, encoding: 'utf8' });
    expect(out).not.toContain('tok-facts-secret-1234');
    const s = state(out);
    const shown = redactStnsConf(Buffer.from(conf), templateComments(t.source('stns.conf.hbs'))).toString();
    expect(shown).not.toContain('tok-facts-secret-1234');
    expect(text(s)).toEqual({ ...tree, '/etc/sudoers.d/linked': tree['/etc/ssh/sshd_config'], '/etc/sudoers.d/empty': '', [STNS_CONF]: shown });
    expect(s.machine).not.toBe('');
    expect(s.packages).toEqual({ 'libnss-stns-v2': false, 'cache-stnsd': false });
    expect(parseFactsHeader(out)!.sealKey).not.toBeNull(); // openssl made the tree a seal key
  });
});
