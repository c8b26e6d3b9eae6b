// Sealing: how a file that carries a secret reaches a host without the secret ever sitting in SSM command
// history, in clear or as anything a guess could be tested against. One random run key (AES-256-CBC key + IV,
// and an HMAC key) encrypts the file; the run key is encrypted (RSA-OAEP) to each recipient host's seal key,
// which the facts script made on that host. The host script opens its own copy with `openssl pkeyutl`,
// decrypts with `openssl enc`, and checks the result against the plan's HMAC-SHA256 under the run's HMAC key
// (a plain sha256 of the file would let anyone who reads SSM history test token guesses offline).
import { constants, createCipheriv, createHash, createHmac, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';

export interface RunKey {
  key: Buffer;
  iv: Buffer;
  /** HMAC-SHA256 key for the digests that stand for a sealed file's content. */
  mac: Buffer;
}

export function newRunKey(): RunKey {
  return { key: randomBytes(32), iv: randomBytes(16), mac: randomBytes(32) };
}

/** The digest of a sealed file as the host checks it: HMAC-SHA256(run MAC key, content), hex. */
export function sealedDigest(content: Buffer, rk: RunKey): string {
  return createHmac('sha256', rk.mac).update(content).digest('hex');
}

/** The seal key's id as the host computes it: sha256 of the public key (DER), first 16 hex digits. */
export function sealFingerprint(publicKeyDerB64: string): string {
  return createHash('sha256').update(Buffer.from(publicKeyDerB64, 'base64')).digest('hex').slice(0, 16);
}

/** The run key encrypted to one host: base64 of RSA-OAEP(SHA-1, as openssl pkeyutl's default)(key ‖ iv ‖ mac). */
export function wrapRunKey(rk: RunKey, publicKeyDerB64: string): string {
  const pub = createPublicKey({ key: Buffer.from(publicKeyDerB64, 'base64'), format: 'der', type: 'spki' });
  return publicEncrypt({ key: pub, padding: constants.RSA_PKCS1_OAEP_PADDING }, Buffer.concat([rk.key, rk.iv, rk.mac])).toString('base64');
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
