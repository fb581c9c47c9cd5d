/** The offline agent: the fake ElevenLabs server with the echo persona, in-process, for `homebook serve` without a key. */
import type { AgentAudioFormat } from "../audio/agent-format.ts";
import type { Logger } from "../log/logger.ts";
import { startFakeAgentServer } from "./fake-agent-server.ts";

/** Agent id the offline agent answers to when ELEVENLABS_AGENT_ID is unset (it accepts any id). */
export const OFFLINE_AGENT_ID = "homebook-offline-echo";

export interface OfflineAgent {
  /** http://127.0.0.1:port: use as the ElevenLabs base URL (REST and WebSocket). */
  readonly baseUrl: string;
  readonly agentId: string;
  stop(): Promise<void>;
}

export interface OfflineAgentOptions {
  /** Default pcm_16000 both, the service's defaults, so the bridge's resampling runs offline too. */
  inputFormat?: AgentAudioFormat;
  outputFormat?: AgentAudioFormat;
  port?: number;
}

/**
 * Starts the echo agent on a loopback port and logs the one warning line operators need.
 * @example
 * const offline = await startOfflineAgent(logger);
 * // bridge: ELEVENLABS_BASE_URL = offline.baseUrl, agent id = config agent id ?? offline.agentId
 * await offline.stop(); // on shutdown, after the calls
 */
export async function startOfflineAgent(logger: Logger, options: OfflineAgentOptions = {}): Promise<OfflineAgent> {
  const server = await startFakeAgentServer({
    persona: "echo",
    inputFormat: options.inputFormat ?? "pcm_16000",
    outputFormat: options.outputFormat ?? "pcm_16000",
    port: options.port ?? 0,
    logger: logger.child({ component: "offline-agent" }),
  });
  logger.warn(
    "no ElevenLabs key: calls go to the built-in offline echo agent; set ELEVENLABS_API_KEY and ELEVENLABS_AGENT_ID to use ElevenLabs",
    { agent_base_url: server.baseUrl },
  );
  return { baseUrl: server.baseUrl, agentId: OFFLINE_AGENT_ID, stop: () => server.stop() };
}
