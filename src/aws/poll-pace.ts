// When to look again, from the pace the commands in flight keep: a command that has finished `completed` of
// its `target` hosts in `elapsed` is expected to end after about elapsed × (target − completed) / completed
// more. The poller looks then, when that is sooner than its growing interval would: a phase's end is then
// noticed soon after it happens, not up to a whole (multi-second) interval later; and far from the end the
// interval may stretch to half the time left (within maxPollMs), so a long run costs fewer calls.
import type { Counters } from './follow.js';

export interface Paced {
  sent: { sentAt: number };
  last: Counters | undefined;
}

/** The soonest expected end among `cmds` (epoch ms), and whether every one of them has a pace to judge by;
 * undefined when none has made progress yet. */
export function expectedEnds(cmds: Iterable<Paced>, now: number): { soonest: number; all: boolean } | undefined {
  let soonest: number | undefined;
  let all = true;
  for (const c of cmds) {
    const k = c.last;
    if (!k || k.completed <= 0 || k.completed >= k.target) {
      if (!k || k.completed < k.target) all = false;
      continue;
    }
    const elapsed = Math.max(0, now - c.sent.sentAt);
    const end = now + (elapsed * (k.target - k.completed)) / k.completed;
    soonest = soonest === undefined ? end : Math.min(soonest, end);
  }
  return soonest === undefined ? undefined : { soonest, all };
}
