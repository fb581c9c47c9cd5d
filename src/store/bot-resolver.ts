/** The call path's bot lookup: cached, deduplicated, bounded in time, and never failing (stale or default agent). */
import type { Config } from "../config/index.ts";
import type { Logger } from "../log/logger.ts";
import { HomebookError } from "../base/errors.ts";
import { defaultBot, type Bot, type BotResolver, type ResolvedBot } from "../call/bot.ts";
import type { Databases } from "./sql.ts";
import { createBotLookup, type BotLookup } from "./bot-lookup.ts";
import { normalizePhoneNumber } from "../base/phone-number.ts";
import { botCacheTotal } from "./store-metrics.ts";
import { systemClock, type Clock } from "../base/clock.ts";
import { BREAKER_OPENED, boundedLookup, LOOKUP_TIMED_OUT, type StoreBreaker } from "./store-breaker.ts";

/** DIDs remembered at most; the oldest is forgotten first. Real deployments have hundreds. */
const MAX_CACHED_DIDS = 10_000;

export interface BotCacheStats {
  /** Answered from a fresh cache entry. */
  hits: number;
  /** Not fresh in cache: the store was asked. */
  misses: number;
  /** The last known bot was served because the store failed or was too slow. */
  stale: number;
  /** Store errors, bad rows and lookups that outlived BOT_LOOKUP_TIMEOUT_MS. */
  errors: number;
}

export interface CachingBotResolver extends BotResolver {
  stats(): BotCacheStats;
  /** Forgets one DID (after an admin change) or every DID. */
  invalidate(did?: string): void;
}

interface Entry {
  /** null: the DID has no active bot (the default agent answers). */
  bot: Bot | null;
  fetchedAt: number;
}

export interface BotResolverOptions {
  dbs: Databases;
  config: Config;
  logger: Logger;
  /** Replaces the SQL lookup (tests of the cache alone). */
  lookup?: BotLookup;
  /** While it is open, lookups answer from the cache (stale or not) or the default agent without the store. */
  breaker?: StoreBreaker;
  clock?: Clock;
  now?: () => number;
}

/**
 * Creates the resolver the call bridge uses. A lookup waits at most BOT_LOOKUP_TIMEOUT_MS; a slower
 * query keeps running and refreshes the cache when it lands. Concurrent lookups of one DID share a query.
 *
 * @example
 * const bots = createBotResolver({ dbs, config, logger });
 * const { bot, source } = await bots.resolve("+91 80 4000 1234");
 */
export function createBotResolver({
  dbs,
  config,
  logger,
  lookup = createBotLookup({ dbs, config }),
  breaker,
  clock = systemClock,
  now = () => clock.now(),
}: BotResolverOptions): CachingBotResolver {
  const fallback = defaultBot(config);
  const { botCacheTtlMs: ttlMs, botLookupTimeoutMs: timeoutMs } = config.database;
  const cache = new Map<string, Entry>();
  const inFlight = new Map<string, Promise<Entry>>();
  const counts: BotCacheStats = { hits: 0, misses: 0, stale: 0, errors: 0 };
  const count = (key: keyof BotCacheStats, result: string) => {
    counts[key]++;
    botCacheTotal.inc({ result });
  };

  const remember = (did: string, entry: Entry) => {
    cache.delete(did);
    cache.set(did, entry);
    if (cache.size > MAX_CACHED_DIDS) cache.delete(cache.keys().next().value!);
  };

  const fetch = (did: string): Promise<Entry> => {
    const running = inFlight.get(did);
    if (running) return running;
    const started = now();
    const startedForBreaker = breaker?.now();
    const promise = Promise.resolve()
      .then(() => lookup(did))
      .then((bot) => {
        const entry: Entry = { bot: bot ?? null, fetchedAt: now() };
        remember(did, entry);
        return entry;
      })
      .catch((err: unknown) => {
        const invalid = err instanceof HomebookError && err.code === "store_invalid_row";
        logger.error(invalid ? "bot row is invalid; the last known bot or the default agent answers" : "bot lookup failed", {
          did,
          error: err,
          fix: err instanceof HomebookError ? err.fix : undefined,
          duration_ms: now() - started,
        });
        breaker?.failure("bot", err, startedForBreaker);
        throw err;
      })
      .finally(() => inFlight.delete(did));
    inFlight.set(did, promise);
    return promise;
  };

  const answer = (entry: Entry, source: "cache" | "store" | "stale"): ResolvedBot =>
    entry.bot ? { bot: entry.bot, source } : { bot: fallback, source: source === "stale" ? "stale" : "default" };

  /** The last known bot for `did` (stale), or the default agent for a DID never seen. */
  const lastKnown = (did: string): ResolvedBot => {
    const last = cache.get(did);
    if (!last) return { bot: fallback, source: "default" };
    count("stale", "stale");
    return answer(last, "stale");
  };

  return {
    async resolve(input) {
      const did = normalizePhoneNumber(input);
      if (!did) return { bot: fallback, source: "default" };
      const cached = cache.get(did);
      if (cached && now() - cached.fetchedAt < ttlMs) {
        count("hits", "hit");
        return answer(cached, "cache");
      }
      if (breaker?.shortCircuit("bot")) return lastKnown(did);
      count("misses", "miss");
      const askedAt = breaker?.now();
      try {
        const result = await boundedLookup(breaker, fetch(did), timeoutMs, clock);
        if (result === LOOKUP_TIMED_OUT) {
          logger.warn("bot lookup exceeded BOT_LOOKUP_TIMEOUT_MS; answering without waiting", { did, timeout_ms: timeoutMs });
          breaker?.failure("bot", LOOKUP_TIMED_OUT, askedAt);
        } else if (result !== BREAKER_OPENED) return answer(result, "store");
      } catch {
        // logged once by fetch(), however many calls were waiting on it
      }
      count("errors", "error");
      return lastKnown(did);
    },
    stats: () => ({ ...counts }),
    invalidate(did) {
      if (did === undefined) cache.clear();
      else {
        const key = normalizePhoneNumber(did);
        if (key) cache.delete(key);
      }
    },
  };
}
