/** Metrics of the bot store: SQL query latency and bot cache outcomes, in the global registry. */
import { Counter, Gauge, Histogram, LATENCY_BUCKETS_MS, metrics } from "../metrics/registry.ts";

/** Every SQL statement Homebook runs, by dialect, database role and outcome (ok, error, timeout). */
export const dbQueryDurationMs = new Histogram({
  name: "homebook_db_query_duration_ms",
  help: "Duration of SQL statements in milliseconds, by dialect, database (master or cluster) and outcome.",
  labelNames: ["dialect", "database", "outcome"],
  buckets: LATENCY_BUCKETS_MS,
  registry: metrics,
});

/** Bot lookups by how they were answered: hit, miss (read from the store), stale (served after an error), error. */
export const botCacheTotal = new Counter({
  name: "homebook_bot_cache_total",
  help: "Bot lookups by result: hit (fresh cache), miss (read from the store), stale (last known bot served after a store error or timeout), error (store error or timeout).",
  labelNames: ["result"],
  registry: metrics,
});

/** The store breaker: 1 while open (call-path lookups answered without the store), else 0. */
export const storeBreakerState = new Gauge({
  name: "homebook_store_breaker_open",
  help: "1 while the store circuit breaker is open: bot and outbound lookups are answered from the cache or the default agent without querying the store.",
  registry: metrics,
});

/** Times the breaker opened (a lookup timed out or could not reach the store). */
export const storeBreakerOpens = new Counter({
  name: "homebook_store_breaker_opens_total",
  help: "Times the store circuit breaker opened, by cause (timeout or connection).",
  labelNames: ["cause"],
  registry: metrics,
});

/** Lookups answered without touching the store because the breaker was open. */
export const storeBreakerShortCircuits = new Counter({
  name: "homebook_store_breaker_short_circuits_total",
  help: "Call-path lookups answered at once without the store while the breaker was open, by lookup (bot or outbound).",
  labelNames: ["lookup"],
  registry: metrics,
});
