/**
 * Timers something owns (a call, a fake conversation), armed on its clock through it and all stopped
 * in one call when it ends: nothing it armed can fire after that.
 */
import type { Clock, Timer } from "./clock.ts";

export class OwnedTimers {
  private readonly timers = new Set<Timer>();
  private readonly sleepers = new Set<() => void>();
  private stopped = false;

  constructor(private readonly clock: Clock) {}

  /** Runs `fn` once after `ms`; nothing once stopped. */
  after(ms: number, fn: () => void): Timer | undefined {
    if (this.stopped) return undefined;
    const timer = this.clock.setTimer(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
    return timer;
  }

  /** Runs `fn` every `ms` until stopped. */
  every(ms: number, fn: () => void): void {
    this.after(ms, () => {
      fn();
      this.every(ms, fn);
    });
  }

  cancel(timer: Timer | undefined): void {
    if (timer === undefined) return;
    this.clock.clearTimer(timer);
    this.timers.delete(timer);
  }

  /** Resolves after `ms`, or at once when stopped (so a streaming turn ends instead of hanging). */
  sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        this.sleepers.delete(wake);
        resolve();
      };
      this.sleepers.add(wake);
      this.after(ms, wake);
    });
  }

  /** Timers armed and not yet run or cancelled. */
  get size(): number {
    return this.timers.size;
  }

  /** Clears every timer and wakes every sleeper; later timers are not armed. */
  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) this.clock.clearTimer(timer);
    this.timers.clear();
    for (const wake of this.sleepers) wake();
    this.sleepers.clear();
  }
}
