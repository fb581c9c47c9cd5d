/** The store's circuit breaker: after a call-path lookup times out or cannot reach the store, calls stop waiting on it until a probe answers. */
import { systemClock, type Clock, type Timer } from "../base/clock.ts";
import { withTimeout } from "../base/with-timeout.ts";
import type { Logger } from "../log/logger.ts";
import type { Databases } from "./sql.ts";
import { isStoreOutageError } from "./sql-values.ts";
import { storeBreakerOpens, storeBreakerShortCircuits, storeBreakerState } from "./store-metrics.ts";

/** Which call-path lookup asked: the bot for a DID, or an outbound campaign's context. */
export type StoreLookup = "bot" | "outbound";

/** What /health shows of the breaker. */
export interface StoreBreakerHealth {
  state: "closed" | "open";
  /** Epoch ms of the last change (absent until the first). */
  since?: number;
  opens: number;
  /** Why it opened, while open. */
  cause?: "timeout" | "connection";
}

export interface StoreBreaker {
  readonly isOpen: boolean;
  /**
   * True while open: the caller must answer without the store (cache, default agent, no campaign
   * context). Counts the short-circuited lookup.
   */
  shortCircuit(lookup: StoreLookup): boolean;
  /**
   * A lookup failed: a timeout or an outage error (unreachable, refused, hung) opens the breaker; bad rows
   * do not. `startedAtMs` (clock.now() when the lookup began) lets a late failure of a query sent before
   * the store recovered be ignored instead of reopening the breaker.
   */
  failure(lookup: StoreLookup, err: unknown, startedAtMs?: number): void;
  /** clock.now() for `failure`'s startedAtMs. */
  now(): number;
  /** Calls `release` when the breaker next opens; the returned function unsubscribes. */
  onOpen(release: () => void): () => void;
  health(): StoreBreakerHealth;
  /** Stops the probe (shutdown). */
  stop(): void;
}

/** Passed to `failure` when a lookup outlived its bound. */
export const LOOKUP_TIMED_OUT = Symbol("lookup timed out");
/** A lookup given up because the breaker opened while it waited (another lookup found the store hung or gone). */
export const BREAKER_OPENED = Symbol("breaker opened");

/**
 * Waits on a store lookup for at most `timeoutMs` (unbounded when undefined), and no longer than until
 * the breaker opens: the lookups of one call (its bot, an outbound call's campaign) start at different
 * moments, and the first to find the store hung releases the others at once instead of each waiting
 * out its own bound.
 *
 * @example
 * const row = await boundedLookup(breaker, query(did), 1000, clock);
 * if (row === LOOKUP_TIMED_OUT) breaker?.failure("bot", row, askedAt);
 */
export async function boundedLookup<T>(
  breaker: StoreBreaker | undefined,
  lookup: Promise<T>,
  timeoutMs: number | undefined,
  clock: Clock,
): Promise<T | typeof LOOKUP_TIMED_OUT | typeof BREAKER_OPENED> {
  const bounded = <V>(promise: Promise<V>) => (timeoutMs === undefined ? promise : withTimeout(promise, timeoutMs, LOOKUP_TIMED_OUT, clock));
  if (!breaker) return bounded(lookup);
  let unsubscribe = () => {};
  const opened = new Promise<typeof BREAKER_OPENED>((resolve) => (unsubscribe = breaker.onOpen(() => resolve(BREAKER_OPENED))));
  try {
    return await bounded(Promise.race([lookup, opened]));
  } finally {
    unsubscribe();
  }
}

export interface StoreBreakerOptions {
  dbs: Databases;
  logger: Logger;
  clock?: Clock;
  /** First wait after opening before the probe asks the store; doubles up to probeMaxIntervalMs. */
  probeIntervalMs?: number;
  probeMaxIntervalMs?: number;
  /** A probe that gets no answer within this counts as failed (its query may run on until the pool's deadline). */
  probeTimeoutMs?: number;
}

const PROBE_FAILED = Symbol("probe failed");

/**
 * Creates the breaker shared by the bot resolver and the outbound context lookup. Closed, lookups run
 * as usual; one timeout or outage error opens it. While open, `shortCircuit` answers true and a
 * background probe (`SELECT 1` on each database, never overlapping) runs on `clock` until the store
 * answers, which closes it. Every change is logged once.
 *
 * @example
 * const breaker = createStoreBreaker({ dbs, logger });
 * if (breaker.shortCircuit("bot")) return cachedOrDefault();
 */
export function createStoreBreaker({
  dbs,
  logger,
  clock = systemClock,
  probeIntervalMs = 1000,
  probeMaxIntervalMs = 5000,
  probeTimeoutMs = 1000,
}: StoreBreakerOptions): StoreBreaker {
  let open = false;
  let cause: StoreBreakerHealth["cause"];
  let since: number | undefined;
  let openedAtMs = 0;
  let closedAtMs = Number.NEGATIVE_INFINITY;
  let opens = 0;
  let timer: Timer | undefined;
  let delayMs = probeIntervalMs;
  let stopped = false;
  /** Lookups waiting on the store now (boundedLookup): released when the breaker opens. */
  const waiting = new Set<() => void>();
  storeBreakerState.set(undefined, 0);

  const databases = dbs.master === dbs.cluster ? [dbs.master] : [dbs.master, dbs.cluster];
  const probeOnce = () => Promise.all(databases.map((db) => db.query("SELECT 1 AS ok")));

  const schedule = () => {
    if (stopped) return;
    timer = clock.setTimer(() => void probe(), delayMs);
    delayMs = Math.min(delayMs * 2, probeMaxIntervalMs);
  };

  const probe = async () => {
    timer = undefined;
    const result = await withTimeout(probeOnce(), probeTimeoutMs, PROBE_FAILED, clock).catch(() => PROBE_FAILED);
    if (stopped || !open) return;
    if (result === PROBE_FAILED) return schedule();
    open = false;
    cause = undefined;
    closedAtMs = clock.now();
    since = clock.epochMs();
    storeBreakerState.set(undefined, 0);
    logger.info("store answers again: store breaker closed, lookups use the store", { open_ms: Math.round(clock.now() - openedAtMs) });
  };

  return {
    get isOpen() {
      return open;
    },
    shortCircuit(lookup) {
      if (open) storeBreakerShortCircuits.inc({ lookup });
      return open;
    },
    failure(lookup, err, startedAtMs = clock.now()) {
      const kind = err === LOOKUP_TIMED_OUT ? "timeout" : isStoreOutageError(err) ? "connection" : undefined;
      if (open || stopped || kind === undefined || startedAtMs < closedAtMs) return;
      open = true;
      cause = kind;
      opens++;
      since = clock.epochMs();
      openedAtMs = clock.now();
      delayMs = probeIntervalMs;
      storeBreakerState.set(undefined, 1);
      storeBreakerOpens.inc({ cause: kind });
      logger.warn("store breaker open: calls are answered from the bot cache or the default agent until the store answers", { cause: kind, lookup, released_lookups: waiting.size });
      for (const release of [...waiting]) release();
      waiting.clear();
      schedule();
    },
    now: () => clock.now(),
    onOpen(release) {
      waiting.add(release);
      return () => waiting.delete(release);
    },
    health: () => ({ state: open ? "open" : "closed", opens, ...(since === undefined ? {} : { since }), ...(cause ? { cause } : {}) }),
    stop() {
      stopped = true;
      clock.clearTimer(timer);
      timer = undefined;
    },
  };
}
