/** One signed POST of a post-call webhook, and what its answer means for retrying. */
import { systemClock, type Clock } from "../base/clock.ts";
import { VERSION } from "../base/version.ts";
import { SIGNATURE_HEADER, signWebhook } from "./webhook-signature.ts";

/** How much of a receiver's answer is kept (for `homebook webhook test` and the delivery's last_error). */
const RESPONSE_SNIPPET_BYTES = 2048;

export interface WebhookAttempt {
  /** The receiver answered 2xx. */
  ok: boolean;
  /** Worth trying again: no answer (network error, timeout), 5xx, 408 or 429. */
  retryable: boolean;
  status?: number;
  /** What went wrong, one line (no URL: it may hold a token). */
  error?: string;
  /** The start of the receiver's answer. */
  responseText: string;
  /** The Homebook-Signature header sent. */
  signature: string;
  durationMs: number;
}

export interface WebhookRequest {
  url: string;
  secret: string;
  /** Sent as is: the same bytes on every attempt of a delivery. */
  body: string;
  timeoutMs: number;
  clock?: Clock;
}

async function readSnippet(response: Response): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < RESPONSE_SNIPPET_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    void reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, RESPONSE_SNIPPET_BYTES).toString("utf8");
}

function retryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/**
 * POSTs `body` signed with `secret` (t is this attempt's time: receivers check it is recent) and
 * classifies the answer. Never throws. Redirects are not followed: the signature is for this URL.
 */
export async function sendWebhook({ url, secret, body, timeoutMs, clock = systemClock }: WebhookRequest): Promise<WebhookAttempt> {
  const signature = signWebhook(secret, body, clock.epochMs() / 1000);
  const abort = new AbortController();
  const timer = clock.setTimer(() => abort.abort(), timeoutMs);
  const startedMs = clock.now();
  const done = (result: Omit<WebhookAttempt, "signature" | "durationMs">): WebhookAttempt => ({ ...result, signature, durationMs: Math.round(clock.now() - startedMs) });
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": `Homebook/${VERSION}`, [SIGNATURE_HEADER]: signature },
      body,
      redirect: "manual",
      signal: abort.signal,
    });
    const responseText = await readSnippet(response);
    const { status } = response;
    if (status >= 200 && status < 300) return done({ ok: true, retryable: false, status, responseText });
    const error =
      status >= 300 && status < 400
        ? `the receiver redirected (${status}): set POST_CALL_WEBHOOK_URL to the final URL`
        : `the receiver answered ${status}${retryableStatus(status) ? "" : " (not retried: fix the receiver or POST_CALL_WEBHOOK_SECRET)"}`;
    return done({ ok: false, retryable: retryableStatus(status), status, error, responseText });
  } catch (err) {
    const error = abort.signal.aborted ? `no answer within ${timeoutMs} ms` : `could not reach the receiver: ${String((err as Error).message ?? err).replaceAll(url, "POST_CALL_WEBHOOK_URL")}`;
    return done({ ok: false, retryable: true, error, responseText: "" });
  } finally {
    clock.clearTimer(timer);
  }
}
