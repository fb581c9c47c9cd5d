/** Immediate bot changes: `homebook bots …` and `homebook did …` publish the DIDs they changed; every gateway drops them from its bot cache. */
import { z } from "zod";
import type { Config } from "../config/index.ts";
import { silentLogger, type Logger } from "../log/logger.ts";
import { botInvalidations } from "./cluster-metrics.ts";
import { RedisConnection } from "./redis-connection.ts";

/** What a gateway's bot cache offers (the store's CachingBotResolver). */
export interface BotCache {
  /** Forgets one DID, or every DID. */
  invalidate(did?: string): void;
}

/** Messages name DIDs (10 digits) or every bot ("all"); at most this many DIDs per message. */
const MAX_DIDS = 10_000;
const messageSchema = z.union([z.object({ dids: z.array(z.string()).max(MAX_DIDS) }), z.object({ all: z.literal(true) })]);

/** The pub/sub channel of bot changes under REDIS_KEY_PREFIX. */
export function botChannel(prefix: string): string {
  return `${prefix}bots:changed`;
}

/**
 * Subscribes a gateway: each message drops the DIDs it names. After Redis comes back every entry is
 * dropped, since messages sent during the outage were lost. BOT_CACHE_TTL_MS stays the safety net.
 */
export function listenForBotChanges({ redis, prefix, bots, logger }: { redis: RedisConnection; prefix: string; bots: BotCache; logger: Logger }): void {
  void redis.subscribe(botChannel(prefix), (message) => {
    let parsed: z.infer<typeof messageSchema> | undefined;
    try {
      parsed = messageSchema.parse(JSON.parse(message));
    } catch {
      logger.warn("ignoring a malformed bot change message (another Homebook version shares REDIS_KEY_PREFIX?)");
      return;
    }
    if ("all" in parsed) bots.invalidate();
    else for (const did of parsed.dids) bots.invalidate(did);
    botInvalidations.inc({ source: "pubsub" });
    logger.debug("bot cache entries dropped after a change elsewhere", { dids: "all" in parsed ? "all" : parsed.dids.length });
  });
  // Only after the link was down (at start or later): a first connection has missed nothing.
  let missed = false;
  redis.health.onChange((state) => void (state === "down" && (missed = true)));
  redis.onRecovery(async () => {
    if (!missed) return;
    missed = false;
    bots.invalidate();
    botInvalidations.inc({ source: "recovery" });
  });
}

/**
 * Tells running gateways that `dids` changed (a bot added, updated or removed, a DID assigned or
 * released). "off" without REDIS_URL; "failed" when Redis could not be reached within
 * REDIS_COMMAND_TIMEOUT_MS (gateways then see the change within BOT_CACHE_TTL_MS).
 */
export async function announceBotChange(config: Config, dids: readonly string[]): Promise<"sent" | "off" | "failed"> {
  const { redisUrl, tlsCa, keyPrefix, commandTimeoutMs } = config.cluster;
  if (!redisUrl) return "off";
  if (dids.length === 0) return "sent";
  const redis = new RedisConnection({ url: redisUrl, tlsCa, commandTimeoutMs, logger: silentLogger });
  try {
    await redis.start();
    if (!redis.health.isUp) return "failed";
    for (let i = 0; i < dids.length; i += MAX_DIDS) {
      await redis.publish("bot_changed", botChannel(keyPrefix), JSON.stringify({ dids: dids.slice(i, i + MAX_DIDS) }));
    }
    return "sent";
  } catch {
    return "failed";
  } finally {
    redis.close();
  }
}
