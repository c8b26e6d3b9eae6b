// When to look again, from the pace the commands in flight keep: a command that finished `completed` of its
// `target` hosts is expected to end after (target − completed) / rate more, the rate being the one seen
// between the last two looks (SSM's concurrency ramp — one host, then exponentially more — makes the pace
// since SendCommand understate it), or, after a single look, completed / time since SendCommand. The poller
// looks then when that is sooner than its growing interval would: a phase's end is noticed soon after it
// happens, not up to a whole (multi-second) interval later. It never stretches the interval: the pace can
// be misjudged (SSM's ramp, counters that lag), and a look delayed by it could be seconds late.
import type { Counters } from './follow.js';

export interface Paced {
  sent: { sentAt: number };
  last: Counters | undefined;
  /** When `last` was read. */
  lastAt?: number;
  /** What the look before it saw. */
  before?: { at: number; completed: number };
}

/** The soonest expected end among `cmds` (epoch ms); undefined when none has made progress yet. */
export function expectedEnd(cmds: Iterable<Paced>, now: number): number | undefined {
  let soonest: number | undefined;
  for (const c of cmds) {
    const k = c.last;
    if (!k || k.completed >= k.target) continue;
    const recent = c.before && c.lastAt !== undefined && c.lastAt > c.before.at ? (k.completed - c.before.completed) / (c.lastAt - c.before.at) : 0;
    const overall = k.completed / Math.max(1, now - c.sent.sentAt);
    const rate = recent > 0 ? recent : overall;
    if (rate <= 0) continue;
    const end = now + (k.target - k.completed) / rate;
    soonest = soonest === undefined ? end : Math.min(soonest, end);
  }
  return soonest;
}
