/** Opens ElevenLabs Agents conversations: signed URL (cached per agent) or public URL, one retry, classified failures. */
import type { Config } from "../config/index.ts";
import type { Logger } from "../log/logger.ts";
import { HomebookError } from "../errors.ts";
import { Counter } from "../metrics/registry.ts";
import { parseAgentAudioFormat } from "../audio/agent-format.ts";
import { classifyRestFailure } from "./agent-errors.ts";
import { AgentSocket, type AgentConnection } from "./agent-socket.ts";
import { SignedUrlCache } from "./signed-url-cache.ts";
import type { InitiationFrame } from "./elevenlabs-protocol.ts";

/** Bounds on each connection attempt. A caller waits in silence meanwhile, so they are short. */
export const AGENT_OPEN_TIMEOUT_MS = 5000;
export const AGENT_METADATA_TIMEOUT_MS = 5000;
const SIGNED_URL_TIMEOUT_S = 5;

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

function signedUrlFetcher(apiKey: string, baseUrl: string) {
  // The SDK is large; start loading it now so the first call does not pay for it.
  const sdk = import("@elevenlabs/elevenlabs-js");
  let client: Promise<import("@elevenlabs/elevenlabs-js").ElevenLabsClient> | undefined;
  return async (agentId: string): Promise<string> => {
    client ??= sdk.then(({ ElevenLabsClient }) => new ElevenLabsClient({ apiKey, baseUrl, maxRetries: 0, timeoutInSeconds: SIGNED_URL_TIMEOUT_S }));
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
  const { apiKey, baseUrl, signedUrlReuseMs } = config.elevenlabs;
  const cache = apiKey ? new SignedUrlCache(signedUrlFetcher(apiKey, baseUrl), signedUrlReuseMs) : undefined;

  async function target(agentId: string): Promise<{ url: string; signed: boolean; cached: boolean }> {
    if (!cache) return { url: publicConversationUrl(baseUrl, agentId), signed: false, cached: false };
    const { url, cached } = await cache.get(agentId);
    signedUrlLookups.inc({ result: cached ? "hit" : "miss" });
    return { url, signed: true, cached };
  }

  async function attempt(url: string, signed: boolean, request: AgentConnectRequest): Promise<AgentConnection> {
    const socket = new AgentSocket(url, request.agentId, signed);
    const stop = aborted(request.signal);
    stop.catch(() => socket.close(1000, "caller left"));
    try {
      await Promise.race([socket.opened(AGENT_OPEN_TIMEOUT_MS), stop]);
      const init = await Promise.race([request.init, socket.closedEarly(), stop]);
      socket.sendInit(init);
      await Promise.race([socket.initiated(AGENT_METADATA_TIMEOUT_MS), stop]);
      checkFormats(socket, request.agentId);
      return socket;
    } catch (err) {
      socket.close(1000, "not used");
      throw asHomebookError(err);
    }
  }

  return {
    async connect(request) {
      for (let attemptNo = 1; ; attemptNo++) {
        let url: string | undefined;
        let signed = false;
        try {
          ({ url, signed } = await target(request.agentId));
          return await attempt(url, signed, request);
        } catch (err) {
          const error = asHomebookError(err);
          if (signed && url) cache?.drop(request.agentId, url);
          // One more try for refusals and early closes (a reused signed URL may have been refused);
          // never for settings errors, timeouts (the caller has waited long enough) or a caller who left.
          if (attemptNo >= 2 || !error.retryable || request.signal.aborted) throw error;
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
