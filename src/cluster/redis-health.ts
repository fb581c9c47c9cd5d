/** The Redis link's state machine (up, down, recovering): one log line and a metric per change, listeners for the parts that switch modes. */
import type { Logger } from "../log/logger.ts";
import { redisState, redisStateChanges } from "./cluster-metrics.ts";

/**
 * up: commands go to Redis. down: Redis is unreachable or too slow; every part works from this
 * gateway alone. recovering: connected again, the live leases are being registered; still local.
 */
export type RedisState = "up" | "down" | "recovering";

const STATES: readonly RedisState[] = ["up", "down", "recovering"];

export type HealthListener = (state: RedisState, previous: RedisState) => void;

export interface RedisHealthOptions {
  logger: Logger;
  /** Where Redis is, without credentials (logged with each change). */
  redis: string;
}

/** The link's state, its changes logged and counted once each. */
export class RedisHealth {
  private current: RedisState = "recovering";
  private everUp = false;
  private readonly listeners: HealthListener[] = [];
  private readonly log: Logger;
  /** Last failure while down, for /health. */
  lastError: string | undefined;

  constructor({ logger, redis }: RedisHealthOptions) {
    this.log = logger.child({ redis });
    this.publish();
  }

  get state(): RedisState {
    return this.current;
  }

  get isUp(): boolean {
    return this.current === "up";
  }

  /** Listeners run synchronously at each change, in the order they were added. */
  onChange(listener: HealthListener): void {
    this.listeners.push(listener);
  }

  /** A command failed or timed out, or the connection closed: one warning when this is news. */
  failed(reason: string, fix?: string): void {
    this.lastError = reason;
    if (this.current === "down") return;
    this.log.warn(
      this.everUp
        ? "redis unreachable: calls go on, limited to this gateway's share of ELEVENLABS_MAX_CONNECTIONS; the registry shows local calls"
        : "redis unreachable at start: calls go on, limited to this gateway's share of ELEVENLABS_MAX_CONNECTIONS",
      { reason, fix },
    );
    this.enter("down");
  }

  /** Connected again: the parts register what lived through the outage before `up()`. */
  reconnected(): void {
    if (this.current !== "down") return;
    this.log.info("redis reachable again: registering live calls and agent connections");
    this.enter("recovering");
  }

  up(): void {
    if (this.current === "up") return;
    this.log.info(this.everUp ? "redis up again: cluster-wide limits and registry restored" : "redis connected: cluster-wide limits and registry on");
    this.everUp = true;
    this.lastError = undefined;
    this.enter("up");
  }

  private enter(next: RedisState): void {
    const previous = this.current;
    this.current = next;
    redisStateChanges.inc({ state: next });
    this.publish();
    for (const listener of this.listeners) listener(next, previous);
  }

  private publish(): void {
    for (const state of STATES) redisState.set({ state }, state === this.current ? 1 : 0);
  }
}
