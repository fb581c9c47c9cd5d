/** Delivers post-call webhooks from the durable queue in the background: signed, retried with capped exponential backoff for 24 h. */
import { systemClock, type Clock, type Timer } from "../base/clock.ts";
import type { Logger } from "../log/logger.ts";
import { Counter, Gauge, metrics } from "../metrics/registry.ts";
import type { DeliveryQueue, DeliverySettlement, WebhookDelivery } from "./delivery-queue.ts";
import { sendWebhook, type WebhookAttempt, type WebhookRequest } from "./webhook-sender.ts";

const attemptsTotal = new Counter({
  name: "homebook_webhook_attempts_total",
  help: "Post-call webhook attempts by result: delivered (2xx), retry (no answer, 5xx, 408 or 429; tried again later), failed (given up: another answer, or 24 h of retries).",
  labelNames: ["result"],
  registry: metrics,
});

const pendingGauge = new Gauge({
  name: "homebook_webhook_pending",
  help: "Post-call webhook deliveries waiting for their next attempt.",
  registry: metrics,
});

export interface WebhookDispatcherOptions {
  queue: DeliveryQueue;
  /** POST_CALL_WEBHOOK_URL and POST_CALL_WEBHOOK_SECRET. */
  url: string;
  secret: string;
  logger: Logger;
  clock?: Clock;
  /** The wait after the first failed attempt; doubles after each one, up to backoffMaxMs. */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** No retry is scheduled later than this after the delivery was queued. */
  giveUpAfterMs?: number;
  /** Longest wait for a receiver's answer. */
  attemptTimeoutMs?: number;
  /** How often the queue is looked at when nothing is due (deliveries queued by other gateways, expired leases). */
  pollMs?: number;
  /** Deliveries sent at the same time. */
  concurrency?: number;
  /** Replaces the HTTP attempt (tests of the schedule alone). */
  send?: (request: WebhookRequest) => Promise<WebhookAttempt>;
}

export interface WebhookDispatcher {
  /** New deliveries were queued: look now instead of at the next scheduled time. */
  wake(): void;
  /** Stops scheduling; resolves when the attempts in flight have settled. */
  stop(): Promise<void>;
}

/** Deliveries read per look at the queue; a look takes at most MAX_BATCHES of them. */
const BATCH = 20;
const MAX_BATCHES = 10;

/** The delay before attempt `attempts + 1`, after `attempts` failed ones: 1, 2, 4 … s, capped. */
export function backoffMs(attempts: number, initialMs: number, maxMs: number): number {
  return Math.min(maxMs, initialMs * 2 ** Math.max(0, attempts - 1));
}

/**
 * Starts delivering. Each delivery's body is sent unchanged on every attempt, signed anew with the
 * attempt's time. 2xx ends it; no answer, 5xx, 408 and 429 are retried after 1, 2, 4 … s (at most
 * 5 min apart) for 24 h; any other answer fails it at once. A call never waits for any of this.
 */
export function startWebhookDispatcher({
  queue,
  url,
  secret,
  logger,
  clock = systemClock,
  backoffInitialMs = 1000,
  backoffMaxMs = 300_000,
  giveUpAfterMs = 24 * 60 * 60 * 1000,
  attemptTimeoutMs = 10_000,
  pollMs = 30_000,
  concurrency = 4,
  send = sendWebhook,
}: WebhookDispatcherOptions): WebhookDispatcher {
  let timer: Timer | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  let storeFailures = 0;

  const settlementOf = (d: WebhookDelivery, result: WebhookAttempt, at: number): DeliverySettlement => {
    const attempts = d.attempts + 1;
    if (result.ok) return { state: "delivered", attempts, at, status: result.status! };
    const error = result.error ?? "failed";
    const nextAttemptAt = at + backoffMs(attempts, backoffInitialMs, backoffMaxMs);
    if (!result.retryable) return { state: "failed", attempts, at, status: result.status, error };
    if (nextAttemptAt > d.createdAt + giveUpAfterMs) return { state: "failed", attempts, at, status: result.status, error: `gave up after 24 h of retries; last: ${error}` };
    return { state: "pending", attempts, at, nextAttemptAt, status: result.status, error };
  };

  const deliver = async (d: WebhookDelivery): Promise<void> => {
    if (!(await queue.claim(d, clock.epochMs() + attemptTimeoutMs + pollMs))) return;
    const result = await send({ url, secret, body: d.body, timeoutMs: attemptTimeoutMs, clock });
    const settlement = settlementOf(d, result, clock.epochMs());
    await queue.settle(d.sessionId, settlement);
    const fields = { session_id: d.sessionId, attempts: settlement.attempts, status: result.status, duration_ms: result.durationMs };
    if (settlement.state === "delivered") {
      attemptsTotal.inc({ result: "delivered" });
      logger.info("post-call webhook delivered", fields);
    } else if (settlement.state === "pending") {
      attemptsTotal.inc({ result: "retry" });
      const log = settlement.attempts === 1 ? logger.warn : logger.debug;
      log.call(logger, "post-call webhook not delivered; retrying with backoff", { ...fields, error: settlement.error, retry_in_ms: settlement.nextAttemptAt - settlement.at });
    } else {
      attemptsTotal.inc({ result: "failed" });
      logger.error("post-call webhook failed and will not be retried", { ...fields, error: settlement.error, fix: "check the receiver at POST_CALL_WEBHOOK_URL ('homebook webhook test' shows its answer)" });
    }
  };

  /** Sends `due` with at most `concurrency` in flight. */
  const deliverAll = async (due: WebhookDelivery[]): Promise<void> => {
    let next = 0;
    const worker = async () => {
      while (next < due.length && !stopped) await deliver(due[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, due.length) }, worker));
  };

  const look = async (): Promise<void> => {
    let wakeAt: number | undefined;
    try {
      for (let batch = 0; batch < MAX_BATCHES && !stopped; batch++) {
        const due = await queue.due(clock.epochMs(), BATCH);
        await deliverAll(due);
        if (due.length < BATCH) break;
      }
      wakeAt = await queue.nextDueAt();
      pendingGauge.set(undefined, await queue.pending());
      if (storeFailures > 0) logger.info("post-call webhook queue readable again");
      storeFailures = 0;
    } catch (err) {
      if (storeFailures++ === 0) logger.warn("post-call webhook queue unavailable; deliveries wait in the store", { err });
      wakeAt = clock.epochMs() + backoffMs(storeFailures, backoffInitialMs, pollMs);
    }
    if (stopped) return;
    const delayMs = wakeAt === undefined ? pollMs : Math.min(pollMs, Math.max(0, wakeAt - clock.epochMs()));
    timer = clock.setTimer(run, delayMs);
  };

  function run(): void {
    clock.clearTimer(timer);
    timer = undefined;
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = look().finally(() => {
      running = undefined;
      if (again && !stopped) {
        again = false;
        run();
      }
    });
  }

  queueMicrotask(run);
  return {
    wake: () => queueMicrotask(run),
    async stop() {
      stopped = true;
      clock.clearTimer(timer);
      timer = undefined;
      await running;
    },
  };
}
