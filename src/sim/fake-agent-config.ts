/**
 * What the fake ElevenLabs server answers to GET /v1/convai/agents/{agent_id} and GET /v1/convai/tools/{tool_id}:
 * an agent set up the way Homebook needs, reflecting the fake's own options (formats, overrides, auth, limits).
 * Typed with the official SDK's wire (snake_case) types, so the shape cannot drift from the real service's.
 */
import type { GetAgentResponseModel, ToolResponseModel } from "@elevenlabs/elevenlabs-js/serialization/index";
import type { AgentAudioFormat } from "../audio/agent-format.ts";

export type AgentResponseWire = GetAgentResponseModel.Raw;
export type ToolResponseWire = ToolResponseModel.Raw;

/** An agent as the REST API shows it, with the standalone tools its `prompt.tool_ids` name. */
export interface FakeAgentConfig {
  agent: AgentResponseWire;
  tools: ToolResponseWire[];
}

/** What the fake's options say about the agent; the rest is set up as Homebook needs it. */
export interface FakeAgentConfigInputs {
  agentId: string;
  inputFormat: AgentAudioFormat;
  outputFormat: AgentAudioFormat;
  /** Enabled override paths ("agent.first_message" …); undefined: every field Homebook sets. */
  allowedOverrides?: readonly string[];
  requireSignedUrl: boolean;
  agentResponseComplete: boolean;
  maxDurationMs?: number;
}

/** Every event Homebook understands, as the dashboard's "client events" list names them. */
export const FAKE_CLIENT_EVENTS = [
  "conversation_initiation_metadata",
  "audio",
  "interruption",
  "agent_response",
  "user_transcript",
  "ping",
  "agent_response_correction",
  "agent_response_complete",
  "client_tool_call",
  "agent_tool_response",
  "agent_tool_response_full_payload",
  "mcp_tool_call",
] as const;

/** The service's default conversation limit; the fake ends conversations at it only when maxDurationMs is set. */
const DEFAULT_MAX_DURATION_SECONDS = 600;

const ACCESS: ToolResponseWire["access_info"] = { is_creator: true, creator_name: "Test", creator_email: "test@example.com", role: "admin" };

function stringParameters(names: readonly string[]): NonNullable<Extract<ToolResponseWire["tool_config"], { type: "client" }>["parameters"]> {
  return { type: "object", required: [], properties: Object.fromEntries(names.map((n) => [n, { type: "string", description: n }])) };
}

/** Homebook's three client tools, "wait for response" on, as standalone tools. */
function clientTools(agentId: string): ToolResponseWire[] {
  const tool = (name: string, description: string, parameters: readonly string[]): ToolResponseWire => ({
    id: `tool_${agentId}_${name}`,
    tool_config: { type: "client", name, description, expects_response: true, response_timeout_secs: 20, parameters: stringParameters(parameters) },
    access_info: ACCESS,
    usage_stats: { avg_latency_secs: 0 },
  });
  return [
    tool("transfer_call", "Transfer the caller to a human", ["phone_number", "reason"]),
    tool("end_call", "End the call after saying goodbye", ["reason"]),
    tool("send_dtmf", "Press keys on the phone line", ["digits"]),
  ];
}

/**
 * The agent the fake serves for `agentId`, before a test's `agentConfig` changes it.
 * @example fakeAgentConfig({ agentId: "agent_a", inputFormat: "ulaw_8000", outputFormat: "ulaw_8000", requireSignedUrl: true, agentResponseComplete: true })
 */
export function fakeAgentConfig(inputs: FakeAgentConfigInputs): FakeAgentConfig {
  const { agentId, inputFormat, outputFormat, allowedOverrides, requireSignedUrl, agentResponseComplete, maxDurationMs } = inputs;
  const allowed = (path: string) => allowedOverrides === undefined || allowedOverrides.some((a) => path === a || path.startsWith(`${a}.`));
  const tools = clientTools(agentId);
  const agent: AgentResponseWire = {
    agent_id: agentId,
    name: `Fake agent ${agentId}`,
    conversation_config: {
      asr: { user_input_audio_format: inputFormat },
      tts: { voice_id: "fake_voice", agent_output_audio_format: outputFormat },
      conversation: {
        max_duration_seconds: maxDurationMs === undefined ? DEFAULT_MAX_DURATION_SECONDS : Math.ceil(maxDurationMs / 1000),
        client_events: FAKE_CLIENT_EVENTS.filter((e) => agentResponseComplete || e !== "agent_response_complete"),
      },
      agent: {
        first_message: "Hello, this is the test agent. How can I help?",
        language: "en",
        prompt: {
          prompt: "You are a test agent.",
          tool_ids: tools.map((t) => t.id),
          built_in_tools: {
            end_call: { type: "system", name: "end_call", params: { system_tool_type: "end_call" } },
            transfer_to_number: { type: "system", name: "transfer_to_number", params: { system_tool_type: "transfer_to_number", transfers: [] } },
            play_keypad_touch_tone: { type: "system", name: "play_keypad_touch_tone", params: { system_tool_type: "play_keypad_touch_tone" } },
          },
        },
      },
    },
    metadata: { created_at_unix_secs: 1_750_000_000, updated_at_unix_secs: 1_750_000_000 },
    platform_settings: {
      auth: { enable_auth: requireSignedUrl },
      overrides: {
        conversation_config_override: {
          agent: { first_message: allowed("agent.first_message"), language: allowed("agent.language"), prompt: { prompt: allowed("agent.prompt.prompt") } },
          tts: { voice_id: allowed("tts.voice_id") },
        },
      },
    },
  };
  return { agent, tools };
}
