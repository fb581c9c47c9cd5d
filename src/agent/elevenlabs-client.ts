/**
 * Opens ElevenLabs Agents conversations: signed URL (cached per agent, fetched ahead while the call
 * waits for Mcube's start) or public URL; the init frame first on every socket; retries for refusals
 * (a fresh URL), server cancels (3000) and a busy service (3008, after a short wait), all within one
 * deadline; classified failures.
 */
import type { Config } from "../config/index.ts";
import type { Logger } from "../log/logger.ts";
import { sleep, systemClock, type Clock } from "../base/clock.ts";
import { HomebookError } from "../base/errors.ts";
import { Counter } from "../metrics/registry.ts";
import { parseAgentAudioFormat } from "../audio/agent-format.ts";
import { AgentLeg } from "./agent-leg.ts";
import { ConnectDeadline } from "./connect-deadline.ts";
import { SignedUrlCache } from "./signed-url-cache.ts";
import { signedUrlRequest } from "./signed-url-request.ts";
import type { InitiationFrame } from "./elevenlabs-protocol.ts";

/**
 * Caps on each stage of an attempt. A caller waits in silence meanwhile, so the whole setup, retries
 * included, is also bounded by AGENT_CONNECT_TIMEOUT_MS; a stage gets the smaller of its cap and
 * what is left of that budget.
 */
export const AGENT_OPEN_TIMEOUT_MS = 5000;
export const AGENT_METADATA_TIMEOUT_MS = 5000;
const SIGNED_URL_TIMEOUT_MS = 5000;
/** Attempts per connect: the first, one retry for a refusal or cancel, and one more for a busy service. */
const MAX_ATTEMPTS = 3;

const signedUrlLookups = new Counter({
  name: "homebook_signed_url_cache_total",
  help: "Signed conversation URL lookups, by result (hit = reused, miss = fetched).",
  labelNames: ["result"],
});

export interface AgentConnectRequest {
  agentId: string;
  /** The first frame, sent the moment the socket opens. */
  init: InitiationFrame;
  /** Aborted when the caller leaves: the attempt stops and its socket closes. */
  signal: AbortSignal;
  log: Logger;
}

export interface AgentConnector {
  /** Fetches (and caches) what a conversation with this agent will need, ahead of the call's start. */
  prepare(agentId: string): void;
  /** Resolves with an initiated conversation, or rejects with a classified HomebookError. */
  connect(request: AgentConnectRequest): Promise<AgentLeg>;
  stats(): { signedUrlHits: number; signedUrlMisses: number; cachedAgents: number };
}

export interface ConnectorOptions {
  config: Config;
  logger: Logger;
  clock?: Clock;
  /** Bytes an agent socket may hold unsent before caller audio is dropped; and how long before it counts as stalled. */
  maxBufferedBytes?: number;
  stallTimeoutMs?: number;
  /** Counts the caller audio bytes dropped while an agent socket was over its bound. */
  dropCounter?: { inc(bytes: number): void };
}

/** `wss://host/v1/convai/conversation?agent_id=…` from the REST base URL (https → wss, http → ws). */
export function publicConversationUrl(baseUrl: string, agentId: string): string {
  const url = new URL("/v1/convai/conversation", baseUrl.replace(/^http/, "ws"));
  url.searchParams.set("agent_id", agentId);
  return url.toString();
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const fail = () => reject(new HomebookError("internal", "agent connection abandoned: the caller left"));
    if (signal.aborted) fail();
    else signal.addEventListener("abort", fail, { once: true });
  });
}

function asHomebookError(err: unknown): HomebookError {
  return err instanceof HomebookError ? err : new HomebookError("upstream_unavailable", String((err as Error)?.message ?? err), { retryable: true, cause: err });
}

export function createElevenLabsConnector({ config, logger, clock = systemClock, maxBufferedBytes, stallTimeoutMs, dropCounter }: ConnectorOptions): AgentConnector {
  const { apiKey, baseUrl, signedUrlReuseMs, connectTimeoutMs } = config.elevenlabs;
  // A shared request outlives a caller who gave up on it only this long (several calls may wait on it).
  const fetchTimeoutMs = Math.min(SIGNED_URL_TIMEOUT_MS, connectTimeoutMs);
  const cache = apiKey ? new SignedUrlCache(signedUrlRequest({ apiKey, baseUrl, timeoutMs: fetchTimeoutMs, clock }), signedUrlReuseMs, () => clock.epochMs()) : undefined;

  async function target(agentId: string, deadline: ConnectDeadline): Promise<{ url: string; signed: boolean }> {
    if (!cache) return { url: publicConversationUrl(baseUrl, agentId), signed: false };
    const { url, cached } = await deadline.within(cache.get(agentId), "the signed URL request");
    signedUrlLookups.inc({ result: cached ? "hit" : "miss" });
    return { url, signed: true };
  }

  async function attempt(url: string, signed: boolean, request: AgentConnectRequest, deadline: ConnectDeadline): Promise<AgentLeg> {
    const leg = new AgentLeg({ url, agentId: request.agentId, signed, init: request.init, clock, maxBufferedBytes, stallTimeoutMs, dropCounter });
    const stop = aborted(request.signal);
    stop.catch(() => leg.close(1000, "caller left"));
    try {
      await deadline.within(Promise.race([leg.opened(), stop]), "the WebSocket open", AGENT_OPEN_TIMEOUT_MS);
      await deadline.within(Promise.race([leg.initiated(), leg.closedEarly(), stop]), "the conversation metadata", AGENT_METADATA_TIMEOUT_MS);
      checkFormats(leg, request.agentId);
      return leg;
    } catch (err) {
      // A stalled server may never answer a close handshake: drop the socket outright.
      if (err instanceof HomebookError && err.code === "timeout") leg.abandon();
      else leg.close(1000, "not used");
      throw asHomebookError(err);
    }
  }

  return {
    prepare(agentId) {
      if (!cache) return;
      // Warms the cache; a failure here is only logged, the call's own connect tries again.
      cache.get(agentId).catch((err) => logger.debug("signed URL prefetch failed", { agent_id: agentId, err }));
    },
    async connect(request) {
      const deadline = new ConnectDeadline(connectTimeoutMs, request.signal, clock);
      for (let attemptNo = 1; ; attemptNo++) {
        let url: string | undefined;
        let signed = false;
        try {
          ({ url, signed } = await target(request.agentId, deadline));
          return await attempt(url, signed, request, deadline);
        } catch (err) {
          const error = asHomebookError(err);
          if (signed && url) cache?.drop(request.agentId, url);
          // Refusals, cancels and a busy service are worth another try within the deadline; never settings
          // errors, timeouts (the caller has waited long enough) or a caller who left.
          const lastTry = attemptNo >= (error.retryAfterMs !== undefined ? MAX_ATTEMPTS : 2);
          if (lastTry || !error.retryable || request.signal.aborted || deadline.expired) throw error;
          request.log.warn("agent connection refused; trying again", { agent_id: request.agentId, code: error.code, detail: error.message, retry_after_ms: error.retryAfterMs });
          if (error.retryAfterMs !== undefined) await deadline.within(sleep(clock, error.retryAfterMs), "the wait for a busy agent service");
        }
      }
    },
    stats: () => ({ signedUrlHits: cache?.hits ?? 0, signedUrlMisses: cache?.misses ?? 0, cachedAgents: cache?.size ?? 0 }),
  };

  function checkFormats(leg: AgentLeg, agentId: string): void {
    const { inputFormat, outputFormat } = leg.metadata;
    for (const format of [inputFormat, outputFormat]) {
      if (parseAgentAudioFormat(format)) continue;
      leg.close(1000, "unsupported audio format");
      logger.error("agent uses an audio format Homebook cannot carry", { agent_id: agentId, format });
      throw new HomebookError("upstream_protocol", `agent ${agentId} uses audio format ${format}`, {
        fix: "set the agent's input and output audio formats to pcm_8000/16000/22050/24000/44100/48000 or ulaw_8000",
      });
    }
  }
}
