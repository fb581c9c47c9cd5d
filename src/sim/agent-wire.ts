/**
 * Frames the fake ElevenLabs server sends, built against the official schema types of `@elevenlabs/types`
 * (each builder `satisfies` its official type, so tsc fails when the fake drifts from the schema).
 * Events the official types lack are declared here and marked UNCONFIRMED.
 */
import type {
  AgentResponse,
  AgentResponseCorrection,
  AgentToolResponseFullPayloadMessage,
  AgentToolResponseMessage,
  Audio,
  ClientToolCallMessage,
  ConversationMetadata,
  ErrorEvent,
  ErrorEventCode,
  ErrorEventErrorType,
  ErrorMessage,
  Interruption,
  McpToolCall,
  Ping,
  UserTranscript,
} from "@elevenlabs/types";
import type { AgentAudioFormat } from "../audio/agent-format.ts";

/**
 * UNCONFIRMED: not in the official types. From the official widget's mock and code ("planned after the queue protocol
 * is finalized"): `waiting`, then `admitted` (the conversation proceeds) or `timed_out` (close 3008).
 */
export interface QueueStatusFrame {
  type: "queue_status";
  queue_status_event: { status: "waiting" | "admitted" | "timed_out" };
}

/**
 * UNCONFIRMED: named in the REST `ClientEvent` enum with no published payload; third-party decoders read
 * `agent_response_complete_event.event_id`. The fake sends it after a turn's last audio.
 */
export interface AgentResponseCompleteFrame {
  type: "agent_response_complete";
  agent_response_complete_event: { event_id: number };
}

/**
 * UNCONFIRMED: named in the REST `ClientEvent` enum with no published payload. The fake's shape follows the other
 * events (`<type>_event` holding the fields): the agent asks the client to press `digits` on the phone line.
 */
export interface DtmfRequestFrame {
  type: "dtmf_request";
  dtmf_request_event: { digits: string; event_id: number };
}

/** Server error types of the official schema. */
export type AgentErrorType = ErrorEventErrorType;

export function metadataFrame(conversationId: string, output: AgentAudioFormat, input: AgentAudioFormat) {
  return {
    type: "conversation_initiation_metadata",
    conversation_initiation_metadata_event: {
      conversation_id: conversationId,
      agent_output_audio_format: output,
      user_input_audio_format: input,
    },
  } satisfies ConversationMetadata;
}

export function pingFrame(eventId: number, pingMs: number | null) {
  return { type: "ping", ping_event: { event_id: eventId, ping_ms: pingMs } } satisfies Ping;
}

export function audioFrame(bytes: Uint8Array, eventId: number) {
  return { type: "audio", audio_event: { audio_base_64: Buffer.from(bytes).toString("base64"), event_id: eventId } } satisfies Audio;
}

export function agentResponseFrame(text: string, eventId: number) {
  return { type: "agent_response", agent_response_event: { agent_response: text, event_id: eventId } } satisfies AgentResponse;
}

export function agentResponseCompleteFrame(eventId: number): AgentResponseCompleteFrame {
  return { type: "agent_response_complete", agent_response_complete_event: { event_id: eventId } };
}

export function agentResponseCorrectionFrame(original: string, corrected: string, eventId: number) {
  return {
    type: "agent_response_correction",
    agent_response_correction_event: { original_agent_response: original, corrected_agent_response: corrected, event_id: eventId },
  } satisfies AgentResponseCorrection;
}

export function userTranscriptFrame(text: string, eventId: number) {
  return { type: "user_transcript", user_transcription_event: { user_transcript: text, event_id: eventId } } satisfies UserTranscript;
}

export function interruptionFrame(eventId: number) {
  return { type: "interruption", interruption_event: { event_id: eventId } } satisfies Interruption;
}

export function clientToolCallFrame(toolName: string, toolCallId: string, parameters: Record<string, unknown>, eventId: number) {
  return {
    type: "client_tool_call",
    client_tool_call: { tool_name: toolName, tool_call_id: toolCallId, parameters, event_id: eventId },
  } satisfies ClientToolCallMessage;
}

export interface ToolIdentity {
  toolName: string;
  toolCallId: string;
  /** "system", "client", "webhook" or "mcp". */
  toolType: string;
  eventId: number;
}

/** The fields agent_tool_response and its full payload share. */
function toolResponseFields(tool: ToolIdentity, isError: boolean) {
  return { tool_name: tool.toolName, tool_call_id: tool.toolCallId, tool_type: tool.toolType, is_error: isError, is_called: true, event_id: tool.eventId };
}

export function agentToolResponseFrame(tool: ToolIdentity, isError = false) {
  return { type: "agent_tool_response", agent_tool_response: toolResponseFields(tool, isError) } satisfies AgentToolResponseMessage;
}

/** The full tool result travels as a JSON string (`full_tool_result`, at most 64 KB on the real service). */
export function agentToolResponseFullPayloadFrame(tool: ToolIdentity, result: unknown, isError = false) {
  return {
    type: "agent_tool_response_full_payload",
    agent_tool_response_full_payload: { ...toolResponseFields(tool, isError), full_tool_result: typeof result === "string" ? result : JSON.stringify(result) },
  } satisfies AgentToolResponseFullPayloadMessage;
}

export interface McpCallFields {
  serviceId: string;
  toolCallId: string;
  toolName: string;
  parameters: Record<string, unknown>;
  /** ISO-8601. */
  timestamp: string;
}

type McpState =
  | { state: "loading" }
  | { state: "awaiting_approval"; approval_timeout_secs: number }
  | { state: "success"; result: Record<string, unknown>[] }
  | { state: "failure"; error_message: string };

export function mcpToolCallFrame(call: McpCallFields, state: McpState) {
  const base = { service_id: call.serviceId, tool_call_id: call.toolCallId, tool_name: call.toolName, parameters: call.parameters, timestamp: call.timestamp };
  return { type: "mcp_tool_call", mcp_tool_call: { ...base, ...state } } satisfies McpToolCall;
}

export function dtmfRequestFrame(digits: string, eventId: number): DtmfRequestFrame {
  return { type: "dtmf_request", dtmf_request_event: { digits, event_id: eventId } };
}

export function queueStatusFrame(status: QueueStatusFrame["queue_status_event"]["status"]): QueueStatusFrame {
  return { type: "queue_status", queue_status_event: { status } };
}

/** What an error frame carries besides its code; only `code` is required by the official schema. */
export interface ErrorDetails {
  errorType?: AgentErrorType;
  message?: string;
  reason?: string;
  debugMessage?: string;
  details?: Record<string, unknown>;
}

/** An error frame with exactly the fields given (the official ErrorEvent requires only `code`). */
export function errorFrame(code: ErrorEventCode, details: ErrorDetails = {}) {
  const event: ErrorEvent = { code };
  if (details.message !== undefined) event.message = details.message;
  if (details.errorType !== undefined) event.error_type = details.errorType;
  if (details.reason !== undefined) event.reason = details.reason;
  if (details.debugMessage !== undefined) event.debug_message = details.debugMessage;
  if (details.details !== undefined) event.details = details.details;
  return { type: "error", error_event: event } satisfies ErrorMessage;
}

/** Close codes the fake uses, with its reason texts (3000 and 3008 are observed, not in the official contract). */
export const CLOSE_REASONS: Record<number, string> = {
  1000: "Conversation ended",
  1002: "Protocol error",
  1008: "Policy violation",
  1011: "Internal error",
  3000: "Request error",
  3008: "too many concurrent connections",
};
