// Durations on the command line (--timeout, --wait): seconds, or 90s, 15m, 1h.
import { UserError } from '../errors.js';

/** `flag` names the option in the error (reactivate's --interval and --wait use this too). */
export function parseDuration(v: string, flag = '--timeout'): number {
  const m = /^(\d+)(s|m|h)?$/.exec(v);
  if (!m) throw new UserError(`${flag} ${v}: give seconds, or a duration such as 90s, 15m, 1h`);
  return Number(m[1]) * (m[2] === 'h' ? 3600 : m[2] === 'm' ? 60 : 1) * 1000;
}
