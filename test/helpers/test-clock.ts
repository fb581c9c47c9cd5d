/**
 * A clock tests move by hand. Timers run in time order when the test advances it; between
 * instants the event loop gets a few turns so real loopback sockets (gateway, fake agent,
 * simulated caller) deliver what the timers sent before time moves on.
 */
import type { Clock, Timer } from "../../src/base/clock.ts";

interface Entry {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** Event-loop turns per instant: a frame crosses four loopback hops (caller → gateway → agent → gateway → caller) in about two turns each. */
const TURNS_PER_INSTANT = 12;

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class TestClock implements Clock {
  private timeMs = 0;
  private seq = 0;
  private queue: Entry[] = [];
  /** Epoch of fake time zero: a fixed instant, so records are reproducible. */
  readonly epochZeroMs: number;

  constructor(epochZeroMs = Date.UTC(2026, 11, 1, 10, 0, 0)) {
    this.epochZeroMs = epochZeroMs;
  }

  now(): number {
    return this.timeMs;
  }

  epochMs(): number {
    return this.epochZeroMs + this.timeMs;
  }

  setTimer(fn: () => void, ms: number): Timer {
    const entry: Entry = { at: this.timeMs + Math.max(0, ms), seq: ++this.seq, fn, cancelled: false };
    // Kept sorted by (at, seq): timers are few per call, and insertion keeps runs in order.
    let i = this.queue.length;
    while (i > 0 && (this.queue[i - 1]!.at > entry.at)) i--;
    this.queue.splice(i, 0, entry);
    return entry as unknown as Timer;
  }

  clearTimer(timer: Timer | undefined): void {
    if (timer === undefined) return;
    const entry = timer as unknown as Entry;
    entry.cancelled = true;
    const index = this.queue.indexOf(entry);
    if (index >= 0) this.queue.splice(index, 1);
  }

  /** Armed timers (for "nothing is left" checks). */
  get pending(): number {
    return this.queue.length;
  }

  /** Lets real I/O and promise chains run without moving time. */
  async settle(turns = TURNS_PER_INSTANT): Promise<void> {
    for (let i = 0; i < turns; i++) await turn();
  }

  /**
   * Lets real I/O run, without moving time, until `check()` holds: for work that takes wall-clock time but
   * no call time (a request crossing loopback through Bun's HTTP thread). Fails after `maxRealMs`.
   */
  async settleUntil(check: () => boolean, what = "the condition", maxRealMs = 5000): Promise<void> {
    const giveUpAt = performance.now() + maxRealMs;
    await this.settle();
    while (!check()) {
      if (performance.now() >= giveUpAt) throw new Error(`${what} did not happen within ${maxRealMs} ms of real time (no call time passed)`);
      await new Promise((resolve) => setTimeout(resolve, 1));
      await this.settle();
    }
  }

  /** Moves time forward by `ms`, running every timer due on the way in order, settling I/O at each instant. */
  async advance(ms: number): Promise<void> {
    const end = this.timeMs + ms;
    await this.settle();
    for (let guard = 0; guard < 1_000_000; guard++) {
      const next = this.queue[0];
      if (!next || next.at > end) break;
      this.timeMs = Math.max(this.timeMs, next.at);
      // Everything due at this instant, including timers they arm for the same instant.
      while (this.queue[0] && this.queue[0].at <= this.timeMs) {
        const entry = this.queue.shift()!;
        if (!entry.cancelled) entry.fn();
      }
      await this.settle();
    }
    this.timeMs = end;
    await this.settle();
  }

  /**
   * Advances in steps of `stepMs` until `check()` holds; fails after `maxMs` of fake time.
   * The fake-time budget replaces wall-clock timeouts: a test that waits for an event says how long
   * the call may take for it, in call time.
   */
  async until(check: () => boolean, maxMs = 10_000, what = "the condition", stepMs = 20): Promise<void> {
    const deadline = this.timeMs + maxMs;
    await this.settle();
    while (!check()) {
      if (this.timeMs >= deadline) throw new Error(`${what} did not happen within ${maxMs} ms of call time`);
      await this.advance(Math.min(stepMs, deadline - this.timeMs));
    }
  }

  /** `until` for a promise: advances time until it settles, then returns its value. */
  async run<T>(promise: Promise<T>, maxMs = 10_000, what = "the awaited event", stepMs = 20): Promise<T> {
    let done = false;
    const watched = promise.finally(() => {
      done = true;
    });
    watched.catch(() => undefined);
    await this.until(() => done, maxMs, what, stepMs);
    return watched;
  }
}
