// When to look again, from the pace the commands in flight keep: a command that has finished `completed` of
// its `target` hosts in `elapsed` is expected to end after about elapsed × (target − completed) / completed
// more. The poller looks then, when that is sooner than its growing interval would: a phase's end is then
// noticed soon after it happens, not up to a whole (multi-second) interval later, and a long run still costs
// few calls (the interval keeps growing while the estimate is far off).
import type { Counters } from './follow.js';

export interface Paced {
  sent: { sentAt: number };
  last: Counters | undefined;
}

/** The soonest expected end among `cmds` (epoch ms), or undefined when none has made progress to judge by. */
export function soonestExpectedEnd(cmds: Iterable<Paced>, now: number): number | undefined {
  let soonest: number | undefined;
  for (const c of cmds) {
    const k = c.last;
    if (!k || k.completed <= 0 || k.completed >= k.target) continue;
    const elapsed = Math.max(0, now - c.sent.sentAt);
    const end = now + (elapsed * (k.target - k.completed)) / k.completed;
    soonest = soonest === undefined ? end : Math.min(soonest, end);
  }
  return soonest;
}
