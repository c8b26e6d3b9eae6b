// The run key wrapped to an elliptic-curve seal key (X25519 where the host's openssl has it, 1.1.0+; P-256 on
// OpenSSL 1.0.2), made so the host opens it with two processes: `openssl pkeyutl -derive` and `sha512sum`.
// One ephemeral key per script and curve; its public half travels once (sf_seal_peer), not per host.
//   Z         = ECDH(ephemeral private, host public)             (32 bytes for both curves)
//   keystream = SHA-512(Z ‖ "stns-fleet-seal " ‖ ephemeral SPKI base64 ‖ " " ‖ host SPKI base64)
//   wrapped   = hex(keystream XOR (AES key ‖ MAC key))           (64 bytes: the host XORs in shell arithmetic)
// The IV is not secret (CBC sends it in clear) and is shared by every recipient: it travels once (sf_seal_iv).
// Both public keys are hashed in so a Z reached through another key pair opens nothing. No integrity tag: a
// wrong run key fails the sealed payload's decryption, and its HMAC, on the host.
import { createHash, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { RunKey } from './run-key.js';

export type EcdhKind = 'x25519' | 'p256';

/** The curve of an SPKI public key, if it is one we seal to. */
export function ecdhKindOf(pub: KeyObject): EcdhKind | null {
  if (pub.asymmetricKeyType === 'x25519') return 'x25519';
  if (pub.asymmetricKeyType === 'ec' && pub.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'p256';
  return null;
}

export interface Ephemeral {
  kind: EcdhKind;
  privateKey: KeyObject;
  /** Its public key as the host reads it: base64 DER SPKI. */
  spkiB64: string;
}

export function newEphemeral(kind: EcdhKind): Ephemeral {
  const { privateKey, publicKey } = kind === 'x25519' ? generateKeyPairSync('x25519') : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { kind, privateKey, spkiB64: publicKey.export({ type: 'spki', format: 'der' }).toString('base64') };
}

/** The sf_seal_peer line: the ephemeral public key as PEM body lines (OpenSSL 1.0.2 reads 64-column PEM only). */
export function peerLine(e: Ephemeral): string {
  return `sf_seal_peer ${e.kind} ${(e.spkiB64.match(/.{1,64}/g) ?? []).join(' ')}`;
}

/** The run key's secret halves (key ‖ mac) wrapped to one host: 128 hex digits. */
export function ecdhWrap(rk: RunKey, e: Ephemeral, hostSpkiB64: string): string {
  const host = createPublicKey({ key: Buffer.from(hostSpkiB64, 'base64'), format: 'der', type: 'spki' });
  if (ecdhKindOf(host) !== e.kind) throw new Error(`internal: a ${e.kind} ephemeral key for another kind of seal key`);
  const z = diffieHellman({ privateKey: e.privateKey, publicKey: host });
  const ks = createHash('sha512').update(z).update(`stns-fleet-seal ${e.spkiB64} ${hostSpkiB64}`).digest();
  const secret = Buffer.concat([rk.key, rk.mac]);
  return Buffer.from(secret.map((b, i) => b ^ ks[i]!)).toString('hex');
}
