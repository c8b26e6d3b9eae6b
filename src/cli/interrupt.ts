// How the CLI runs a long command: its first SIGINT (Ctrl-C) or SIGTERM asks it to stop cleanly (no new
// work, in-flight commands cancelled, every host reported, exit 130/143); a second quits at once. The notice
// goes through the run's Emitter, so it waits for a live progress frame instead of tearing it.
import { exitCode, Interrupted, signalExitCode, type InterruptSignal } from '../exit-codes.js';
import type { Emitter } from '../output/emitter.js';

export interface Interrupts {
  /** Runs `run` with a signal that the first SIGINT/SIGTERM aborts; sets process.exitCode from its result. */
  interruptible(what: string, run: (signal: AbortSignal) => Promise<number>): Promise<void>;
  /** The signal that interrupted the running command, if one did: an error after it still exits 130/143. */
  by(): InterruptSignal | undefined;
}

export function interrupts(io: Emitter): Interrupts {
  let interruptedBy: InterruptSignal | undefined;
  return {
    by: () => interruptedBy,
    async interruptible(what, run) {
      const ctl = new AbortController();
      const handler = (sig: InterruptSignal) => (): void => {
        if (ctl.signal.aborted) process.exit(signalExitCode(sig));
        interruptedBy = sig;
        io.err(`\nstns-fleet: interrupted: ${what} (${sig === 'SIGINT' ? 'Ctrl-C' : 'SIGTERM'} again to quit at once)\n`);
        ctl.abort(new Interrupted(sig));
      };
      const onSigint = handler('SIGINT');
      const onSigterm = handler('SIGTERM');
      process.on('SIGINT', onSigint);
      process.on('SIGTERM', onSigterm);
      try {
        const code = await run(ctl.signal);
        process.exitCode = interruptedBy ? exitCode({ interrupted: interruptedBy }) : code;
      } finally {
        process.off('SIGINT', onSigint);
        process.off('SIGTERM', onSigterm);
      }
    },
  };
}
