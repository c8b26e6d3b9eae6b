// How the calls of one run slow down together when AWS throttles: fewer calls in flight, never a pause.
// A throttle is AWS asking this account to slow down, so every call of the run takes the hint, not just the
// one that was refused (its retry waits out backoff.ts's jittered delay, outside the gate). The gate limits
// calls in flight, halved at each throttle (never below one) and grown back by one per limit's worth of
// successes (additive increase, multiplicative decrease, as TCP does).
//
// Why not the SDK's adaptive mode: its limiter is a token bucket whose rate starts from the send rate it has
// measured, which is zero until its first half-second bucket closes, and never below 0.5 tokens a second. A
// throttle in a run's first second (one answer in twenty at 5 %) left every later call of that process waiting
// up to 2 s for a token for seconds on end (a 50-host plan took 8.4 s instead of 1.8 s, and a 10,000-host one
// 74 s instead of 13 s: issue #15). A short-lived CLI never measures a rate worth keeping; calls in flight
// adapt at once in both directions.

/** Calls in flight allowed before any throttle: above what any operation asks for (transport concurrency). */
export const GATE_CEILING = 64;

export class ThrottleGate {
  private allowed: number;
  private inFlight = 0;
  private successes = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly ceiling = GATE_CEILING) {
    this.allowed = ceiling;
  }

  /** Calls in flight allowed now (for tests and the debug log). */
  get limit(): number {
    return this.allowed;
  }

  /** Runs one attempt of a call through the gate; `throttled(e)` says whether its error was a throttle. */
  async run<T>(attempt: () => Promise<T>, throttled: (e: unknown) => boolean): Promise<T> {
    // In arrival order: a call arriving while others wait queues behind them. admit() counts a waiter in.
    if (this.waiting.length === 0 && this.inFlight < this.allowed) this.inFlight++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      const value = await attempt();
      this.succeeded();
      return value;
    } catch (e) {
      if (throttled(e)) this.throttledOnce();
      throw e;
    } finally {
      this.inFlight--;
      this.admit();
    }
  }

  private succeeded(): void {
    if (this.allowed >= this.ceiling || ++this.successes < this.allowed) return;
    this.allowed++;
    this.successes = 0;
  }

  private throttledOnce(): void {
    // Halve what was really in flight (the limit may be far above it), so the next throttle-free round starts
    // below the level AWS refused.
    this.allowed = Math.max(1, Math.floor(Math.min(this.allowed, this.inFlight) / 2));
    this.successes = 0;
  }

  private admit(): void {
    while (this.waiting.length > 0 && this.inFlight < this.allowed) {
      this.inFlight++;
      this.waiting.shift()!();
    }
  }
}
