// Where a fleet command writes: stdout for the report (or the one JSON document), stderr for progress and
// warnings. Everything passes through scrub so no secret value can reach either, whatever a host printed.
import { scrub, type SecretValues } from '../render/secrets.js';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Asks a yes/no question on the terminal; undefined when there is no terminal to ask on. Aborting `signal`
   * (Ctrl-C, SIGTERM) ends the question: the answer is then no. */
  confirm?: (question: string, signal?: AbortSignal) => Promise<boolean>;
  /** What out/err do to text before writing it (scrubbingIo): for text shown by other means (progress titles). */
  scrub?: (text: string) => string;
}

export function scrubAll(text: string, secrets: Iterable<SecretValues>): string {
  let t = text;
  for (const s of secrets) t = scrub(t, s);
  return t;
}

export function scrubbingIo(io: Io, secrets: () => Iterable<SecretValues>): Io {
  const clean = (t: string): string => scrubAll(io.scrub ? io.scrub(t) : t, secrets());
  return {
    out: (t) => io.out(clean(t)),
    err: (t) => io.err(clean(t)),
    scrub: clean,
    ...(io.confirm ? { confirm: io.confirm } : {}),
  };
}

/** Ctrl-C read as a key, as if it were the signal: the SIGINT listeners (the command's interrupt handler) run
 * now, synchronously (a real signal would reach them only after the question ended); with none, the real one. */
function raiseSigint(): void {
  if (process.listenerCount('SIGINT') > 0) process.emit('SIGINT', 'SIGINT');
  else process.kill(process.pid, 'SIGINT');
}

/** A yes/no question on a terminal. readline in terminal mode reads Ctrl-C as a key (no SIGINT reaches the
 * process) and, with no 'SIGINT' listener, only pauses, so the prompt would hang: Ctrl-C ends the question
 * (the answer is no) and is raised as the process's SIGINT, which the command's interrupt handler turns into
 * an abort of its signal (a second Ctrl-C, an immediate exit). Aborting `signal` ends the question too. */
export function terminalConfirm(
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
  onCtrlC: () => void = raiseSigint,
): (question: string, signal?: AbortSignal) => Promise<boolean> {
  return async (q, signal) => {
    if (signal?.aborted) return false;
    const { createInterface } = await import('node:readline/promises');
    const rl = createInterface({ input, output, terminal: true });
    const ctrlC = new AbortController();
    rl.on('SIGINT', () => {
      onCtrlC(); // first: the command's signal is aborted by the time the question ends
      ctrlC.abort();
    });
    const ended = signal ? AbortSignal.any([signal, ctrlC.signal]) : ctrlC.signal;
    try {
      return (await rl.question(q, { signal: ended })).trim() === 'yes';
    } catch (e) {
      if (ended.aborted) {
        output.write('\n'); // end the prompt's line
        return false;
      }
      throw e;
    } finally {
      rl.close();
    }
  };
}

export function processIo(): Io {
  const io: Io = { out: (t) => void process.stdout.write(t), err: (t) => void process.stderr.write(t) };
  if (process.stdin.isTTY && process.stderr.isTTY) io.confirm = terminalConfirm(process.stdin, process.stderr);
  return io;
}
