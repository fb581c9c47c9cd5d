/** Waiting on a promise for at most a bounded time, with the timer always cleared. */
import { systemClock, type Clock, type Timer } from "./clock.ts";

/**
 * Resolves with `promise`'s value, or with `onTimeout` once `ms` have passed, whichever comes first.
 * A rejection of `promise` before then rejects. The promise itself keeps running after a timeout.
 * The deadline runs on `clock` (default the system clock).
 * @example const bot = await withTimeout(lookup(did), 1000, TIMED_OUT);
 */
export async function withTimeout<T, F>(promise: Promise<T>, ms: number, onTimeout: F, clock: Clock = systemClock): Promise<T | F> {
  let timer: Timer | undefined;
  const deadline = new Promise<F>((resolve) => {
    timer = clock.setTimer(() => resolve(onTimeout), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clock.clearTimer(timer);
  }
}
