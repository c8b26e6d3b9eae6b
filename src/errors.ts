// One error family for everything the user can cause or we can report cleanly. cli/main.ts maps these to
// exit codes and prints `message` (plus `hint`) without a stack trace; anything else is a bug and says so.

export type FleetErrorCode =
  | 'INVENTORY_INVALID'
  | 'INVENTORY_UNREADABLE'
  | 'USAGE'
  | 'SECRET_UNRESOLVED'
  | 'PROFILE_UNKNOWN'
  | 'TEMPLATE'
  | 'RENDER'
  | 'IO'
  | 'AWS';

export class FleetError extends Error {
  readonly code: FleetErrorCode;
  readonly hint: string | undefined;
  /** Extra lines printed under the message (e.g. one per inventory problem). */
  readonly details: string[];

  constructor(code: FleetErrorCode, message: string, opts: { hint?: string; details?: string[]; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'FleetError';
    this.code = code;
    this.hint = opts.hint;
    this.details = opts.details ?? [];
  }
}

export function isFleetError(e: unknown): e is FleetError {
  return e instanceof FleetError;
}
