/**
 * ELEVENLABS_MAX_CONNECTIONS across every gateway sharing the Redis: leased slots granted in arrival
 * order, woken by pub/sub, and this gateway's share of the limit while Redis is down.
 */
import { systemClock, type Clock, type Timer } from "../base/clock.ts";
import { HomebookError } from "../base/errors.ts";
import type { AgentSlots, ReleaseSlot } from "../call/ports.ts";
import type { LeaseHolder, RenewalResult } from "./lease-renewer.ts";
import type { RedisConnection } from "./redis-connection.ts";
import { ACQUIRE, RELEASE, RENEW, slotScriptKeys, slotSummary, type SlotKeys, type SlotSummary } from "./slot-scripts.ts";

export interface ClusterSlotsOptions {
  redis: RedisConnection;
  keys: SlotKeys;
  /** INSTANCE_ID. */
  instanceId: string;
  /** Unique to this process: lease ids never collide, even when two gateways share an INSTANCE_ID. */
  owner: string;
  maxConnections: number;
  queueTimeoutMs: number;
  leaseTtlMs: number;
  clock?: Clock;
}

interface Waiter {
  resolve(release: ReleaseSlot): void;
  reject(err: HomebookError): void;
  timer: Timer;
  signal: AbortSignal;
  onAbort(): void;
}

/**
 * AgentSlots across the cluster. `acquire` asks Redis (one script) while the link is up, else takes
 * this gateway's share; grants arrive in the script's answer, on pub/sub, or in a renewal round.
 */
export class ClusterSlots implements AgentSlots, LeaseHolder {
  private readonly redis: RedisConnection;
  private readonly keys: SlotKeys;
  private readonly scriptKeys: string[];
  private readonly instanceId: string;
  private readonly owner: string;
  private readonly max: number;
  private readonly queueTimeoutMs: number;
  private readonly leaseTtlMs: number;
  private readonly clock: Clock;
  /** Lease ids of the slots this gateway holds, however they were granted. */
  private readonly holders = new Set<string>();
  /** Callers of this gateway waiting, in arrival order (Map keeps insertion order). */
  private readonly waiters = new Map<string, Waiter>();
  private cluster: SlotSummary = { held: 0, waiting: 0, soonestMs: undefined };
  private instancesAlive = 1;
  private taking = true;
  private seq = 0;

  constructor({ redis, keys, instanceId, owner, maxConnections, queueTimeoutMs, leaseTtlMs, clock = systemClock }: ClusterSlotsOptions) {
    this.redis = redis;
    this.keys = keys;
    this.scriptKeys = slotScriptKeys(keys);
    this.instanceId = instanceId;
    this.owner = owner;
    this.max = maxConnections;
    this.queueTimeoutMs = queueTimeoutMs;
    this.leaseTtlMs = leaseTtlMs;
    this.clock = clock;
    redis.health.onChange((state) => {
      if (state === "down") this.grantLocally();
    });
    void redis.subscribe(keys.channel, (message) => {
      for (const id of message.split(" ")) if (this.isOurs(id)) this.granted(id);
    });
  }

  /** Slots held across the cluster (as of Redis's last answer); this gateway's own while Redis is down. */
  get inUse(): number {
    return this.redis.health.isUp ? this.cluster.held : this.holders.size;
  }

  /** Callers waiting across the cluster; this gateway's own while Redis is down. */
  get waiting(): number {
    return this.redis.health.isUp ? this.cluster.waiting : this.waiters.size;
  }

  /** This gateway's slots and waiting callers. */
  get local(): { inUse: number; waiting: number } {
    return { inUse: this.holders.size, waiting: this.waiters.size };
  }

  /** Gateways taking calls when Redis last answered (this one included). */
  get instances(): number {
    return this.instancesAlive;
  }

  /** What this gateway may hold while Redis is down: ELEVENLABS_MAX_CONNECTIONS / gateways last seen alive, at least 1. */
  get share(): number {
    return Math.max(1, Math.floor(this.max / this.instancesAlive));
  }

  acquire(signal: AbortSignal): Promise<ReleaseSlot> {
    if (signal.aborted) return Promise.reject(new HomebookError("capacity", "caller left before an agent slot was free"));
    return new Promise<ReleaseSlot>((resolve, reject) => {
      const id = `${this.owner}:${++this.seq}`;
      const onAbort = () => this.giveUp(id, new HomebookError("capacity", "caller left while waiting for an agent slot"));
      const timer = this.clock.setTimer(
        () =>
          this.giveUp(
            id,
            new HomebookError("capacity", `no agent connection free within ${this.queueTimeoutMs} ms (ELEVENLABS_MAX_CONNECTIONS=${this.max} across the cluster)`, {
              fix: "raise ELEVENLABS_MAX_CONNECTIONS if the ElevenLabs plan allows more concurrent conversations",
            }),
          ),
        this.queueTimeoutMs,
      );
      signal.addEventListener("abort", onAbort, { once: true });
      this.waiters.set(id, { resolve, reject, timer, signal, onAbort });
      if (this.redis.health.isUp) this.request(id);
      else this.grantLocally();
    });
  }

  /** Draining: this gateway leaves the count of gateways taking calls (others' outage share grows); live calls keep their slots. */
  stopTaking(): void {
    this.taking = false;
  }

  /** One round trip renewing every slot and queue place of this gateway, and its presence. */
  async renew(): Promise<RenewalResult> {
    const held = [...this.holders];
    const waiting = [...this.waiters.keys()];
    const reply = await this.redis.eval<[number, number, number, number, string[]]>("renew_slots", RENEW, this.scriptKeys, [
      ...this.header(),
      this.instanceId,
      this.taking ? "1" : "0",
      held.length,
      ...held,
      ...waiting,
    ]);
    this.note(slotSummary(reply, 0));
    this.instancesAlive = Math.max(1, Number(reply[3]));
    for (const id of reply[4] ?? []) this.granted(id);
    const wantsSoon = this.waiters.size > 0 && this.cluster.soonestMs !== undefined;
    return { leases: held.length + waiting.length, nextInMs: wantsSoon ? this.cluster.soonestMs : undefined };
  }

  /** Gives every slot and queue place back (the gateway stops). */
  async releaseAll(): Promise<void> {
    const ids = [...this.holders, ...this.waiters.keys()];
    for (const id of [...this.waiters.keys()]) this.giveUp(id, new HomebookError("capacity", "gateway stopping"), false);
    this.holders.clear();
    if (ids.length > 0 && this.redis.health.isUp) await this.send(ids).catch(() => undefined);
  }

  private header(): (string | number)[] {
    return [this.max, this.leaseTtlMs, this.keys.channel];
  }

  private isOurs(id: string): boolean {
    return id.startsWith(`${this.owner}:`);
  }

  private note(summary: SlotSummary): void {
    this.cluster = summary;
  }

  private request(id: string): void {
    this.redis.eval<[number, number, number, number]>("acquire", ACQUIRE, this.scriptKeys, [...this.header(), id]).then(
      (reply) => {
        this.note(slotSummary(reply, 1));
        if (reply[0] === 1) this.granted(id);
      },
      () => this.grantLocally(), // the link is down now: this gateway's share decides
    );
  }

  /** Drops lease ids in Redis (a release, a timeout, a caller who left); a failure leaves them to lapse. */
  private send(ids: string[]): Promise<void> {
    return this.redis.eval<[number, number, number]>("release", RELEASE, this.scriptKeys, [...this.header(), ...ids]).then((reply) => this.note(slotSummary(reply, 0)));
  }

  /** Redis granted `id` (a script's answer, pub/sub, a renewal): its caller gets the slot. */
  private granted(id: string): void {
    if (this.holders.has(id)) return;
    if (!this.waiters.has(id)) {
      // Granted after its caller gave up (the grant crossed the cancel): hand it straight back.
      if (this.redis.health.isUp) void this.send([id]).catch(() => undefined);
      return;
    }
    this.hand(id);
  }

  /** While Redis is down: waiting callers get slots in arrival order up to this gateway's share. */
  private grantLocally(): void {
    if (this.redis.health.state !== "down") return;
    for (const id of [...this.waiters.keys()]) {
      if (this.holders.size >= this.share) return;
      this.hand(id);
    }
  }

  private hand(id: string): void {
    const waiter = this.waiters.get(id)!;
    this.leave(id, waiter);
    this.holders.add(id);
    let released = false;
    waiter.resolve(() => {
      if (released) return;
      released = true;
      this.holders.delete(id);
      if (this.redis.health.isUp) void this.send([id]).catch(() => undefined);
      else this.grantLocally();
    });
  }

  private giveUp(id: string, err: HomebookError, tellRedis = true): void {
    const waiter = this.waiters.get(id);
    if (!waiter) return;
    this.leave(id, waiter);
    waiter.reject(err);
    if (tellRedis && this.redis.health.isUp) void this.send([id]).catch(() => undefined);
  }

  private leave(id: string, waiter: Waiter): void {
    this.waiters.delete(id);
    this.clock.clearTimer(waiter.timer);
    waiter.signal.removeEventListener("abort", waiter.onAbort);
  }
}
