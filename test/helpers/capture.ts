// An Io that keeps what a command printed (stdout and stderr interleaved, as a person sees them).
import type { Io } from '../../src/output/io.js';

export interface Captured {
  io: Io;
  text: () => string;
}

/** `stampErr` prefixes each stderr write with the seconds since the capture began (for slow e2e logs). */
export function capture(o: { stampErr?: boolean } = {}): Captured {
  const parts: string[] = [];
  const t0 = Date.now();
  const err = o.stampErr ? (t: string): string => `[+${((Date.now() - t0) / 1000).toFixed(1)}s] ${t}` : (t: string): string => t;
  return { io: { out: (t) => void parts.push(t), err: (t) => void parts.push(err(t)) }, text: () => parts.join('') };
}
