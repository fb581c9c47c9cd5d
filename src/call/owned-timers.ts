/** Timers a call owns: armed on the call's clock through it, all cleared in one call when it ends. */
import type { Clock, Timer } from "../base/clock.ts";

export class OwnedTimers {
  private readonly live = new Set<Timer>();
  private stopped = false;

  constructor(private readonly clock: Clock) {}

  /** Runs `fn` once after `ms`; does nothing after `clearAll()`. */
  after(ms: number, fn: () => void): Timer | undefined {
    if (this.stopped) return undefined;
    const timer = this.clock.setTimer(() => {
      this.live.delete(timer);
      fn();
    }, ms);
    this.live.add(timer);
    return timer;
  }

  cancel(timer: Timer | undefined): void {
    if (timer === undefined) return;
    this.clock.clearTimer(timer);
    this.live.delete(timer);
  }

  /** A promise that resolves after `ms` (or never, once cleared: callers race it). */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.after(ms, resolve));
  }

  clearAll(): void {
    this.stopped = true;
    for (const timer of this.live) this.clock.clearTimer(timer);
    this.live.clear();
  }

  get size(): number {
    return this.live.size;
  }
}
