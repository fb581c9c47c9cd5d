/** Timers a call owns: created through it, all cleared in one call when it ends. */

export class OwnedTimers {
  private readonly live = new Set<ReturnType<typeof setTimeout>>();
  private stopped = false;

  /** Runs `fn` once after `ms`; does nothing after `clearAll()`. */
  after(ms: number, fn: () => void): ReturnType<typeof setTimeout> | undefined {
    if (this.stopped) return undefined;
    const timer = setTimeout(() => {
      this.live.delete(timer);
      fn();
    }, Math.max(0, ms));
    this.live.add(timer);
    return timer;
  }

  cancel(timer: ReturnType<typeof setTimeout> | undefined): void {
    if (timer === undefined) return;
    clearTimeout(timer);
    this.live.delete(timer);
  }

  /** A promise that resolves after `ms` (or never, once cleared: callers race it). */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.after(ms, resolve));
  }

  clearAll(): void {
    this.stopped = true;
    for (const timer of this.live) clearTimeout(timer);
    this.live.clear();
  }

  get size(): number {
    return this.live.size;
  }
}
