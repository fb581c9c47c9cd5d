/** Token-bucket rate limiter: callers wait their turn so requests never exceed the configured rate. */
import { UsageError } from "../base/errors.ts";
import { sleepMs } from "./retry.ts";

export interface Rate {
  perSecond: number;
  /** As the operator wrote it, for messages ("2/s"). */
  text: string;
}

const UNIT_SECONDS: Record<string, number> = { s: 1, sec: 1, second: 1, m: 60, min: 60, minute: 60, h: 3600, hour: 3600 };

/**
 * Parses "2/s", "120/m", "0.5/s", "1000/h" or a bare number (per second).
 * @throws UsageError naming the accepted forms.
 */
export function parseRate(text: string): Rate {
  const match = text.trim().match(/^(\d+(?:\.\d+)?)\s*(?:\/\s*([a-z]+))?$/i);
  const unit = match?.[2]?.toLowerCase() ?? "s";
  const seconds = UNIT_SECONDS[unit];
  const count = Number(match?.[1]);
  if (!match || seconds === undefined || !(count > 0)) {
    throw new UsageError(`outbound: --rate ${JSON.stringify(text)} is not a rate`, "use a count per second, minute or hour, like --rate 2/s or --rate 120/m");
  }
  const perSecond = count / seconds;
  if (perSecond > 1000) throw new UsageError(`outbound: --rate ${text} is above 1000/s`, "use a rate Mcube can take, like --rate 5/s");
  return { perSecond, text: text.trim() };
}

export interface TokenBucket {
  /** Waits for a token; false when `signal` aborted first (no token taken). */
  take(signal?: AbortSignal): Promise<boolean>;
}

/**
 * A bucket holding at most `burst` tokens, refilled at `perSecond`. Waiters are served in order.
 * With burst 1, any window of T seconds holds at most 1 + perSecond·T grants.
 */
export function createTokenBucket({ perSecond, burst = 1, now = () => performance.now() }: { perSecond: number; burst?: number; now?: () => number }): TokenBucket {
  const intervalMs = 1000 / perSecond;
  let tokens = burst;
  let refilledAt = now();
  let queue: Promise<unknown> = Promise.resolve();

  const refill = () => {
    const t = now();
    tokens = Math.min(burst, tokens + (t - refilledAt) / intervalMs);
    refilledAt = t;
  };

  const takeInTurn = async (signal?: AbortSignal): Promise<boolean> => {
    for (;;) {
      if (signal?.aborted) return false;
      refill();
      if (tokens >= 1) {
        tokens -= 1;
        return true;
      }
      if (!(await sleepMs(Math.ceil((1 - tokens) * intervalMs), signal))) return false;
    }
  };

  return {
    take(signal) {
      const turn = queue.then(() => takeInTurn(signal));
      queue = turn.catch(() => undefined);
      return turn;
    },
  };
}
