/**
 * One example of every server → client event of the ElevenLabs Agents WebSocket, typed with the official schema
 * (`@elevenlabs/types`), plus the events the schema lacks (unconfirmed shapes): what a client must understand.
 */
import type {
  AgentChatResponsePart,
  AgentReasoningResponsePart,
  AgentResponse,
  AgentResponseCorrection,
  AgentToolRequestMessage,
  AgentToolResponseFullPayloadMessage,
  AgentToolResponseMessage,
  AgentTyping,
  AsrInitiationMetadata,
  Audio,
  ClientToolCallMessage,
  ContextUsage,
  ConversationMetadata,
  ErrorMessage,
  ExternalAgentConnected,
  ExternalAgentDisconnected,
  GuardrailTriggered,
  InternalTentativeAgentResponse,
  InternalTurnProbability,
  Interruption,
  McpConnectionStatusMessage,
  McpToolCall,
  Ping,
  RichContentMessage,
  TentativeUserTranscript,
  UserTranscript,
  VadScore,
} from "@elevenlabs/types";
import type { AgentResponseCompleteFrame, DtmfRequestFrame, QueueStatusFrame } from "./agent-wire.ts";

/** Every server → client event of the official schema. */
export type OfficialServerEvent =
  | ConversationMetadata
  | AsrInitiationMetadata
  | Ping
  | Audio
  | Interruption
  | UserTranscript
  | TentativeUserTranscript
  | AgentResponse
  | AgentResponseCorrection
  | AgentChatResponsePart
  | AgentReasoningResponsePart
  | ClientToolCallMessage
  | AgentToolRequestMessage
  | AgentToolResponseMessage
  | AgentToolResponseFullPayloadMessage
  | McpToolCall
  | McpConnectionStatusMessage
  | VadScore
  | ContextUsage
  | GuardrailTriggered
  | InternalTurnProbability
  | InternalTentativeAgentResponse
  | AgentTyping
  | ExternalAgentConnected
  | ExternalAgentDisconnected
  | RichContentMessage
  | ErrorMessage;

/** Events named by the service but missing from the official schema (shapes UNCONFIRMED, see agent-wire.ts). */
export type UnconfirmedServerEvent = QueueStatusFrame | AgentResponseCompleteFrame | DtmfRequestFrame;

export type ServerEvent = OfficialServerEvent | UnconfirmedServerEvent;
export type ServerEventType = ServerEvent["type"];

const TIMESTAMP = "2026-12-01T10:00:00Z";

/**
 * An example of each event type (tsc fails when one is missing or drifts from the schema).
 * @example for (const [type, frame] of Object.entries(SERVER_EVENT_EXAMPLES)) conv.sendEvent(frame);
 */
export const SERVER_EVENT_EXAMPLES: { [K in ServerEventType]: Extract<ServerEvent, { type: K }> } = {
  conversation_initiation_metadata: {
    type: "conversation_initiation_metadata",
    conversation_initiation_metadata_event: { conversation_id: "conv_example", agent_output_audio_format: "pcm_16000", user_input_audio_format: "pcm_16000" },
  },
  asr_initiation_metadata: { type: "asr_initiation_metadata", asr_initiation_metadata_event: {} },
  ping: { type: "ping", ping_event: { event_id: 1, ping_ms: null } },
  audio: { type: "audio", audio_event: { audio_base_64: "AAAAAA==", event_id: 2 } },
  interruption: { type: "interruption", interruption_event: { event_id: 3 } },
  user_transcript: { type: "user_transcript", user_transcription_event: { user_transcript: "hello", event_id: 3 } },
  tentative_user_transcript: { type: "tentative_user_transcript", tentative_user_transcription_event: { user_transcript: "hel", event_id: 3 } },
  agent_response: { type: "agent_response", agent_response_event: { agent_response: "Hi there", event_id: 2 } },
  agent_response_correction: {
    type: "agent_response_correction",
    agent_response_correction_event: { original_agent_response: "Hi there, how", corrected_agent_response: "Hi there", event_id: 2 },
  },
  agent_chat_response_part: { type: "agent_chat_response_part", text_response_part: { text: "Hi", type: "delta", event_id: 2 } },
  agent_reasoning_response_part: { type: "agent_reasoning_response_part", reasoning_response_part: { text: "thinking", type: "delta", event_id: "2" } },
  client_tool_call: {
    type: "client_tool_call",
    client_tool_call: { tool_name: "transfer_call", tool_call_id: "transfer_call_example", parameters: { reason: "asked" }, event_id: 2 },
  },
  agent_tool_request: {
    type: "agent_tool_request",
    agent_tool_request: { tool_name: "end_call", tool_call_id: "end_call_example", tool_type: "system", event_id: 2 },
  },
  agent_tool_response: {
    type: "agent_tool_response",
    agent_tool_response: { tool_name: "end_call", tool_call_id: "end_call_example", tool_type: "system", is_error: false, is_called: true, event_id: 2 },
  },
  agent_tool_response_full_payload: {
    type: "agent_tool_response_full_payload",
    agent_tool_response_full_payload: {
      tool_name: "transfer_to_number",
      tool_call_id: "transfer_to_number_example",
      tool_type: "system",
      is_error: false,
      is_called: true,
      event_id: 2,
      full_tool_result: JSON.stringify({ status: "success", transfer_number: "9876543210" }),
    },
  },
  mcp_tool_call: {
    type: "mcp_tool_call",
    mcp_tool_call: {
      service_id: "mcp_example",
      tool_call_id: "mcp_call_example",
      tool_name: "search",
      parameters: {},
      timestamp: TIMESTAMP,
      state: "awaiting_approval",
      approval_timeout_secs: 300,
    },
  },
  mcp_connection_status: {
    type: "mcp_connection_status",
    mcp_connection_status: { integrations: [{ integration_id: "mcp_example", integration_type: "mcp_server", is_connected: true, tool_count: 1 }] },
  },
  vad_score: { type: "vad_score", vad_score_event: { vad_score: 0.5 } },
  context_usage: { type: "context_usage", context_usage_event: { event_id: 2, model: "example-llm", context_tokens: 1200, context_limit_tokens: 128_000 } },
  guardrail_triggered: { type: "guardrail_triggered" },
  internal_turn_probability: { type: "internal_turn_probability", turn_probability_internal_event: { turn_probability: 0.4 } },
  internal_tentative_agent_response: { type: "internal_tentative_agent_response", tentative_agent_response_internal_event: { tentative_agent_response: "Hi" } },
  agent_typing: { type: "agent_typing", agent_typing_event: { is_typing: true, duration_ms: 500 } },
  external_agent_connected: { type: "external_agent_connected", external_agent_connected_event: {} },
  external_agent_disconnected: { type: "external_agent_disconnected", external_agent_disconnected_event: {} },
  rich_content: { type: "rich_content", rich_content: { rich_content_id: "rc_example", component: "card", props: { title: "Example" }, event_id: 2 } },
  error: { type: "error", error_event: { code: 1011 } },
  queue_status: { type: "queue_status", queue_status_event: { status: "waiting" } },
  agent_response_complete: { type: "agent_response_complete", agent_response_complete_event: { event_id: 2 } },
  dtmf_request: { type: "dtmf_request", dtmf_request_event: { digits: "1234", event_id: 2 } },
};
