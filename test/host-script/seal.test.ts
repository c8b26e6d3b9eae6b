// Sealing (src/host-script/seal.ts), opened the way the host script opens it (templates/host/converge.sh, sf_open
// and the digest check): with the openssl command line, never with the code that sealed it. An RSA key made by
// `openssl genpkey` as facts.sh made the host's before the ECDH seal; its public half read by openssl as the
// facts report it. Then the seal keys facts.sh makes now (X25519; P-256 where openssl is 1.0.2), made and
// opened by the templates' own shell (test/host-script/seal-host.ts) with this machine's openssl.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { isSealKey, newRunKey, sealContent, sealedDigest, sealFingerprint, sealKind, sealTable, wrapRunKey, type RunKey } from '../../src/host-script/seal.js';
import { makeKeyScript, openssl102, sealedSection, sealKeyBlock, unwrapLib, unwrapScript } from './seal-host.js';

let dir: string;
let hostKey: string;
/** The host's public key as the facts report it: DER, base64. */
let publicB64: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'sf-seal-'));
  hostKey = path.join(dir, 'seal.key');
  execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', hostKey], { stdio: 'ignore' });
  publicB64 = execFileSync('openssl', ['pkey', '-in', hostKey, '-pubout', '-outform', 'DER']).toString('base64');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sh = (script: string, input?: Buffer | string): Buffer => execFileSync('sh', ['-c', script], { ...(input !== undefined ? { input } : {}), stdio: 'pipe', env: { ...process.env, K: hostKey } });
const hex = (b: Buffer): string => b.toString('hex');

test('the run key, wrapped to a host, is opened by openssl pkeyutl with the host key (OAEP): key ‖ iv ‖ mac', () => {
  const rk = newRunKey();
  expect([rk.key.length, rk.iv.length, rk.mac.length]).toEqual([32, 16, 32]);
  const wrapped = wrapRunKey(rk, publicB64);
  const opened = sh('base64 -d | openssl pkeyutl -decrypt -inkey "$K" -pkeyopt rsa_padding_mode:oaep', `${wrapped}\n`);
  expect(hex(opened)).toBe(hex(rk.key) + hex(rk.iv) + hex(rk.mac));
  expect(wrapRunKey(rk, publicB64)).not.toBe(wrapped); // OAEP is randomized: nothing to compare across runs
});

test('sealed content: openssl enc -d -aes-256-cbc with the run key, then gunzip, gives the file back', () => {
  const rk = newRunKey();
  const content = Buffer.from('api_endpoint = "https://stns.example.com/v1"\nauth_token = "s3cr3t-\\"x\\""\n');
  const sealed = sealContent(content, rk);
  expect(sealed.includes(Buffer.from('s3cr3t'))).toBe(false);
  const clear = sh(`base64 -d | openssl enc -d -aes-256-cbc -K ${hex(rk.key)} -iv ${hex(rk.iv)}`, sealed.toString('base64'));
  expect(gunzipSync(clear)).toEqual(content);
  // Another run key opens nothing.
  const other = newRunKey();
  expect(() => sh(`base64 -d | openssl enc -d -aes-256-cbc -K ${hex(other.key)} -iv ${hex(other.iv)} | gzip -dc`, sealed.toString('base64'))).toThrow();
});

test('the digest of a sealed file is HMAC-SHA256 under the run\'s MAC key, as openssl dgst computes it', () => {
  const rk = newRunKey();
  const file = path.join(dir, 'stns.conf');
  const content = Buffer.from('auth_token = "tok"\n');
  writeFileSync(file, content);
  const host = sh(`openssl dgst -sha256 -mac HMAC -macopt hexkey:${hex(rk.mac)} <'${file}' | sed 's/^.*= //'`).toString('utf8').trim();
  expect(sealedDigest(content, rk)).toBe(host);
  expect(sealedDigest(content, newRunKey())).not.toBe(host); // not a plain sha256: no key, no guess test
});

test('the seal key id is what the host computes from its own key: sha256 of the DER public key, 16 hex digits', () => {
  const host = sh('openssl pkey -in "$K" -pubout -outform DER 2>/dev/null | sha256sum | cut -c1-16').toString('utf8').trim();
  expect(host).toMatch(/^[0-9a-f]{16}$/);
  expect(sealFingerprint(publicB64)).toBe(host);
});

test('isSealKey: an RSA, X25519 or P-256 public key (DER, base64) only', () => {
  expect(isSealKey(publicB64)).toBe(true);
  const spki = (k: ReturnType<typeof generateKeyPairSync>['publicKey']): string => k.export({ type: 'spki', format: 'der' }).toString('base64');
  expect(sealKind(spki(generateKeyPairSync('x25519').publicKey))).toBe('x25519');
  expect(sealKind(spki(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey))).toBe('p256');
  expect(sealKind(publicB64)).toBe('rsa');
  expect(isSealKey(spki(generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey))).toBe(false);
  expect(isSealKey(spki(generateKeyPairSync('ed25519').publicKey))).toBe(false);
  expect(isSealKey('bm90IGEga2V5')).toBe(false);
  expect(isSealKey('')).toBe(false);
  expect(isSealKey('none')).toBe(false);
});

describe('the host side, with real openssl: making the seal key, opening the run key', () => {
  const runKeyHex = (rk: RunKey): string => hex(rk.key) + hex(rk.iv) + hex(rk.mac);
  let base: string;
  let n = 0;
  /** A bin directory whose `openssl` is an OpenSSL 1.0.2 stand-in (no X25519, only 1.0.2's options). */
  let bin102: string;
  let log102: string;
  beforeAll(() => {
    base = mkdtempSync(path.join(tmpdir(), 'sf-seal-host-'));
    bin102 = path.join(base, 'bin102');
    log102 = path.join(base, 'openssl102.log');
    mkdirSync(bin102);
    const real = execFileSync('sh', ['-c', 'command -v openssl'], { encoding: 'utf8' }).trim();
    writeFileSync(path.join(bin102, 'openssl'), openssl102(real), { mode: 0o755 });
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  interface Host {
    d: string;
    w: string;
    env: NodeJS.ProcessEnv;
  }
  function host(opts: { openssl102?: boolean } = {}): Host {
    const d = path.join(base, `host${++n}`, 'var/lib/stns-fleet');
    const w = path.join(base, `host${n}`, 'work');
    mkdirSync(d, { recursive: true });
    mkdirSync(w);
    const env = { PATH: opts.openssl102 ? `${bin102}:${process.env['PATH']}` : process.env['PATH'], SF_OPENSSL_LOG: log102 };
    return { d, w, env };
  }
  const run = (h: Host, script: string): string => execFileSync('sh', ['-c', script, 'sh', h.d, h.w], { env: h.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  const makeKey = (h: Host): string => run(h, makeKeyScript());
  const unwrap = (h: Host, table: string[]): string => run(h, unwrapScript(table));

  test('a fresh host makes an X25519 key once; its first line names its kind, id and public key; the run key opens with two processes', () => {
    const h = host();
    const pub = makeKey(h);
    expect(sealKind(pub)).toBe('x25519');
    const file = path.join(h.d, 'seal.key');
    const text = readFileSync(file, 'utf8');
    expect(text.split('\n')[0]).toBe(`stns-fleet-seal x25519 ${sealFingerprint(pub)} ${pub}`);
    expect(text).toMatch(/\n-----BEGIN PRIVATE KEY-----\n/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(h.d)).toEqual(['seal.key']); // nothing left of the making
    expect(makeKey(h)).toBe(pub); // once: the next run reads it
    expect(readFileSync(file, 'utf8')).toBe(text);
    // openssl itself reads the key past its first line, and agrees on the public key
    expect(execFileSync('openssl', ['pkey', '-in', file, '-pubout', '-outform', 'DER']).toString('base64')).toBe(pub);

    const rk = newRunKey();
    const table = sealTable(rk, [pub]);
    expect(table).toEqual([`sf_seal_iv ${hex(rk.iv)}`, expect.stringMatching(/^sf_seal_peer x25519 [A-Za-z0-9+/=]{60}$/), expect.stringMatching(new RegExp(`^sf_seal_ecdh ${sealFingerprint(pub)} [0-9a-f]{128}$`))]);
    expect(unwrap(h, table)).toBe(runKeyHex(rk));
    // Only openssl pkeyutl and sha512sum run to open it (the id comes from the key's first line).
    const trace = path.join(base, 'trace');
    execFileSync('strace', ['-f', '-qq', '-z', '-e', 'trace=execve', '-o', trace, 'sh', '-c', unwrapScript(table), 'sh', h.d, h.w], { env: h.env, stdio: 'ignore' });
    const execs = readFileSync(trace, 'utf8').split('\n').flatMap((l) => /execve\("([^"]+)"/.exec(l)?.[1] ?? []).slice(1);
    expect(execs.map((e) => path.basename(e)).sort()).toEqual(['openssl', 'sha512sum']);
  });

  test('OpenSSL 1.0.2 (no X25519): a P-256 key, made and opened with only the options 1.0.2 has', () => {
    rmSync(log102, { force: true });
    const h = host({ openssl102: true });
    const pub = makeKey(h);
    expect(sealKind(pub)).toBe('p256');
    expect(readFileSync(path.join(h.d, 'seal.key'), 'utf8')).toMatch(new RegExp(`^stns-fleet-seal p256 ${sealFingerprint(pub)} \\S+\n-----BEGIN EC PRIVATE KEY-----\n`));
    const rk = newRunKey();
    const table = sealTable(rk, [pub]);
    expect(table[1]).toMatch(/^sf_seal_peer p256 [A-Za-z0-9+/]{64} [A-Za-z0-9+/=]{60}$/); // PEM lines of 64: 1.0.2 reads no other
    expect(unwrap(h, table)).toBe(runKeyHex(rk));
    expect(existsSync(log102) ? readFileSync(log102, 'utf8') : '').toBe('');
    // the stand-in does refuse what 1.0.2 lacks (else this test could not fail)
    expect(() => execFileSync('sh', ['-c', 'openssl pkeyutl -inkey k -derive'], { env: h.env, stdio: 'ignore' })).toThrow();
    expect(() => execFileSync('sh', ['-c', 'openssl genpkey -algorithm X25519'], { env: h.env, stdio: 'ignore' })).toThrow();
    expect(readFileSync(log102, 'utf8')).toMatch(/-inkey before the operation/);
  });

  test('a host whose seal.key predates the ECDH seal (RSA, no first line) keeps it; it is wrapped to with RSA-OAEP, and opens', () => {
    const h = host({ openssl102: true });
    const file = path.join(h.d, 'seal.key');
    execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', file], { stdio: 'ignore' });
    const before = readFileSync(file);
    const pub = makeKey(h);
    expect(pub).toBe(execFileSync('openssl', ['pkey', '-in', file, '-pubout', '-outform', 'DER']).toString('base64'));
    expect(readFileSync(file)).toEqual(before);
    const rk = newRunKey();
    const table = sealTable(rk, [pub]);
    expect(table).toEqual([expect.stringMatching(new RegExp(`^sf_seal ${sealFingerprint(pub)} [A-Za-z0-9+/=]{344}$`))]);
    expect(unwrap(h, table)).toBe(runKeyHex(rk));
  });

  test('one table for hosts of every kind: each opens its own copy; a host not in it opens nothing', () => {
    const hosts = [host(), host({ openssl102: true }), host(), host()];
    const pubs = hosts.map(makeKey);
    const rsa = path.join(hosts[2]!.d, 'seal.key');
    rmSync(rsa);
    execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', rsa], { stdio: 'ignore' });
    pubs[2] = makeKey(hosts[2]!);
    expect(pubs.map(sealKind)).toEqual(['x25519', 'p256', 'rsa', 'x25519']);
    const rk = newRunKey();
    const table = sealTable(rk, pubs.slice(0, 3));
    expect(table.filter((l) => l.startsWith('sf_seal_peer ')).map((l) => l.split(' ')[1])).toEqual(['x25519', 'p256']); // once per kind
    expect(table.filter((l) => l.startsWith('sf_seal_iv '))).toHaveLength(1);
    for (const h of hosts.slice(0, 3)) expect(unwrap(h, table)).toBe(runKeyHex(rk));
    expect(unwrap(hosts[3]!, table)).toBe('');
  });

  test('a wrap that does not open right gives no run key or a wrong one, and the sealed file then fails to open', () => {
    const h = host();
    const pub = makeKey(h);
    const rk = newRunKey();
    const table = sealTable(rk, [pub]);
    // wrapped = keystream XOR (AES key ‖ MAC key): a digit flipped in the first half spoils the AES key, in the last the MAC key
    const flip = (at: 'first' | 'last'): string[] =>
      table.map((l) => (l.startsWith('sf_seal_ecdh ') ? l.replace(at === 'first' ? /(?<= )[0-9a-f](?=[0-9a-f]{127}$)/ : /.$/, (c) => (c === '0' ? '1' : '0')) : l));
    const flipped = flip('first');
    const wrong = unwrap(h, flipped);
    expect(wrong).toMatch(/^[0-9a-f]{160}$/);
    expect(wrong).not.toBe(runKeyHex(rk));
    expect(unwrap(h, table.map((l) => (l.startsWith('sf_seal_ecdh ') ? `${l}0` : l)))).toBe(''); // not 128 hex digits
    expect(unwrap(h, table.map((l) => (l.startsWith('sf_seal_ecdh ') ? l.replace(/.$/, 'g') : l)))).toBe('');
    expect(unwrap(h, table.filter((l) => !l.startsWith('sf_seal_peer ')))).toBe(''); // no ephemeral key
    // A seal.key whose key openssl cannot use: nothing derived, no key (not the hash of nothing)
    const file = path.join(h.d, 'seal.key');
    const good = readFileSync(file, 'utf8');
    writeFileSync(file, good.replace(/\n-----BEGIN[\s\S]*$/, '\n'));
    expect(unwrap(h, table)).toBe('');
    writeFileSync(file, good);

    // sf_sealed_file with the wrong run key: exit 11 payload, "cannot open the sealed payload"
    const content = Buffer.from('auth_token = "tok"\n');
    const body = sealContent(content, rk).toString('base64');
    const sealedRun = (t: string[]): { code: number; out: string } => {
      const script = ['set -u', 'D=$1', 'W=$2', 'R=""', 'sf_end() { printf \'END %s %s %s\\n\' "$1" "$2" "${3:-}"; exit "$1"; }', 'sf_sha() { echo x; }', sealedSection(), ...t,
        `sf_sealed_file /etc/stns/client/stns.conf 0600 root:root absent x stns-conf <<'SF_EOF'`, body, 'SF_EOF', 'cat "$W/1"', ''].join('\n');
      try {
        return { code: 0, out: execFileSync('sh', ['-c', script, 'sh', h.d, h.w], { env: h.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
      } catch (e) {
        const err = e as { status: number; stdout: string };
        return { code: err.status, out: err.stdout };
      }
    };
    expect(sealedRun(table)).toEqual({ code: 0, out: content.toString() });
    // a spoilt MAC key opens the file, but its HMAC is not the plan's: sf_main's checksum check refuses it
    const macOf = (t: string[]): string => run(h, [unwrapScript(t).replace(/printf '%s\\n' "\$SF_SEAL_KEY"\n$/, ''), sealedSection().slice(sealedSection().indexOf('sf_mac()')), 'sf_sha() { echo x; }', 'sf_mac "$W/c"', ''].join('\n'));
    writeFileSync(path.join(h.w, 'c'), content);
    expect(macOf(table)).toBe(sealedDigest(content, rk));
    expect(macOf(flip('last'))).toMatch(/^[0-9a-f]{64}$/);
    expect(macOf(flip('last'))).not.toBe(sealedDigest(content, rk));
    const bad = sealedRun(flipped);
    expect(bad.code).toBe(11);
    expect(bad.out).toMatch(/^END 11 payload cannot open the sealed payload of \/etc\/stns\/client\/stns.conf$/m);
    const none = sealedRun(table.filter((l) => !l.startsWith('sf_seal_ecdh ')));
    expect(none.code).toBe(11);
    expect(none.out).toMatch(/this host holds no key for it/);
  });

  test('the same under each /bin/sh hosts have: dash (Debian, Ubuntu), bash (Amazon Linux, RHEL), busybox ash', () => {
    const shells = [['dash'], ['bash', '--norc', '--posix'], ['busybox', 'sh']].filter(([cmd]) => execFileSync('sh', ['-c', `command -v ${cmd} || true`], { encoding: 'utf8' }).trim() !== '');
    expect(shells.length).toBeGreaterThan(0);
    for (const [cmd, ...args] of shells) {
      for (const h of [host(), host({ openssl102: true })]) {
        const under = (script: string): string => execFileSync(cmd!, [...args, '-c', script, 'sh', h.d, h.w], { env: h.env, encoding: 'utf8' }).trim();
        const pub = under(makeKeyScript());
        expect(isSealKey(pub), cmd).toBe(true);
        const rk = newRunKey();
        expect(under(unwrapScript(sealTable(rk, [pub]))), cmd).toBe(runKeyHex(rk));
      }
    }
  });

  test('facts.sh and the Pi identity script make the seal key the same way; converge.sh and the Pi re-register script open it the same way', () => {
    expect(sealKeyBlock('pi-identity.sh')).toBe(sealKeyBlock('facts.sh'));
    const reregister = readFileSync(new URL('../../templates/host/pi-reregister.sh', import.meta.url), 'utf8');
    const body = (text: string, fn: string): string => {
      const lines = text.split('\n');
      const i = lines.findIndex((l) => l.startsWith(`${fn}() {`));
      if (i < 0) return `no ${fn}`;
      const end = lines[i]!.endsWith('}') ? i : lines.indexOf('}', i);
      return lines.slice(i, end + 1).join('\n');
    };
    for (const fn of ['sf_seal_mine', 'sf_seal', 'sf_seal_iv', 'sf_seal_xor']) expect(body(reregister, fn), fn).toBe(body(unwrapLib(), fn));
  });
});
