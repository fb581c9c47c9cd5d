/** Capped exponential backoff for retryable failures, with sleeps a signal can cut short. */

export interface RetryPolicy {
  /** Sends in total, the first one included. */
  maxAttempts: number;
  /** Delay before the first retry; doubles each time. */
  baseDelayMs: number;
  /** No delay grows past this. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 500, maxDelayMs: 8000 };

/**
 * Delay before retry number `retry` (1 = the first retry): base·2^(retry-1), capped, then
 * jittered down to 50–100% so a burst of failures does not retry in lockstep.
 * @example backoffDelayMs(3, { maxAttempts: 5, baseDelayMs: 500, maxDelayMs: 8000 }, () => 1) // 2000
 */
export function backoffDelayMs(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const exponential = policy.baseDelayMs * 2 ** Math.max(0, retry - 1);
  const capped = Math.min(policy.maxDelayMs, exponential);
  return Math.round(capped * (0.5 + 0.5 * random()));
}

/** Resolves after `ms`, or early (false) when `signal` aborts. The timer never outlives the wait. */
export function sleepMs(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
