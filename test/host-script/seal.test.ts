// Sealing (src/host-script/seal.ts), opened the way the host script opens it (templates/host/converge.sh, sf_open
// and the digest check): with the openssl command line, never with the code that sealed it. A key made by
// `openssl genpkey` as facts.sh makes the host's; its public half read by openssl as the facts report it.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { isSealKey, newRunKey, sealContent, sealedDigest, sealFingerprint, wrapRunKey } from '../../src/host-script/seal.js';

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

test('isSealKey: an RSA public key (DER, base64) only', () => {
  expect(isSealKey(publicB64)).toBe(true);
  const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  expect(isSealKey(ec)).toBe(false);
  expect(isSealKey('bm90IGEga2V5')).toBe(false);
  expect(isSealKey('')).toBe(false);
  expect(isSealKey('none')).toBe(false);
});
