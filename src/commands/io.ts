// Where a fleet command writes: stdout for the report (or the one JSON document), stderr for progress and
// warnings. Everything passes through scrub so no secret value can reach either, whatever a host printed.
import { scrub, type SecretValues } from '../render/secrets.js';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Asks a yes/no question on the terminal; undefined when there is no terminal to ask on. */
  confirm?: (question: string) => Promise<boolean>;
}

export function scrubAll(text: string, secrets: Iterable<SecretValues>): string {
  let t = text;
  for (const s of secrets) t = scrub(t, s);
  return t;
}

export function scrubbingIo(io: Io, secrets: () => Iterable<SecretValues>): Io {
  return {
    out: (t) => io.out(scrubAll(t, secrets())),
    err: (t) => io.err(scrubAll(t, secrets())),
    ...(io.confirm ? { confirm: io.confirm } : {}),
  };
}

export function processIo(): Io {
  const io: Io = { out: (t) => void process.stdout.write(t), err: (t) => void process.stderr.write(t) };
  if (process.stdin.isTTY && process.stderr.isTTY) {
    io.confirm = async (q) => {
      const { createInterface } = await import('node:readline/promises');
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return (await rl.question(q)).trim() === 'yes';
      } finally {
        rl.close();
      }
    };
  }
  return io;
}
