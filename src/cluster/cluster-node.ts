/** This gateway as one member of the cluster: the Redis link, the shared agent slots, the call registry, bot invalidations and the one renewal loop. */
import { randomBytes } from "node:crypto";
import { systemClock, type Clock } from "../base/clock.ts";
import type { Config } from "../config/index.ts";
import type { Logger } from "../log/logger.ts";
import { listenForBotChanges, type BotCache } from "./bot-invalidation.ts";
import { clusterConnectionsInUse, clusterConnectionsWaiting, clusterInstances } from "./cluster-metrics.ts";
import { ClusterRegistry } from "./cluster-registry.ts";
import { ClusterSlots } from "./cluster-slots.ts";
import { clusterLiveCalls, type ClusterLiveCalls, type LocalLiveCalls } from "./cluster-live-calls.ts";
import { LeaseRenewer } from "./lease-renewer.ts";
import { RedisConnection } from "./redis-connection.ts";
import type { RedisState } from "./redis-health.ts";
import { registryKeys } from "./registry-scripts.ts";
import { slotKeys } from "./slot-scripts.ts";

/** What /health shows of the cluster (snake_case, as every Homebook JSON answer). */
export interface ClusterStatus {
  state: RedisState;
  redis: string;
  instance: string;
  /** Gateways taking calls when Redis last answered. */
  instances: number;
  agent_connections_in_use: number;
  agent_connections_waiting: number;
  /** What this gateway may hold while Redis is down. */
  outage_share: number;
  last_error?: string;
}

export interface ClusterNode {
  readonly instanceId: string;
  readonly slots: ClusterSlots;
  readonly registry: ClusterRegistry;
  readonly redis: RedisConnection;
  status(): ClusterStatus;
  /** The admin API's live calls: this gateway's from `local`, the others' from Redis. */
  liveCalls(local: LocalLiveCalls): ClusterLiveCalls;
  /** Draining: this gateway stops counting as one taking calls; its live calls keep their leases. */
  startDrain(): void;
  /** Gives back every lease, leaves the registry and closes the link. */
  stop(): Promise<void>;
}

export interface ClusterOptions {
  config: Config;
  logger: Logger;
  /** The bot cache that changes published by the admin commands invalidate. */
  bots: BotCache;
  clock?: Clock;
}

/**
 * Connects to REDIS_URL (one attempt, bounded: when Redis is down the gateway starts anyway and the
 * link recovers by itself) and starts the renewal loop.
 * @example const cluster = config.cluster.redisUrl ? await startCluster({ config, logger, bots }) : undefined;
 */
export async function startCluster({ config, logger, bots, clock = systemClock }: ClusterOptions): Promise<ClusterNode> {
  const { redisUrl, tlsCa, keyPrefix, leaseTtlMs, commandTimeoutMs } = config.cluster;
  const { instanceId } = config;
  if (!redisUrl) throw new Error("startCluster needs REDIS_URL");
  const log = logger.child({ instance: instanceId });
  const owner = `${instanceId}#${randomBytes(4).toString("hex")}`;
  const redis = new RedisConnection({ url: redisUrl, tlsCa, commandTimeoutMs, logger: log, clock });
  const slots = new ClusterSlots({
    redis,
    keys: slotKeys(keyPrefix),
    instanceId,
    owner,
    maxConnections: config.elevenlabs.maxConnections,
    queueTimeoutMs: config.elevenlabs.queueTimeoutMs,
    leaseTtlMs,
    clock,
  });
  const registry = new ClusterRegistry({ redis, keys: registryKeys(keyPrefix), instanceId, owner, leaseTtlMs, logger: log, clock });
  listenForBotChanges({ redis, prefix: keyPrefix, bots, logger: log });
  const renewer = new LeaseRenewer({ leaseTtlMs, health: redis.health, holders: [slots, registry], clock });
  // After an outage the leases of calls that lived through it are written back before the link counts as up.
  redis.onRecovery(async () => void (await renewer.round()));
  redis.health.onChange((state) => state === "up" && renewer.wake());

  await redis.start();
  renewer.start();
  clusterConnectionsInUse.collect(() => slots.inUse);
  clusterConnectionsWaiting.collect(() => slots.waiting);
  clusterInstances.collect(() => slots.instances);

  let stopped: Promise<void> | undefined;
  return {
    instanceId,
    slots,
    registry,
    redis,
    status: () => ({
      state: redis.health.state,
      redis: redis.described,
      instance: instanceId,
      instances: slots.instances,
      agent_connections_in_use: slots.inUse,
      agent_connections_waiting: slots.waiting,
      outage_share: slots.share,
      ...(redis.health.lastError ? { last_error: redis.health.lastError } : {}),
    }),
    liveCalls: (local) => clusterLiveCalls(local, registry, instanceId),
    startDrain() {
      slots.stopTaking();
      renewer.wake();
    },
    stop() {
      stopped ??= (async () => {
        renewer.stop();
        slots.stopTaking();
        await slots.releaseAll();
        if (redis.health.isUp) await slots.renew().catch(() => undefined); // leaves the gateways taking calls
        await registry.releaseAll();
        redis.close();
      })();
      return stopped;
    },
  };
}
