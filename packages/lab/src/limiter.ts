// A counting semaphore: at most `max` host processes at once, so a 1,000-host lab does not fork-bomb the
// machine. Waiters are served in arrival order; a waiter can give up (cancel before its turn).

export class Limiter {
  private active = 0;
  private readonly queue: { resolve: () => void; gaveUp: boolean }[] = [];

  constructor(private readonly max: number) {}

  /** Resolves when a slot is free; call the returned release() exactly once. `giveUp` withdraws the wait. */
  acquire(): { ready: Promise<() => void>; giveUp: () => void } {
    const entry = { resolve: () => {}, gaveUp: false };
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      this.active--;
      this.next();
    };
    const ready = new Promise<() => void>((resolve) => {
      entry.resolve = () => resolve(release);
    });
    this.queue.push(entry);
    this.next();
    return { ready, giveUp: () => { entry.gaveUp = true; } };
  }

  private next(): void {
    while (this.active < this.max && this.queue.length > 0) {
      const e = this.queue.shift()!;
      if (e.gaveUp) continue;
      this.active++;
      e.resolve();
    }
  }
}
