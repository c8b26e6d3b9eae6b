// The report key: an RSA key pair made for one facts run, whose public half travels in the facts command.
// Hosts encrypt to it what the controller must know but SSM must not keep in a form anyone could test
// guesses against: the sha256 of a secret-bearing file's real bytes. The private half never leaves this
// process, so the ciphertext in SSM's command output is useless once the run is over.
import { constants, generateKeyPair, privateDecrypt, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';

interface ReportKey {
  /** PEM (SubjectPublicKeyInfo), as `openssl pkeyutl -pubin -inkey` reads it on every OpenSSL from 1.0.2. */
  publicPem: string;
  /** A host's answer (base64 of RSA-OAEP with SHA-1, pkeyutl's default) → the sha256 it sealed, or undefined. */
  open(b64: string): string | undefined;
}

let prepared: Promise<ReportKey> | undefined;

/** Starts making the next run's key on libuv's thread pool (RSA-2048 generation takes 10–100 ms), so it is
 * ready when the facts are sent instead of delaying them; call it when a command knows it will gather facts. */
export function prepareReportKey(): void {
  prepared ??= makeReportKey();
}

/** A new key for one facts run: the prepared one, else one made now. Never the same key twice. */
export async function newReportKey(): Promise<ReportKey> {
  const key = prepared ?? makeReportKey();
  prepared = undefined;
  return key;
}

async function makeReportKey(): Promise<ReportKey> {
  const { publicKey, privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  return {
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    open: (b64) => openWith(privateKey, b64),
  };
}

function openWith(key: KeyObject, b64: string): string | undefined {
  try {
    const text = privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, Buffer.from(b64, 'base64')).toString('latin1');
    return /^[0-9a-f]{64}$/.test(text) ? text : undefined;
  } catch {
    return undefined;
  }
}
