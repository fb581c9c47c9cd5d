/** Metrics of the bot store: SQL query latency and bot cache outcomes, in the global registry. */
import { Counter, Histogram, LATENCY_BUCKETS_MS, metrics } from "../metrics/registry.ts";

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
