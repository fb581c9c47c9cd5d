/** The cluster's metrics: Redis state and latency, cluster-wide agent connections, lease renewals, bot invalidations. */
import { Counter, Gauge, Histogram, LATENCY_BUCKETS_MS } from "../metrics/registry.ts";

/** 1 for the state the Redis link is in (up, down, recovering), 0 for the others. */
export const redisState = new Gauge({
  name: "homebook_redis_state",
  help: "State of this gateway's Redis link: 1 for the current one of up, down, recovering.",
  labelNames: ["state"],
});

export const redisStateChanges = new Counter({
  name: "homebook_redis_state_changes_total",
  help: "Changes of the Redis link's state, by the state entered.",
  labelNames: ["state"],
});

/** operation: what Homebook asked (acquire, renew_slots, claim …), not the raw command. */
export const redisLatency = new Histogram({
  name: "homebook_redis_command_duration_ms",
  help: "Round trip of each Redis operation, by operation.",
  labelNames: ["operation"],
  buckets: LATENCY_BUCKETS_MS,
});

/** result: ok, error (Redis answered with an error), timeout, unavailable (not sent: the link is down). */
export const redisCommands = new Counter({
  name: "homebook_redis_commands_total",
  help: "Redis operations, by operation and result.",
  labelNames: ["operation", "result"],
});

export const clusterConnectionsInUse = new Gauge({
  name: "homebook_cluster_agent_connections_in_use",
  help: "Agent connections held across every gateway sharing the Redis (this gateway's own during an outage).",
});

export const clusterConnectionsWaiting = new Gauge({
  name: "homebook_cluster_agent_connections_waiting",
  help: "Callers waiting for an agent connection across every gateway (this gateway's own during an outage).",
});

export const clusterInstances = new Gauge({
  name: "homebook_cluster_instances",
  help: "Gateways last seen alive and taking calls (draining ones excluded).",
});

export const leaseRenewals = new Counter({
  name: "homebook_cluster_lease_renewals_total",
  help: "Leases (agent slots, queue places, registry entries) renewed in Redis.",
});

export const leaseRenewalFailures = new Counter({
  name: "homebook_cluster_lease_renewal_failures_total",
  help: "Renewal rounds that failed (their leases lapse after REDIS_LEASE_TTL_MS unless a later round succeeds).",
});

/** source: pubsub (a bot or DID changed) or recovery (Redis came back: every entry, since messages may have been missed). */
export const botInvalidations = new Counter({
  name: "homebook_bot_invalidations_total",
  help: "Bot cache invalidations received from other processes, by source.",
  labelNames: ["source"],
});
