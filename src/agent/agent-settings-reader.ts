/**
 * Reads an agent's configuration and its tools over REST with the official SDK. The SDK is imported here
 * only, when first used: loading it costs 1-4 s of CPU and about 90 MiB, so it stays off the call path
 * (signed URLs are a plain fetch, signed-url-request.ts) and in a chunk of its own in the binary.
 */
import { HomebookError } from "../base/errors.ts";
import { classifyRestFailure } from "./agent-errors.ts";
import type { AgentSettings, ToolSettings } from "./agent-setup-check.ts";

export interface AgentReading {
  agent: AgentSettings;
  /** Inline tools, standalone tools (`tool_ids`) and built-in system tools, as one list. */
  tools: ToolSettings[];
  /** Standalone tools that could not be read, with why. */
  unreadableTools: { toolId: string; reason: string }[];
}

export interface AgentSettingsReaderOptions {
  apiKey: string;
  /** REST base URL (ELEVENLABS_BASE_URL). */
  baseUrl: string;
  timeoutMs: number;
}

const READING = "reading the agent";

/**
 * Loads the SDK and returns a reader of agents; a failed read comes back as a classified HomebookError
 * (upstream_auth for a refused key, upstream_agent_not_found for an unknown agent).
 * @example const read = await agentSettingsReader({ apiKey, baseUrl, timeoutMs: 30_000 }); const { agent } = await read("agent_7a1b");
 */
export async function agentSettingsReader({ apiKey, baseUrl, timeoutMs }: AgentSettingsReaderOptions): Promise<(agentId: string) => Promise<AgentReading>> {
  const { ElevenLabsClient } = await import("@elevenlabs/elevenlabs-js");
  const client = new ElevenLabsClient({ apiKey, baseUrl, timeoutInSeconds: timeoutMs / 1000 });
  const ai = client.conversationalAi;
  return async (agentId) => {
    let agent: AgentSettings;
    try {
      agent = await ai.agents.get(agentId);
    } catch (err) {
      throw classifyRestFailure(err, agentId, READING);
    }
    const prompt = agent.conversationConfig.agent?.prompt;
    const builtIn = Object.values(prompt?.builtInTools ?? {}).flatMap((t): ToolSettings[] => (t ? [{ ...t, type: "system" }] : []));
    const unreadableTools: AgentReading["unreadableTools"] = [];
    const standalone = await Promise.all(
      (prompt?.toolIds ?? []).map(async (toolId): Promise<ToolSettings[]> => {
        try {
          return [(await ai.tools.get(toolId)).toolConfig];
        } catch (err) {
          const failure = classifyRestFailure(err, agentId, `reading tool ${toolId}`);
          unreadableTools.push({ toolId, reason: failure.message });
          return [];
        }
      }),
    );
    return { agent, tools: [...(prompt?.tools ?? []), ...standalone.flat(), ...builtIn], unreadableTools };
  };
}

/** One line for an agent that could not be read: what failed and what to change. */
export function describeReadFailure(err: unknown): { message: string; fix?: string } {
  if (!(err instanceof HomebookError)) return { message: `could not read the agent: ${(err as Error)?.message ?? String(err)}` };
  const status = (err.cause as { statusCode?: unknown } | undefined)?.statusCode;
  const http = typeof status === "number" ? ` (HTTP ${status})` : "";
  if (err.code === "upstream_auth") return { message: `API key refused${http}`, fix: err.fix };
  if (err.code === "upstream_agent_not_found") {
    return { message: `agent not found${http}`, fix: "check the agent id: the bot's --agent-id ('homebook bots update') or ELEVENLABS_AGENT_ID" };
  }
  const cause = err.cause instanceof Error && err.cause.message ? `: ${err.cause.message}` : "";
  return { message: `could not read the agent${http}${cause}`, fix: "check ELEVENLABS_BASE_URL and the network, then run again" };
}
