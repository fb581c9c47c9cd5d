/**
 * Time as a parameter: every timer, deadline and timestamp of a call comes from one Clock, so tests
 * run the call on a clock they move by hand and assert the order of events instead of sleeping.
 */

/** An armed timer; pass it back to `clearTimer`. */
export type Timer = { readonly __timer: unique symbol };

export interface Clock {
  /** Monotonic milliseconds (for durations, deadlines and latency). */
  now(): number;
  /** Epoch milliseconds (for records and what operators read). */
  epochMs(): number;
  /** Runs `fn` once after `ms` (clamped to ≥ 0). */
  setTimer(fn: () => void, ms: number): Timer;
  /** Disarms a timer; a timer that already ran or was cleared is ignored. */
  clearTimer(timer: Timer | undefined): void;
}

/** The process's real clock: performance.now(), Date.now() and setTimeout. */
export const systemClock: Clock = {
  now: () => performance.now(),
  epochMs: () => Date.now(),
  setTimer: (fn, ms) => setTimeout(fn, Math.max(0, ms)) as unknown as Timer,
  clearTimer: (timer) => {
    if (timer !== undefined) clearTimeout(timer as unknown as ReturnType<typeof setTimeout>);
  },
};

/** Resolves after `ms` on `clock`. */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimer(resolve, ms));
}
