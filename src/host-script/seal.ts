// Sealing: how a file that carries the auth token reaches a host without the token ever sitting in clear
// in SSM command history. One random run key (AES-256-CBC key + IV) encrypts the file; the run key is
// encrypted (RSA-OAEP) to each recipient host's seal key, which the facts script made on that host.
// The host script opens its own copy with `openssl pkeyutl`, decrypts with `openssl enc`, and checks the
// result against the plan's sha256, so a wrong key or a tampered payload can never be written.
import { constants, createCipheriv, createHash, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';

export interface RunKey {
  key: Buffer;
  iv: Buffer;
}

export function newRunKey(): RunKey {
  return { key: randomBytes(32), iv: randomBytes(16) };
}

/** The seal key's id as the host computes it: sha256 of the public key (DER), first 16 hex digits. */
export function sealFingerprint(publicKeyDerB64: string): string {
  return createHash('sha256').update(Buffer.from(publicKeyDerB64, 'base64')).digest('hex').slice(0, 16);
}

/** The run key encrypted to one host: base64 of RSA-OAEP(SHA-1, as openssl pkeyutl's default)(key ‖ iv). */
export function wrapRunKey(rk: RunKey, publicKeyDerB64: string): string {
  const pub = createPublicKey({ key: Buffer.from(publicKeyDerB64, 'base64'), format: 'der', type: 'spki' });
  return publicEncrypt({ key: pub, padding: constants.RSA_PKCS1_OAEP_PADDING }, Buffer.concat([rk.key, rk.iv])).toString('base64');
}

/** gzip, then AES-256-CBC under the run key. */
export function sealContent(content: Buffer, rk: RunKey): Buffer {
  const c = createCipheriv('aes-256-cbc', rk.key, rk.iv);
  return Buffer.concat([c.update(gzipSync(content, { level: 9 })), c.final()]);
}

/** True when a base64 DER string is an RSA public key we can seal to. */
export function isSealKey(publicKeyDerB64: string): boolean {
  try {
    return createPublicKey({ key: Buffer.from(publicKeyDerB64, 'base64'), format: 'der', type: 'spki' }).asymmetricKeyType === 'rsa';
  } catch {
    return false;
  }
}
