// The one map from a thrown value to what the user reads and the exit code (src/exit-codes.ts): every error
// ends as one message, its detail lines and a hint, never a stack trace; only an error that is none of
// stns-fleet's kinds is called a bug, and only STNS_FLEET_DEBUG shows its stack.
import { isFleetError, type ErrorKind } from '../errors.js';
import { errorExitCode, type InterruptSignal } from '../exit-codes.js';

interface ErrorReport {
  exitCode: number;
  /** Lines for stderr, each without its newline. */
  lines: string[];
}

const LABEL: Record<ErrorKind, string> = {
  user: 'error',
  aws: 'AWS error',
  tool: 'error on this machine',
};

export function errorReport(e: unknown, interrupted: InterruptSignal | undefined, env: NodeJS.ProcessEnv = process.env): ErrorReport {
  // Every kind is a failure (1); an interrupt that came first wins (130/143), as for any other result.
  const exitCode = errorExitCode(interrupted);
  if (isFleetError(e)) {
    return { exitCode, lines: [`stns-fleet: ${LABEL[e.kind]}: ${e.message}`, ...e.details, ...(e.hint ? [`hint: ${e.hint}`] : [])] };
  }
  const err = e instanceof Error ? e : new Error(String(e));
  return {
    exitCode,
    lines: [
      `stns-fleet: internal error: ${err.message}`,
      env['STNS_FLEET_DEBUG'] ? (err.stack ?? '') : 'This is a bug in stns-fleet; run again with STNS_FLEET_DEBUG=1 for a stack trace and report it.',
    ],
  };
}
