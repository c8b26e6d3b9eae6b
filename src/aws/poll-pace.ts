// When to look again, from the pace the commands in flight keep. What the caller waits for is the end of
// them all (a phase: facts, a rollout's batches, verify), so the estimate is the phase's: the hosts left in
// the commands in flight over the rate they complete at together. A command's rate is the one seen between
// its last two looks (SSM's concurrency ramp — one host, then exponentially more — makes the pace since
// SendCommand understate it) or, after a single look, completed / time since SendCommand; a command with no
// completion yet adds hosts to wait for and no rate. Commands can share the hosts' capacity (the lab's
// process slots; one host in two commands): when some end, the others speed up, which their own rates do not
// show yet. So the phase's pace over the last interval (every completion since the previous look, those of
// commands that ended in it too) counts when it is the faster. The poller looks at the expected end when that
// is sooner than its interval (poller.ts); it never waits past the interval for it: the pace can be misjudged
// (SSM's ramp, counters that lag), and a look delayed by it could be seconds late.
import type { Counters } from './follow.js';

export interface Paced {
  sent: { sentAt: number };
  last: Counters | undefined;
  /** When `last` was read. */
  lastAt?: number;
  /** What the look before it saw. */
  before?: { at: number; completed: number };
}

/** Completions the poller saw over its last interval, across every command it followed (ended ones too). */
export interface PhasePace {
  completed: number;
  ms: number;
}

/** When the commands of `cmds` are expected to be over (epoch ms); undefined when none has progress to judge by. */
export function expectedEnd(cmds: Iterable<Paced>, now: number, phase?: PhasePace): number | undefined {
  let left = 0;
  let rate = 0;
  for (const c of cmds) {
    const k = c.last;
    if (!k || k.completed >= k.target) continue;
    left += k.target - k.completed;
    const recent = c.before && c.lastAt !== undefined && c.lastAt > c.before.at ? (k.completed - c.before.completed) / (c.lastAt - c.before.at) : 0;
    rate += recent > 0 ? recent : k.completed / Math.max(1, now - c.sent.sentAt);
  }
  if (phase && phase.ms > 0) rate = Math.max(rate, phase.completed / phase.ms);
  return left > 0 && rate > 0 ? now + left / rate : undefined;
}
