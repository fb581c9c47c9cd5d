/** Opens ElevenLabs Agents conversations: signed URL (cached per agent) or public URL, one retry, one overall deadline, classified failures. */
import type { Config } from "../config/index.ts";
import type { Logger } from "../log/logger.ts";
import { HomebookError } from "../base/errors.ts";
import { Counter } from "../metrics/registry.ts";
import { parseAgentAudioFormat } from "../audio/agent-format.ts";
import { classifyRestFailure } from "./agent-errors.ts";
import { AgentSocket, type AgentConnection } from "./agent-socket.ts";
import { ConnectDeadline } from "./connect-deadline.ts";
import { SignedUrlCache } from "./signed-url-cache.ts";
import type { InitiationFrame } from "./elevenlabs-protocol.ts";

/**
 * Caps on each stage of an attempt. A caller waits in silence meanwhile, so the whole setup, retry
 * included, is also bounded by AGENT_CONNECT_TIMEOUT_MS; a stage gets the smaller of its cap and
 * what is left of that budget.
 */
export const AGENT_OPEN_TIMEOUT_MS = 5000;
export const AGENT_METADATA_TIMEOUT_MS = 5000;
const SIGNED_URL_TIMEOUT_MS = 5000;

const signedUrlLookups = new Counter({
  name: "homebook_signed_url_cache_total",
  help: "Signed conversation URL lookups, by result (hit = reused, miss = fetched).",
  labelNames: ["result"],
});

export interface AgentConnectRequest {
  agentId: string;
  /** The first frame; the socket opens while this is pending (e.g. until Mcube's start arrives). */
  init: Promise<InitiationFrame>;
  /** Aborted when the caller leaves: the attempt stops and its socket closes. */
  signal: AbortSignal;
  log: Logger;
}

export interface AgentConnector {
  /** Resolves with an initiated conversation, or rejects with a classified HomebookError. */
  connect(request: AgentConnectRequest): Promise<AgentConnection>;
  stats(): { signedUrlHits: number; signedUrlMisses: number; cachedAgents: number };
}

/** `wss://host/v1/convai/conversation?agent_id=…` from the REST base URL (https → wss, http → ws). */
export function publicConversationUrl(baseUrl: string, agentId: string): string {
  const url = new URL("/v1/convai/conversation", baseUrl.replace(/^http/, "ws"));
  url.searchParams.set("agent_id", agentId);
  return url.toString();
}

function signedUrlFetcher(apiKey: string, baseUrl: string, timeoutMs: number) {
  // The SDK is large; start loading it now so the first call does not pay for it.
  const sdk = import("@elevenlabs/elevenlabs-js");
  let client: Promise<import("@elevenlabs/elevenlabs-js").ElevenLabsClient> | undefined;
  return async (agentId: string): Promise<string> => {
    client ??= sdk.then(({ ElevenLabsClient }) => new ElevenLabsClient({ apiKey, baseUrl, maxRetries: 0, timeoutInSeconds: timeoutMs / 1000 }));
    try {
      const response = await (await client).conversationalAi.conversations.getSignedUrl({ agentId });
      return response.signedUrl;
    } catch (err) {
      throw classifyRestFailure(err, agentId);
    }
  };
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

export function createElevenLabsConnector({ config, logger }: { config: Config; logger: Logger }): AgentConnector {
  const { apiKey, baseUrl, signedUrlReuseMs, connectTimeoutMs } = config.elevenlabs;
  // A shared request outlives a caller who gave up on it only this long (several calls may wait on it).
  const fetchTimeoutMs = Math.min(SIGNED_URL_TIMEOUT_MS, connectTimeoutMs);
  const cache = apiKey ? new SignedUrlCache(signedUrlFetcher(apiKey, baseUrl, fetchTimeoutMs), signedUrlReuseMs) : undefined;

  async function target(agentId: string, deadline: ConnectDeadline): Promise<{ url: string; signed: boolean; cached: boolean }> {
    if (!cache) return { url: publicConversationUrl(baseUrl, agentId), signed: false, cached: false };
    const { url, cached } = await deadline.within(cache.get(agentId), "the signed URL request");
    signedUrlLookups.inc({ result: cached ? "hit" : "miss" });
    return { url, signed: true, cached };
  }

  async function attempt(url: string, signed: boolean, request: AgentConnectRequest, deadline: ConnectDeadline): Promise<AgentConnection> {
    const socket = new AgentSocket(url, request.agentId, signed);
    const stop = aborted(request.signal);
    stop.catch(() => socket.close(1000, "caller left"));
    try {
      await deadline.within(Promise.race([socket.opened(), stop]), "the WebSocket open", AGENT_OPEN_TIMEOUT_MS);
      // Waiting for Mcube's start has its own bound (START_TIMEOUT_MS): it does not spend the budget.
      const init = await deadline.excluding(Promise.race([request.init, socket.closedEarly(), stop]));
      socket.sendInit(init);
      await deadline.within(Promise.race([socket.initiated(), stop]), "the conversation metadata", AGENT_METADATA_TIMEOUT_MS);
      checkFormats(socket, request.agentId);
      return socket;
    } catch (err) {
      // A stalled server may never answer a close handshake: drop the socket outright.
      if (err instanceof HomebookError && err.code === "timeout") socket.abandon();
      else socket.close(1000, "not used");
      throw asHomebookError(err);
    }
  }

  return {
    async connect(request) {
      const deadline = new ConnectDeadline(connectTimeoutMs, request.signal);
      for (let attemptNo = 1; ; attemptNo++) {
        let url: string | undefined;
        let signed = false;
        try {
          ({ url, signed } = await target(request.agentId, deadline));
          return await attempt(url, signed, request, deadline);
        } catch (err) {
          const error = asHomebookError(err);
          if (signed && url) cache?.drop(request.agentId, url);
          // One more try for refusals and early closes (a reused signed URL may have been refused);
          // never for settings errors, timeouts (the caller has waited long enough) or a caller who left.
          if (attemptNo >= 2 || !error.retryable || request.signal.aborted || deadline.expired) throw error;
          request.log.warn("agent connection refused; retrying once with a fresh URL", { agent_id: request.agentId, code: error.code, detail: error.message });
        }
      }
    },
    stats: () => ({ signedUrlHits: cache?.hits ?? 0, signedUrlMisses: cache?.misses ?? 0, cachedAgents: cache?.size ?? 0 }),
  };

  function checkFormats(socket: AgentSocket, agentId: string): void {
    const { inputFormat, outputFormat } = socket.metadata;
    for (const format of [inputFormat, outputFormat]) {
      if (parseAgentAudioFormat(format)) continue;
      socket.close(1000, "unsupported audio format");
      logger.error("agent uses an audio format Homebook cannot carry", { agent_id: agentId, format });
      throw new HomebookError("upstream_protocol", `agent ${agentId} uses audio format ${format}`, {
        fix: "set the agent's input and output audio formats to pcm_8000/16000/22050/24000/44100/48000 or ulaw_8000",
      });
    }
  }
}
