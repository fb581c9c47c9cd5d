/**
 * The one REST request on a call's path: GET /v1/convai/conversation/get-signed-url, as a plain fetch.
 * The official SDK makes the same request, but loading it costs over a second of blocking CPU and
 * about 90 MiB of memory (measured: bench/bridge.ts), which the first caller after a start would wait
 * through in silence; the SDK stays for the operator's REST commands (homebook check-agent).
 */
import { z } from "zod";
import type { Clock } from "../base/clock.ts";
import { HomebookError } from "../base/errors.ts";
import { classifyRestFailure } from "./agent-errors.ts";
import type { FetchSignedUrl } from "./signed-url-cache.ts";

/** The REST answer (`{ signed_url }`); the URL itself is opaque. */
const signedUrlResponse = z.looseObject({ signed_url: z.string().min(1) });

export interface SignedUrlRequestOptions {
  apiKey: string;
  /** REST base URL (ELEVENLABS_BASE_URL). */
  baseUrl: string;
  /** The request gives up after this long on `clock` (a call waits in silence meanwhile). */
  timeoutMs: number;
  clock: Clock;
}

/** Fetches a signed conversation URL for an agent; failures come back classified (wrong key, unknown agent, unavailable). */
export function signedUrlRequest({ apiKey, baseUrl, timeoutMs, clock }: SignedUrlRequestOptions): FetchSignedUrl {
  return async (agentId) => {
    const url = new URL("/v1/convai/conversation/get-signed-url", baseUrl);
    url.searchParams.set("agent_id", agentId);
    const abort = new AbortController();
    const timer = clock.setTimer(() => abort.abort(), timeoutMs);
    try {
      const response = await fetch(url, { headers: { "xi-api-key": apiKey, accept: "application/json" }, signal: abort.signal });
      if (!response.ok) throw classifyRestFailure({ statusCode: response.status }, agentId);
      const body = signedUrlResponse.safeParse(await response.json().catch(() => undefined));
      if (!body.success) throw new HomebookError("upstream_protocol", `get-signed-url for agent ${agentId} answered without a signed_url`, { retryable: true });
      return body.data.signed_url;
    } catch (err) {
      throw classifyRestFailure(err, agentId);
    } finally {
      clock.clearTimer(timer);
    }
  };
}
