// The errors stns-fleet reports cleanly, as three kinds by who can act on them. cli/error-report.ts is the one
// place that turns any thrown value into what is printed and the exit code; anything not a FleetError is a
// bug in stns-fleet and says so.
//
//   UserError  what the user gave is wrong: the command line, the inventory (file, line, field), a saved plan,
//              a secret that does not resolve, a profile or region that does not exist
//   AwsError   AWS (or the lab standing in for it) refused or failed: credentials, permissions, throttling
//              that outlasted every retry, an API error
//   ToolError  this machine: a template directory, an output file or a stock file that cannot be read/written

export type ErrorKind = 'user' | 'aws' | 'tool';

export interface ErrorOptions {
  /** One line on what to do about it, printed as `hint: …`. */
  hint?: string;
  /** Extra lines printed under the message (e.g. one per inventory problem). */
  details?: string[];
  cause?: unknown;
}

export abstract class FleetError extends Error {
  abstract readonly kind: ErrorKind;
  readonly hint: string | undefined;
  readonly details: string[];

  constructor(message: string, opts: ErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.hint = opts.hint;
    this.details = opts.details ?? [];
  }
}

export class UserError extends FleetError {
  readonly kind = 'user';
  override readonly name = 'UserError';
}

export class AwsError extends FleetError {
  readonly kind = 'aws';
  override readonly name = 'AwsError';
}

export class ToolError extends FleetError {
  readonly kind = 'tool';
  override readonly name = 'ToolError';
}

export function isFleetError(e: unknown): e is FleetError {
  return e instanceof FleetError;
}
