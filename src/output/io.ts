// The terminal a command's output ends on: stdout for the report (or the one JSON document), stderr for
// progress and warnings, text only. processIo() is the real one and the only code that writes to
// process.stdout/stderr; every byte reaches it through the Emitter (emitter.ts), which scrubs the secrets.
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** The terminal behind `err`, when it is one: the live progress renderer sizes its frames from it. */
  tty?: { isTTY?: boolean; columns?: number; rows?: number };
  /** Asks a yes/no question on the terminal; undefined when there is no terminal to ask on. Aborting `signal`
   * (Ctrl-C, SIGTERM) ends the question: the answer is then no. */
  confirm?: (question: string, signal?: AbortSignal) => Promise<boolean>;
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
  const io: Io = { out: (t) => void process.stdout.write(t), err: (t) => void process.stderr.write(t), tty: process.stderr };
  if (process.stdin.isTTY && process.stderr.isTTY) io.confirm = terminalConfirm(process.stdin, process.stderr);
  return io;
}
