/** The gateway's one renewal loop: every third of REDIS_LEASE_TTL_MS all its leases are renewed together, pipelined on one connection. */
import { systemClock, type Clock, type Timer } from "../base/clock.ts";
import { leaseRenewalFailures, leaseRenewals } from "./cluster-metrics.ts";
import type { RedisHealth } from "./redis-health.ts";

/** What a renewal round of one part did. */
export interface RenewalResult {
  /** Leases renewed (slots, queue places, registry entries). */
  leases: number;
  /** The part wants the next round sooner than the regular interval (a lease it waits on may lapse then). */
  nextInMs?: number;
}

/** A part of the cluster holding leases: the agent slots, the call registry. */
export interface LeaseHolder {
  /** Renews this gateway's leases in one round trip; rejects when Redis failed (the link then goes down). */
  renew(): Promise<RenewalResult>;
}

export interface LeaseRenewerOptions {
  leaseTtlMs: number;
  health: RedisHealth;
  holders: readonly LeaseHolder[];
  clock?: Clock;
}

/** Wake-ups earlier than this after a round are pushed back to it (a lease about to lapse is renewed by its holder, or soon gone). */
const MIN_DELAY_MS = 5;

/** One timer per gateway: renewal rounds every third of the TTL, sooner when a holder asks. */
export class LeaseRenewer {
  /** A third of the TTL: a lease survives two failed rounds in a row. */
  readonly intervalMs: number;
  private readonly health: RedisHealth;
  private readonly holders: readonly LeaseHolder[];
  private readonly clock: Clock;
  private timer: Timer | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;

  constructor({ leaseTtlMs, health, holders, clock = systemClock }: LeaseRenewerOptions) {
    this.intervalMs = Math.max(1, Math.floor(leaseTtlMs / 3));
    this.health = health;
    this.holders = holders;
    this.clock = clock;
  }

  start(): void {
    this.stopped = false;
    this.schedule(this.intervalMs);
  }

  /** A round now (after a grant was missed, when draining starts); the loop goes on from it. */
  wake(): void {
    if (!this.stopped) this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    this.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  /**
   * One round for every holder, sent together so the client pipelines them. Rejects when any failed.
   * Used by the loop, and as the recovery step that registers again what lived through an outage.
   */
  async round(): Promise<number | undefined> {
    const results = await Promise.allSettled(this.holders.map((h) => h.renew()));
    let nextInMs: number | undefined;
    let failure: unknown;
    for (const result of results) {
      if (result.status === "rejected") {
        failure ??= result.reason;
        continue;
      }
      leaseRenewals.inc(undefined, result.value.leases);
      if (result.value.nextInMs !== undefined) nextInMs = Math.min(nextInMs ?? Infinity, result.value.nextInMs);
    }
    if (failure !== undefined) {
      leaseRenewalFailures.inc();
      throw failure;
    }
    return nextInMs;
  }

  private schedule(delayMs: number): void {
    this.clock.clearTimer(this.timer);
    this.timer = this.clock.setTimer(() => void this.tick(), delayMs);
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    if (this.running) return; // the round in flight schedules the next one
    let nextInMs: number | undefined;
    // While down the link reconnects by itself and renews in its recovery; nothing to send.
    if (this.health.isUp) {
      this.running = this.round().then(
        (next) => void (nextInMs = next),
        () => undefined,
      );
      await this.running;
      this.running = undefined;
    }
    if (this.stopped) return;
    this.schedule(nextInMs === undefined ? this.intervalMs : Math.min(this.intervalMs, Math.max(MIN_DELAY_MS, nextInMs)));
  }
}
