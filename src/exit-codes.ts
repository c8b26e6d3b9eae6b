// What stns-fleet's exit code means, in one place: plan, apply and verify map their results here, and
// cli/program.ts maps errors and signals here too. Each code means the same thing in every command:
//
//   code  meaning
//   0     success: done, every selected host accounted for (plan: and nothing to change)
//   1     failure: a host failed, drifted, was cancelled, could not be planned or did not verify; the rollout
//         stopped; the confirmation was declined; or an error (the message says what and where)
//   2     changes: the plan has changes (plan only, as `terraform plan -detailed-exitcode`)
//   3     incomplete: some selected hosts were skipped (stopped, offline, no agent, claimed by two groups) or
//         unreachable (their facts could not be read), and nothing failed
//   130   interrupted by SIGINT (Ctrl-C): new work stopped, in-flight commands cancelled, every host reported
//   143   interrupted by SIGTERM: the same
//
// When several hold, the first of these wins: interrupted > failure > incomplete > changes > success. So a
// plan with changes and an unreachable host exits 3 (incomplete), and an apply that changed 17 hosts, skipped
// 3 and failed none exits 3 too. The codes are computed from the plan's hosts (a saved plan gives the same
// code as a fresh one); IDs that neither EC2 nor SSM knows are listed as "not found" but are not hosts.

export const EXIT = {
  OK: 0,
  FAILURE: 1,
  CHANGES: 2,
  INCOMPLETE: 3,
  SIGINT: 130,
  SIGTERM: 143,
} as const;

export type InterruptSignal = 'SIGINT' | 'SIGTERM';

/** The abort reason of an interrupt: which signal asked the command to stop. */
export class Interrupted extends Error {
  constructor(readonly signal: InterruptSignal) {
    super(`interrupted by ${signal}`);
    this.name = 'Interrupted';
  }
}

/** Which signal aborted `signal`, if it was aborted (an abort without an Interrupted reason counts as Ctrl-C). */
export function interruption(signal: AbortSignal | undefined): InterruptSignal | undefined {
  if (!signal?.aborted) return undefined;
  return signal.reason instanceof Interrupted ? signal.reason.signal : 'SIGINT';
}

/** How a report names the interrupt: "interrupted (Ctrl-C)", "interrupted (SIGTERM)". */
export function interruptedLabel(sig: InterruptSignal): string {
  return `interrupted (${sig === 'SIGINT' ? 'Ctrl-C' : 'SIGTERM'})`;
}

export function signalExitCode(sig: InterruptSignal): number {
  return sig === 'SIGTERM' ? EXIT.SIGTERM : EXIT.SIGINT;
}

export interface RunResult {
  interrupted?: InterruptSignal | undefined;
  failed?: boolean;
  incomplete?: boolean;
  /** Only plan reports changes as a code of its own. */
  changes?: boolean;
}

/** The one exit code for a run, by precedence: interrupted > failure > incomplete > changes > success. */
export function exitCode(r: RunResult): number {
  if (r.interrupted) return signalExitCode(r.interrupted);
  if (r.failed) return EXIT.FAILURE;
  if (r.incomplete) return EXIT.INCOMPLETE;
  if (r.changes) return EXIT.CHANGES;
  return EXIT.OK;
}

/** An error ended the command: failure, unless it was interrupted first (interrupted wins). */
export function errorExitCode(interrupted?: InterruptSignal): number {
  return exitCode({ interrupted, failed: true });
}

/** The plan's hosts as exit-code facts: a host that could not be planned is a failure, skipped/unreachable ones
 * make the run incomplete. */
export function planFacts(counts: { error: number; skipped: number; unreachable: number; change: number }): Required<Omit<RunResult, 'interrupted'>> {
  return { failed: counts.error > 0, incomplete: counts.skipped + counts.unreachable > 0, changes: counts.change > 0 };
}

const INTERRUPTED_HELP = `  130  interrupted by Ctrl-C (SIGINT); 143 by SIGTERM: nothing more was sent, in-flight commands
       were cancelled, every host is reported`;

/** The "Exit codes" paragraph of each command's --help. */
export const EXIT_CODES_HELP = {
  program: `Exit codes of plan, apply and verify (each one's --help says more):
  0    success
  1    failure or error (the message says what and where)
  2    plan only: there are changes
  3    incomplete: some selected hosts were skipped or unreachable, and nothing failed
  130  interrupted by Ctrl-C (SIGINT); 143 by SIGTERM
When several hold: interrupted > failure (1) > incomplete (3) > changes (2) > success (0).`,
  plan: `Exit codes (as terraform plan -detailed-exitcode, plus 3):
  0    no changes
  2    changes
  3    incomplete: some selected hosts were skipped or unreachable, and no host failed to plan
  1    a host could not be planned, or an error
${INTERRUPTED_HELP}
When several hold: interrupted > 1 > 3 > 2 > 0.`,
  apply: `Exit codes:
  0    every selected host changed or was already converged
  3    incomplete: no host failed, but some selected hosts were skipped or unreachable
  1    a host failed, drifted, was cancelled or could not be planned; the rollout stopped; the
       confirmation was declined; or an error
${INTERRUPTED_HELP}
When several hold: interrupted > 1 > 3 > 0.`,
  verify: `Exit codes:
  0    every selected host passes
  3    incomplete: every verified host passes, but some selected hosts were skipped or unreachable
  1    a host failed verification or could not be planned, the inventory selects no host, or an error
${INTERRUPTED_HELP}
When several hold: interrupted > 1 > 3 > 0.`,
} as const;
