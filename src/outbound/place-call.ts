/** Places one outbound call: the refid is recorded first, then sends with capped-backoff retries that reuse it. */
import { randomBytes } from "node:crypto";
import type { Logger } from "../log/logger.ts";
import type { OutboundAttemptStatus, OutboundAttemptStore } from "../store/outbound-attempts.ts";
import { McubeApiError, type McubeApiClient } from "./mcube-api-client.ts";
import { backoffDelayMs, sleepMs, type RetryPolicy } from "./retry.ts";
import { mcubeRequestsTotal } from "./outbound-metrics.ts";

/** Where one attempt stands after placeCall returns (or after each change, via onChange). */
export interface AttemptResult {
  refid: string;
  status: OutboundAttemptStatus;
  callid?: string;
  error?: string;
  /** Requests sent to Mcube for this attempt so far. */
  attempts: number;
  /** Set when the failure means no later call can succeed either (Mcube refused the token). */
  fatal?: boolean;
}

export interface PlaceCallOptions {
  client: McubeApiClient;
  store: OutboundAttemptStore;
  retry: RetryPolicy;
  logger: Logger;
  /** Waits for permission before each send (the campaign's rate limit); false = stop. */
  beforeSend?: (signal?: AbortSignal) => Promise<boolean>;
  /** Stops waiting (rate limit, backoff); a request already sent is always allowed to finish. */
  signal?: AbortSignal;
  /** Called with every change, before the store is updated after a send, and before each send. */
  onChange?: (result: AttemptResult) => void;
}

/** A new refid: "hb-" + time + random, unique per attempt, short enough for any Mcube field. */
export function newRefid(): string {
  return `hb-${Date.now().toString(36)}-${randomBytes(6).toString("hex")}`;
}

/** Masks digit runs (phone numbers inside Mcube messages) before a message reaches the logs. */
function maskDigits(text: string): string {
  return text.replace(/\d{6,}/g, (d) => "*".repeat(d.length - 4) + d.slice(-4));
}

function finalStatus(err: unknown): OutboundAttemptStatus {
  if (!(err instanceof McubeApiError)) return "failed";
  // A 200 with an unreadable body may still have placed the call: never dial that contact again.
  return err.kind === "business" ? "rejected" : err.kind === "protocol" ? "unknown" : "failed";
}

/**
 * Sends the attempt `refid` (already recorded with `store.create`) until Mcube places it, refuses it,
 * or retries run out. Network errors, timeouts and 5xx are retried with the same refid; business
 * errors and other 4xx are not. When `signal` aborts during a wait, returns with status pending or
 * retrying so a later run can continue the same attempt.
 */
export async function placeCall(
  attempt: { refid: string; did: string; number: string; attempts?: number },
  { client, store, retry, logger, beforeSend, signal, onChange }: PlaceCallOptions,
): Promise<AttemptResult> {
  const log = logger.child({ refid: attempt.refid });
  let result: AttemptResult = { refid: attempt.refid, status: attempt.attempts ? "retrying" : "pending", attempts: attempt.attempts ?? 0 };
  const change = (next: AttemptResult) => {
    result = next;
    onChange?.(next);
  };
  /** After a send, a store failure must not hide what Mcube did: log it and carry on. */
  const storeAfterSend = async () => {
    try {
      await store.update(attempt.refid, { status: result.status, callid: result.callid, error: result.error ?? null, attempts: result.attempts });
    } catch (err) {
      log.error("outbound attempt result not stored", { err, status: result.status });
    }
  };

  for (;;) {
    if (beforeSend && !(await beforeSend(signal))) return result;
    if (signal?.aborted) return result;
    const attempts = result.attempts + 1;
    // Recorded before the request leaves: a crash now leaves "sending", which is never re-sent blindly.
    await store.update(attempt.refid, { status: "sending", attempts });
    change({ ...result, status: "sending", attempts });
    try {
      const { callid } = await client.dial({ did: attempt.did, number: attempt.number, refid: attempt.refid });
      mcubeRequestsTotal.inc({ result: "placed" });
      change({ refid: attempt.refid, status: "placed", callid, attempts });
      await storeAfterSend();
      log.info("outbound call placed", { callid, number: attempt.number, attempts });
      return result;
    } catch (err) {
      const message = (err as Error).message;
      const retryable = err instanceof McubeApiError && err.retryable;
      if (retryable && attempts < retry.maxAttempts) {
        mcubeRequestsTotal.inc({ result: "retryable_error" });
        change({ refid: attempt.refid, status: "retrying", error: message, attempts });
        await storeAfterSend();
        const delayMs = backoffDelayMs(attempts, retry);
        log.warn("outbound request failed, retrying", { error: maskDigits(message), attempts, delay_ms: delayMs });
        if (!(await sleepMs(delayMs, signal))) return result;
        continue;
      }
      const status = finalStatus(err);
      mcubeRequestsTotal.inc({ result: status === "rejected" ? "rejected" : "failed" });
      const fatal = err instanceof McubeApiError && err.kind === "auth";
      change({ refid: attempt.refid, status, error: message, attempts, fatal });
      await storeAfterSend();
      log.warn(status === "rejected" ? "outbound call refused by Mcube" : "outbound call failed", {
        error: maskDigits(message),
        number: attempt.number,
        attempts,
      });
      return result;
    }
  }
}
