/**
 * ElevenLabs Agents WebSocket wire: what the server sends, parsed once and checked by hand, and what
 * the client sends, built here. Shapes come from the official schema (@elevenlabs/types), so tsc fails
 * when our wire drifts from it. No behaviour.
 */
import type {
  AgentResponseClientEvent,
  AgentResponseCorrectionClientEvent,
  AgentToolResponseClientEvent,
  AgentToolResponseFullPayloadClientEvent,
  AudioClientEvent,
  ClientToolCallClientEvent,
  ClientToolResultClientToOrchestratorEvent,
  ContextualUpdateClientToOrchestratorEvent,
  ConversationConfigOverride,
  ConversationInitiationClientToOrchestratorEvent,
  ConversationMetadata,
  ErrorClientEvent,
  Interruption,
  McpToolApprovalResultClientToOrchestratorEvent,
  McpToolCallClientEvent,
  PingEvent,
  PongClientToOrchestratorEvent,
  UserAudio,
  UserMessageClientToOrchestratorEvent,
  UserTranscriptionClientEvent,
} from "@elevenlabs/types";
import type * as Official from "@elevenlabs/types";

/** A frame as it may arrive: every field optional and unchecked, but only the official field names exist. */
type Loose<T> = { [K in keyof T]?: NonNullable<T[K]> extends readonly unknown[] ? unknown : NonNullable<T[K]> extends object ? Loose<NonNullable<T[K]>> : unknown };

/**
 * Events the official schema does not describe yet, seen from the real service and official SDKs
 * (shapes unconfirmed): the end of an agent turn, the concurrency queue, and key presses the agent asks for.
 */
interface AgentResponseComplete {
  type: "agent_response_complete";
  agent_response_complete_event?: { event_id?: number };
}
interface QueueStatus {
  type: "queue_status";
  queue_status_event: { status: "waiting" | "admitted" | "timed_out" };
}
interface DtmfRequest {
  type: "dtmf_request";
  dtmf_request_event?: { digits?: string; dtmf_tones?: string; event_id?: number };
}

/** Official events a phone bridge has nothing to do with; they are known, so they never warn. */
const PASSIVE_TYPES = new Set<string>([
  "tentative_user_transcript",
  "vad_score",
  "agent_chat_response_part",
  "agent_reasoning_response_part",
  "agent_tool_request",
  "internal_turn_probability",
  "internal_tentative_agent_response",
  "context_usage",
  "asr_initiation_metadata",
  "mcp_connection_status",
  "guardrail_triggered",
  "agent_typing",
  "rich_content",
  "external_agent_connected",
  "external_agent_disconnected",
  // Named in the REST ClientEvent list without a published payload.
  "agent_response_metadata",
] satisfies (
  | Official.TentativeUserTranscriptionClientEvent["type"]
  | Official.VadScoreClientEvent["type"]
  | Official.AgentChatResponsePartClientEvent["type"]
  | Official.AgentReasoningResponsePartClientEvent["type"]
  | Official.AgentToolRequestClientEvent["type"]
  | Official.TurnProbabilityInternalClientEvent["type"]
  | Official.TentativeAgentResponseInternalClientEvent["type"]
  | Official.ContextUsageClientEvent["type"]
  | Official.AsrInitiationMetadataEvent["type"]
  | Official.McpConnectionStatusClientEvent["type"]
  | Official.GuardrailTriggeredClientEvent["type"]
  | Official.AgentTypingClientEvent["type"]
  | Official.RichContentClientEvent["type"]
  | Official.ExternalAgentConnectedClientEvent["type"]
  | Official.ExternalAgentDisconnectedClientEvent["type"]
  | "agent_response_metadata"
)[]);

/** Client tools a phone line offers the agent (configure them in the agent as client tools, "wait for response" on). */
export const CLIENT_TOOLS = ["transfer_call", "end_call", "send_dtmf"] as const;
/** System tools whose phone part Homebook carries out (hang up, transfer, key presses). */
export const SYSTEM_TOOLS = ["end_call", "transfer_to_number", "play_keypad_touch_tone"] as const;

export interface SystemToolResult {
  toolName: string;
  toolCallId?: string;
  toolType?: string;
  isError: boolean;
  eventId?: number;
  /** Only in agent_tool_response_full_payload: the tool's result (JSON text, ≤ 64 KB). */
  fullResult?: string;
}

/** Server frames after envelope checks. */
export type AgentInbound =
  | { kind: "metadata"; conversationId: string; outputFormat: string; inputFormat: string }
  | { kind: "audio"; audioBase64: string; eventId: number }
  | { kind: "ping"; eventId: number }
  | { kind: "interruption"; eventId?: number }
  | { kind: "user_transcript"; text: string; eventId?: number }
  | { kind: "agent_response"; text: string; eventId?: number }
  | { kind: "agent_response_correction"; original: string; corrected: string; eventId?: number }
  | { kind: "agent_response_complete"; eventId?: number }
  | { kind: "client_tool_call"; toolName: string; toolCallId: string; parameters: Record<string, unknown>; eventId?: number }
  | ({ kind: "agent_tool_response" } & SystemToolResult)
  | { kind: "mcp_tool_call"; toolCallId: string; toolName: string; serviceId?: string; state: string }
  | { kind: "dtmf_request"; digits?: string; eventId?: number }
  | { kind: "queue_status"; status: string }
  | { kind: "error"; code?: number; errorType?: string; message?: string; debugMessage?: string; reason?: string }
  /** An official event that needs no action from a phone bridge. */
  | { kind: "passive"; type: string }
  | { kind: "ignored"; reason: string };

function safeType(type: unknown): string {
  return typeof type === "string" ? type.replace(/[^A-Za-z0-9_.-]/g, "").slice(0, 48) || "empty" : "missing";
}

/** event_id as a number (the service sends numbers; strings of digits are tolerated). */
function eventIdOf(value: unknown): number | undefined {
  const n = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
}

const str = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function interpret(type: string, json: Record<string, unknown>): AgentInbound | undefined {
  switch (type) {
    case "audio": {
      const e = (json as Loose<AudioClientEvent>).audio_event;
      const audioBase64 = str(e?.audio_base_64);
      const eventId = eventIdOf(e?.event_id);
      return audioBase64 === undefined || eventId === undefined ? undefined : { kind: "audio", audioBase64, eventId };
    }
    case "ping": {
      const eventId = eventIdOf((json as Loose<{ ping_event: PingEvent }>).ping_event?.event_id);
      return eventId === undefined ? undefined : { kind: "ping", eventId };
    }
    case "conversation_initiation_metadata": {
      const e = (json as Loose<ConversationMetadata>).conversation_initiation_metadata_event;
      if (!isRecord(e)) return undefined;
      // Missing formats mean the service defaults (pcm_16000), as the official client reads them.
      return {
        kind: "metadata",
        conversationId: str(e.conversation_id) ?? "",
        outputFormat: str(e.agent_output_audio_format) ?? "pcm_16000",
        inputFormat: str(e.user_input_audio_format) ?? "pcm_16000",
      };
    }
    case "interruption":
      // An older shape carried only { reason }: the id is optional here.
      return { kind: "interruption", eventId: eventIdOf((json as Loose<Interruption>).interruption_event?.event_id) };
    case "user_transcript": {
      const e = (json as Loose<UserTranscriptionClientEvent>).user_transcription_event;
      const text = str(e?.user_transcript);
      return text === undefined ? undefined : { kind: "user_transcript", text, eventId: eventIdOf(e?.event_id) };
    }
    case "agent_response": {
      const e = (json as Loose<AgentResponseClientEvent>).agent_response_event;
      const text = str(e?.agent_response);
      return text === undefined ? undefined : { kind: "agent_response", text, eventId: eventIdOf(e?.event_id) };
    }
    case "agent_response_correction": {
      const e = (json as Loose<AgentResponseCorrectionClientEvent>).agent_response_correction_event;
      const original = str(e?.original_agent_response);
      const corrected = str(e?.corrected_agent_response);
      if (original === undefined || corrected === undefined) return undefined;
      return { kind: "agent_response_correction", original, corrected, eventId: eventIdOf(e?.event_id) };
    }
    case "agent_response_complete":
      return { kind: "agent_response_complete", eventId: eventIdOf((json as Loose<AgentResponseComplete>).agent_response_complete_event?.event_id) };
    case "client_tool_call": {
      const e = (json as Loose<ClientToolCallClientEvent>).client_tool_call;
      const toolName = str(e?.tool_name);
      const toolCallId = str(e?.tool_call_id);
      if (toolName === undefined || toolCallId === undefined) return undefined;
      const parameters = isRecord(e?.parameters) ? e.parameters : {};
      return { kind: "client_tool_call", toolName, toolCallId, parameters, eventId: eventIdOf(e?.event_id) };
    }
    case "agent_tool_response":
    case "agent_tool_response_full_payload": {
      const e =
        type === "agent_tool_response"
          ? (json as Loose<AgentToolResponseClientEvent>).agent_tool_response
          : (json as Loose<AgentToolResponseFullPayloadClientEvent>).agent_tool_response_full_payload;
      const toolName = str(e?.tool_name);
      if (toolName === undefined || !isRecord(e)) return undefined;
      return {
        kind: "agent_tool_response",
        toolName,
        toolCallId: str(e.tool_call_id),
        toolType: str(e.tool_type),
        isError: e.is_error === true,
        eventId: eventIdOf(e.event_id),
        fullResult: "full_tool_result" in e ? str(e.full_tool_result) : undefined,
      };
    }
    case "mcp_tool_call": {
      const e = (json as Loose<McpToolCallClientEvent>).mcp_tool_call as Record<string, unknown> | undefined;
      const toolCallId = str(e?.tool_call_id);
      const state = str(e?.state);
      if (toolCallId === undefined || state === undefined) return undefined;
      return { kind: "mcp_tool_call", toolCallId, toolName: str(e?.tool_name) ?? "", serviceId: str(e?.service_id), state };
    }
    case "dtmf_request": {
      const e = (json as Loose<DtmfRequest>).dtmf_request_event;
      return { kind: "dtmf_request", digits: str(e?.digits) ?? str(e?.dtmf_tones), eventId: eventIdOf(e?.event_id) };
    }
    case "queue_status": {
      const status = str((json as Loose<QueueStatus>).queue_status_event?.status);
      return status === undefined ? undefined : { kind: "queue_status", status };
    }
    case "error":
    case "client_error": {
      // The official ErrorEvent requires only `code`; the rest is optional (and some clients see no error_event at all).
      const e = (json as Loose<ErrorClientEvent>).error_event;
      return {
        kind: "error",
        code: eventIdOf(e?.code),
        errorType: str(e?.error_type),
        message: str(e?.message),
        debugMessage: str(e?.debug_message),
        reason: str(e?.reason),
      };
    }
    default:
      return PASSIVE_TYPES.has(type) ? { kind: "passive", type } : { kind: "ignored", reason: `unknown_type:${safeType(type)}` };
  }
}

/** Parses one server frame (one JSON.parse); never throws. Unusable frames come back as `{kind:"ignored", reason}`. */
export function parseAgentFrame(data: string): AgentInbound {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return { kind: "ignored", reason: "malformed_json" };
  }
  if (!isRecord(json)) return { kind: "ignored", reason: "not_an_object" };
  const type = json.type;
  if (typeof type !== "string") return { kind: "ignored", reason: "missing_type" };
  return interpret(type, json) ?? { kind: "ignored", reason: `invalid_${safeType(type)}` };
}

// ---- client -> server -------------------------------------------------------------------------

export type DynamicVariables = Record<string, string | number | boolean>;

/** The override fields the bridge sets; each needs enabling in the agent's Security tab. */
export type ConversationOverride = Pick<ConversationConfigOverride, "agent" | "tts">;

export type InitiationFrame = ConversationInitiationClientToOrchestratorEvent & { dynamic_variables: DynamicVariables };

/**
 * Leaf paths of an override object, each a field the agent must allow (Security tab → overrides).
 * @example overridePaths({ agent: { prompt: { prompt: "x" } } }) // ["agent.prompt.prompt"]
 */
export function overridePaths(value: unknown, prefix = ""): string[] {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return prefix ? [prefix] : [];
  const paths: string[] = [];
  for (const [key, inner] of Object.entries(value)) {
    if (inner === undefined) continue;
    paths.push(...overridePaths(inner, prefix ? `${prefix}.${key}` : key));
  }
  return paths;
}

/** The first client frame. `override` is left out entirely when it has no field. */
export function initiationFrame(dynamicVariables: DynamicVariables, override?: ConversationOverride): InitiationFrame {
  const frame: InitiationFrame = { type: "conversation_initiation_client_data", dynamic_variables: dynamicVariables };
  if (override && (override.agent || override.tts)) frame.conversation_config_override = override;
  return frame;
}

/** `{"user_audio_chunk":"<base64>"}` as text (the per-frame path; equal to JSON of the UserAudio shape, as a test holds). */
export function userAudioChunk(base64: string): string {
  return USER_AUDIO_PREFIX + base64 + USER_AUDIO_SUFFIX;
}
const USER_AUDIO_PREFIX = '{"user_audio_chunk":"';
const USER_AUDIO_SUFFIX = '"}';
export type UserAudioFrame = UserAudio;

export function pong(eventId: number): string {
  return JSON.stringify({ type: "pong", event_id: eventId } satisfies PongClientToOrchestratorEvent);
}

export function clientToolResult(toolCallId: string, result: string, isError = false): string {
  return JSON.stringify({ type: "client_tool_result", tool_call_id: toolCallId, result, is_error: isError } satisfies ClientToolResultClientToOrchestratorEvent);
}

export function userMessage(text: string): string {
  return JSON.stringify({ type: "user_message", text } satisfies UserMessageClientToOrchestratorEvent);
}

/** Context the agent takes in without replying to it (the conversation so far, after a reconnect). */
export function contextualUpdate(text: string): string {
  return JSON.stringify({ type: "contextual_update", text } satisfies ContextualUpdateClientToOrchestratorEvent);
}

export function mcpToolApprovalResult(toolCallId: string, approved: boolean): string {
  return JSON.stringify({ type: "mcp_tool_approval_result", tool_call_id: toolCallId, is_approved: approved } satisfies McpToolApprovalResultClientToOrchestratorEvent);
}
