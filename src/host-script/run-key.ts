// The run key: the random secrets one apply (or re-register) run seals files with; seal.ts wraps it to each
// host, seal-ecdh.ts for elliptic-curve seal keys. Its own module so both can name it without a cycle.
import { randomBytes } from 'node:crypto';

export interface RunKey {
  key: Buffer;
  iv: Buffer;
  /** HMAC-SHA256 key for the digests that stand for a sealed file's content. */
  mac: Buffer;
}

export function newRunKey(): RunKey {
  return { key: randomBytes(32), iv: randomBytes(16), mac: randomBytes(32) };
}
