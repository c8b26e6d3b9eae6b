// Sealing: how a file that carries a secret reaches a host without the secret ever sitting in SSM command
// history, in clear or as anything a guess could be tested against. One random run key (AES-256-CBC key + IV,
// and an HMAC key) encrypts the file; the run key is wrapped to each recipient host's seal key, which the
// facts script made on that host: X25519 or P-256 (ECDH, src/host-script/seal-ecdh.ts), or RSA (OAEP) for a
// host whose key predates those. The host script opens its own copy with `openssl pkeyutl`, decrypts with
// `openssl enc`, and checks the result against the plan's HMAC-SHA256 under the run's HMAC key (a plain
// sha256 of the file would let anyone who reads SSM history test token guesses offline).
import { constants, createCipheriv, createHash, createHmac, createPublicKey, publicEncrypt, type KeyObject } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { RunKey } from './run-key.js';
import { ecdhKindOf, ecdhWrap, newEphemeral, peerLine, type EcdhKind, type Ephemeral } from './seal-ecdh.js';

export { newRunKey, type RunKey } from './run-key.js';

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

export type SealKind = 'rsa' | EcdhKind;

function publicKeyOf(publicKeyDerB64: string): KeyObject | null {
  try {
    return createPublicKey({ key: Buffer.from(publicKeyDerB64, 'base64'), format: 'der', type: 'spki' });
  } catch {
    return null;
  }
}

/** The kind of seal key a base64 DER public key is, or null when we cannot seal to it. */
export function sealKind(publicKeyDerB64: string): SealKind | null {
  const k = publicKeyOf(publicKeyDerB64);
  if (!k) return null;
  return k.asymmetricKeyType === 'rsa' ? 'rsa' : ecdhKindOf(k);
}

/** True when a base64 DER string is a public key we can seal to: RSA, X25519 or P-256. */
export function isSealKey(publicKeyDerB64: string): boolean {
  return sealKind(publicKeyDerB64) !== null;
}

/** The host-script lines that carry the run key to `recipients` (seal public keys), each host finding its own
 * by fingerprint: for elliptic-curve keys the IV and one ephemeral public key per curve first, then per host
 * `sf_seal_ecdh <id> <hex>` (ECDH) or `sf_seal <id> <base64>` (RSA-OAEP). */
export function sealTable(rk: RunKey, recipients: readonly string[]): string[] {
  const eph = new Map<EcdhKind, Ephemeral>();
  const perHost = [...new Set(recipients)].map((pub) => {
    const kind = sealKind(pub);
    if (!kind) throw new Error('internal: a recipient that is not a seal key');
    if (kind === 'rsa') return `sf_seal ${sealFingerprint(pub)} ${wrapRunKey(rk, pub)}`;
    let e = eph.get(kind);
    if (!e) eph.set(kind, (e = newEphemeral(kind)));
    return `sf_seal_ecdh ${sealFingerprint(pub)} ${ecdhWrap(rk, e, pub)}`;
  });
  const head = eph.size > 0 ? [`sf_seal_iv ${rk.iv.toString('hex')}`, ...[...eph.values()].map(peerLine)] : [];
  return [...head, ...perHost];
}
