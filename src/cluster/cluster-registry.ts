/**
 * The live calls of every gateway sharing the Redis: session ids claimed cluster-wide, each call's
 * view kept fresh by the gateway's lease renewals, and this gateway's own calls while Redis is down.
 */
import { systemClock, type Clock } from "../base/clock.ts";
import type { Logger } from "../log/logger.ts";
import type { CallRegistry } from "../call/ports.ts";
import type { LiveCall } from "../call/call-record.ts";
import type { LeaseHolder, RenewalResult } from "./lease-renewer.ts";
import type { RedisConnection } from "./redis-connection.ts";
import { DROP_CALL, LIST_CALLS, PUT_CALL, RENEW_CALLS, liveCallFromView, registryView, type RegistryKeys } from "./registry-scripts.ts";

/** Entries GET /calls reads at most from Redis. */
const LIST_LIMIT = 10_000;

export interface ClusterRegistryOptions {
  redis: RedisConnection;
  keys: RegistryKeys;
  /** INSTANCE_ID, shown on every call this gateway holds. */
  instanceId: string;
  /** Unique to this process: who owns an entry. */
  owner: string;
  leaseTtlMs: number;
  logger: Logger;
  clock?: Clock;
}

/** CallRegistry in Redis; this gateway's calls are also kept here, for outages and for renewals. */
export class ClusterRegistry implements CallRegistry, LeaseHolder {
  private readonly redis: RedisConnection;
  private readonly keys: RegistryKeys;
  private readonly instanceId: string;
  private readonly owner: string;
  private readonly leaseTtlMs: number;
  private readonly log: Logger;
  private readonly clock: Clock;
  /** This gateway's calls, each with the last view the call manager gave. */
  private readonly owned = new Map<string, LiveCall>();
  /** Session ids with a write in flight; true when a newer view must follow it. */
  private readonly writing = new Map<string, boolean>();
  /** Session ids another gateway took while this one could not renew them (warned once each). */
  private readonly lost = new Set<string>();

  constructor({ redis, keys, instanceId, owner, leaseTtlMs, logger, clock = systemClock }: ClusterRegistryOptions) {
    this.redis = redis;
    this.keys = keys;
    this.instanceId = instanceId;
    this.owner = owner;
    this.leaseTtlMs = leaseTtlMs;
    this.log = logger;
    this.clock = clock;
  }

  /**
   * Claims `sessionId` for this gateway: false when another gateway holds it live. When Redis is down
   * or fails the claim is granted (a call is never refused for Redis's sake) and registered on recovery.
   * A second claim of an id this gateway holds is refused too.
   */
  async claim(sessionId: string): Promise<boolean> {
    if (this.owned.has(sessionId)) return false;
    const view: LiveCall = {
      sessionId,
      instance: this.instanceId,
      state: "claimed",
      startedAt: this.clock.epochMs(),
      framesIn: 0,
      framesOut: 0,
      interruptions: 0,
      transcript: [],
    };
    this.owned.set(sessionId, view);
    if (!this.redis.health.isUp) return true;
    try {
      if (await this.put(sessionId, view)) return true;
      this.owned.delete(sessionId);
      return false;
    } catch {
      return true;
    }
  }

  /** The call's current view (state changes): written at once, coalesced with a write in flight. */
  update(call: LiveCall): void {
    if (!this.owned.has(call.sessionId)) return;
    this.owned.set(call.sessionId, { ...call, instance: this.instanceId });
    if (this.redis.health.isUp) this.write(call.sessionId);
  }

  release(sessionId: string): void {
    if (!this.owned.delete(sessionId)) return;
    this.lost.delete(sessionId);
    if (this.redis.health.isUp) void this.drop(sessionId).catch(() => undefined);
  }

  /** Live calls of every gateway; this gateway's alone while Redis is down. */
  async list(): Promise<LiveCall[]> {
    if (!this.redis.health.isUp) return this.localCalls();
    try {
      const views = await this.redis.eval<string[]>("list_calls", LIST_CALLS, [this.keys.index], [LIST_LIMIT, this.keys.callPrefix]);
      return views.map(liveCallFromView).filter((c): c is LiveCall => c !== undefined);
    } catch {
      return this.localCalls();
    }
  }

  async find(sessionId: string): Promise<LiveCall | undefined> {
    if (this.redis.health.isUp) {
      try {
        const view = await this.redis.command<string | null>("find_call", "HGET", [this.callKey(sessionId), "view"]);
        if (view) return liveCallFromView(view);
      } catch {
        // Redis failed: this gateway's own calls are still known
      }
    }
    return this.owned.get(sessionId);
  }

  /** Renews every entry of this gateway; writes again those that lapsed (an outage) in the same round. */
  async renew(): Promise<RenewalResult> {
    const sessions = [...this.owned.keys()];
    if (sessions.length === 0) return { leases: 0 };
    const [missing, lost] = await this.redis.eval<[string[], string[]]>(
      "renew_calls",
      RENEW_CALLS,
      [this.keys.index, ...sessions.map((s) => this.callKey(s))],
      [this.leaseTtlMs, this.owner, ...sessions],
    );
    for (const sessionId of lost) this.warnLost(sessionId);
    await Promise.all(missing.filter((s) => this.owned.has(s)).map((s) => this.put(s, this.owned.get(s)!)));
    return { leases: sessions.length };
  }

  /** Removes every entry of this gateway (it stops). */
  async releaseAll(): Promise<void> {
    const sessions = [...this.owned.keys()];
    this.owned.clear();
    if (!this.redis.health.isUp) return;
    await Promise.all(sessions.map((s) => this.drop(s))).catch(() => undefined);
  }

  private localCalls(): LiveCall[] {
    return [...this.owned.values()];
  }

  private callKey(sessionId: string): string {
    return `${this.keys.callPrefix}${sessionId}`;
  }

  private async put(sessionId: string, call: LiveCall): Promise<boolean> {
    const view = JSON.stringify(registryView(call, this.instanceId));
    const written = await this.redis.eval<number>("put_call", PUT_CALL, [this.keys.index, this.callKey(sessionId)], [this.leaseTtlMs, sessionId, this.owner, view]);
    return written === 1;
  }

  private drop(sessionId: string): Promise<unknown> {
    return this.redis.eval("drop_call", DROP_CALL, [this.keys.index, this.callKey(sessionId)], [sessionId, this.owner]);
  }

  private write(sessionId: string): void {
    if (this.writing.has(sessionId)) {
      this.writing.set(sessionId, true);
      return;
    }
    this.writing.set(sessionId, false);
    const call = this.owned.get(sessionId)!;
    void this.put(sessionId, call)
      .then(
        (written) => (written ? undefined : this.warnLost(sessionId)),
        () => undefined, // the link is down; renewal on recovery writes the latest view
      )
      .finally(() => {
        const again = this.writing.get(sessionId);
        this.writing.delete(sessionId);
        if (again && this.owned.has(sessionId) && this.redis.health.isUp) this.write(sessionId);
      });
  }

  private warnLost(sessionId: string): void {
    if (this.lost.has(sessionId)) return;
    this.lost.add(sessionId);
    this.log.warn("another gateway registered a session id this gateway carries (both accepted it while Redis was unreachable)", { session_id: sessionId });
  }
}
