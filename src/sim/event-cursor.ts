/** Cursor-based waiting over a growing list: each waiter gets the next item of its event name not yet handed out, with a timeout on a clock. */
import type { Clock, Timer } from "../base/clock.ts";

interface Waiter<T> {
  event: string;
  resolve: (value: T) => void;
  reject: (err: Error) => void;
  timer: Timer;
}

export class EventCursor<T> {
  private readonly seen = new Map<string, number>();
  private readonly waiters = new Set<Waiter<T>>();

  /**
   * @param items the list, appended to by its owner (call notify() after each append)
   * @param what names an item in error messages ("frame", "timeline event")
   * @param label prefixes error messages ("mcube call")
   */
  constructor(
    private readonly items: readonly T[],
    private readonly nameOf: (item: T) => string | undefined,
    private readonly what: string,
    private readonly clock: Clock,
    private readonly label: string,
  ) {}

  private take(event: string): T | undefined {
    const from = this.seen.get(event) ?? 0;
    for (let i = from; i < this.items.length; i++) {
      if (this.nameOf(this.items[i]!) === event) {
        this.seen.set(event, i + 1);
        return this.items[i];
      }
    }
    return undefined;
  }

  /** The next unseen item named `event` (possibly one already there); rejects after `timeoutMs` on the clock. */
  wait(event: string, timeoutMs: number): Promise<T> {
    const found = this.take(event);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const waiter: Waiter<T> = {
        event,
        resolve,
        reject,
        timer: this.clock.setTimer(() => {
          this.waiters.delete(waiter);
          reject(new Error(`${this.label}: no ${this.what} "${event}" within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  /** Call after an item was appended. */
  notify(): void {
    for (const waiter of [...this.waiters]) {
      const found = this.take(waiter.event);
      if (found === undefined) continue;
      this.clock.clearTimer(waiter.timer);
      this.waiters.delete(waiter);
      waiter.resolve(found);
    }
  }

  /** Fails every pending wait (the call ended). */
  failAll(reason: string): void {
    for (const waiter of this.waiters) {
      this.clock.clearTimer(waiter.timer);
      waiter.reject(new Error(`${this.label}: ${reason} before ${this.what} "${waiter.event}"`));
    }
    this.waiters.clear();
  }
}
