/** Waiting on a promise for at most a bounded time, with the timer always cleared. */

/**
 * Resolves with `promise`'s value, or with `onTimeout` once `ms` have passed, whichever comes first.
 * A rejection of `promise` before then rejects. The promise itself keeps running after a timeout.
 * @example const bot = await withTimeout(lookup(did), 1000, TIMED_OUT);
 */
export async function withTimeout<T, F>(promise: Promise<T>, ms: number, onTimeout: F): Promise<T | F> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<F>((resolve) => {
    timer = setTimeout(() => resolve(onTimeout), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
