// The one output seam: every byte a command shows passes through one Emitter on its way to the terminal (an
// Io: stdout for the report or the one JSON document, stderr for progress, warnings and notices). It scrubs
// every secret value registered with it (whatever a host printed), and while the progress renderer draws a
// live frame it holds the other stderr lines, which would tear the frame, until the frame is done. The CLI
// makes one per run (cli/run.ts), so its own notices (the interrupt, an error) pass here too.
import { scrub, type SecretValues } from '../render/secrets.js';
import type { Io } from './io.js';

export class Emitter implements Io {
  readonly #terminal: Io;
  readonly #secrets: SecretValues[] = [];
  /** Stderr lines written while a live frame is up, in order; undefined when no frame is. */
  #held: string[] | undefined;
  readonly tty: Io['tty'];
  readonly confirm?: (question: string, signal?: AbortSignal) => Promise<boolean>;

  constructor(terminal: Io) {
    this.#terminal = terminal;
    this.tty = terminal.tty;
    const ask = terminal.confirm;
    if (ask) this.confirm = (q, signal) => ask(this.scrub(q), signal);
  }

  /** The emitter `io` is, or a new one over it: a command run from the CLI shares the CLI's. */
  static over(io: Io): Emitter {
    return io instanceof Emitter ? io : new Emitter(io);
  }

  /** Scrubs these values from everything written from now on. */
  protect(values: Iterable<SecretValues>): void {
    for (const v of values) this.#secrets.push(v);
  }

  readonly scrub = (text: string): string => {
    let t = text;
    for (const s of this.#secrets) t = scrub(t, s);
    return t;
  };

  out(text: string): void {
    this.#terminal.out(this.scrub(text));
  }

  /** A line (or lines) for stderr: written now, or after the live frame on screen is done. */
  err(text: string): void {
    const t = this.scrub(text);
    if (this.#held) this.#held.push(t);
    else this.#terminal.err(t);
  }

  /** Progress output: written at once, even while other stderr lines are held. */
  frame(text: string): void {
    this.#terminal.err(this.scrub(text));
  }

  /** Runs `f` with a live frame on screen: other stderr lines wait until it ends, then come out in order. */
  async live<T>(f: () => Promise<T>): Promise<T> {
    if (this.#held) return f(); // already live: the outer call releases
    const held: string[] = [];
    this.#held = held;
    try {
      return await f();
    } finally {
      this.#held = undefined;
      for (const t of held) this.#terminal.err(t);
    }
  }
}
