/** ElevenLabs Agents WebSocket wire types: envelopes of server frames (zod) and builders of client frames. No behaviour. */
import { z } from "zod";

const eventId = z.union([z.number(), z.string()]).transform((v) => Number(v)).pipe(z.number().finite());
const optionalEventId = eventId.optional();

const metadataSchema = z.looseObject({
  type: z.literal("conversation_initiation_metadata"),
  conversation_initiation_metadata_event: z.looseObject({
    conversation_id: z.string().default(""),
    agent_output_audio_format: z.string().default("pcm_16000"),
    user_input_audio_format: z.string().default("pcm_16000"),
  }),
});
const audioSchema = z.looseObject({
  type: z.literal("audio"),
  audio_event: z.looseObject({ audio_base_64: z.string(), event_id: eventId }),
});
const pingSchema = z.looseObject({ type: z.literal("ping"), ping_event: z.looseObject({ event_id: eventId }) });
const interruptionSchema = z.looseObject({
  type: z.literal("interruption"),
  interruption_event: z.looseObject({ event_id: optionalEventId }).optional(),
});
const userTranscriptSchema = z.looseObject({
  type: z.literal("user_transcript"),
  user_transcription_event: z.looseObject({ user_transcript: z.string(), event_id: optionalEventId }),
});
const agentResponseSchema = z.looseObject({
  type: z.literal("agent_response"),
  agent_response_event: z.looseObject({ agent_response: z.string(), event_id: optionalEventId }),
});
const correctionSchema = z.looseObject({
  type: z.literal("agent_response_correction"),
  agent_response_correction_event: z.looseObject({
    original_agent_response: z.string(),
    corrected_agent_response: z.string(),
    event_id: optionalEventId,
  }),
});
const responseCompleteSchema = z.looseObject({
  type: z.literal("agent_response_complete"),
  agent_response_complete_event: z.looseObject({ event_id: optionalEventId }).optional(),
});
const clientToolCallSchema = z.looseObject({
  type: z.literal("client_tool_call"),
  client_tool_call: z.looseObject({
    tool_name: z.string(),
    tool_call_id: z.string(),
    parameters: z.record(z.string(), z.unknown()).default({}),
    event_id: optionalEventId,
  }),
});
const toolResponseBody = z.looseObject({
  tool_name: z.string(),
  tool_call_id: z.string().optional(),
  tool_type: z.string().optional(),
  is_error: z.boolean().optional(),
  event_id: optionalEventId,
  full_tool_result: z.string().optional(),
});
const agentToolResponseSchema = z.looseObject({ type: z.literal("agent_tool_response"), agent_tool_response: toolResponseBody });
const agentToolFullSchema = z.looseObject({
  type: z.literal("agent_tool_response_full_payload"),
  agent_tool_response_full_payload: toolResponseBody,
});
const errorSchema = z.looseObject({
  type: z.enum(["error", "client_error"]),
  error_event: z
    .looseObject({
      code: z.union([z.number(), z.string()]).optional(),
      error_type: z.string().nullish(),
      message: z.string().nullish(),
      reason: z.string().nullish(),
    })
    .optional(),
});

/** Server frames the bridge acts on, after envelope validation. */
export type AgentMessage =
  | { kind: "metadata"; conversationId: string; outputFormat: string; inputFormat: string }
  | { kind: "audio"; audioBase64: string; eventId: number }
  | { kind: "ping"; eventId: number }
  | { kind: "interruption"; eventId?: number }
  | { kind: "user_transcript"; text: string; eventId?: number }
  | { kind: "agent_response"; text: string; eventId?: number }
  | { kind: "agent_response_correction"; original: string; corrected: string; eventId?: number }
  | { kind: "agent_response_complete"; eventId?: number }
  | { kind: "client_tool_call"; toolName: string; toolCallId: string; parameters: Record<string, unknown>; eventId?: number }
  | { kind: "agent_tool_response"; toolName: string; toolType?: string; isError: boolean; eventId?: number; fullResult?: string }
  | { kind: "error"; code?: number; errorType?: string; message?: string }
  /** Known-harmless events the bridge does not use (vad_score, tentative transcripts, …). */
  | { kind: "other"; type: string }
  | { kind: "ignored"; reason: string };

/** Events the server may send that need no action from a phone bridge. */
const PASSIVE_TYPES = new Set([
  "tentative_user_transcript",
  "vad_score",
  "agent_chat_response_part",
  "agent_tool_request",
  "agent_response_metadata",
  "internal_turn_probability",
  "internal_tentative_agent_response",
  "context_usage",
  "asr_initiation_metadata",
  "queue_status",
  "mcp_connection_status",
  "guardrail_triggered",
  "agent_reasoning_response_part",
]);

function safeType(type: unknown): string {
  return typeof type === "string" ? type.replace(/[^A-Za-z0-9_.-]/g, "").slice(0, 48) || "empty" : "missing";
}

function interpret(type: string, json: unknown): AgentMessage {
  switch (type) {
    case "conversation_initiation_metadata": {
      const m = metadataSchema.parse(json).conversation_initiation_metadata_event;
      return { kind: "metadata", conversationId: m.conversation_id, outputFormat: m.agent_output_audio_format, inputFormat: m.user_input_audio_format };
    }
    case "audio": {
      const a = audioSchema.parse(json).audio_event;
      return { kind: "audio", audioBase64: a.audio_base_64, eventId: a.event_id };
    }
    case "ping":
      return { kind: "ping", eventId: pingSchema.parse(json).ping_event.event_id };
    case "interruption":
      return { kind: "interruption", eventId: interruptionSchema.parse(json).interruption_event?.event_id };
    case "user_transcript": {
      const u = userTranscriptSchema.parse(json).user_transcription_event;
      return { kind: "user_transcript", text: u.user_transcript, eventId: u.event_id };
    }
    case "agent_response": {
      const r = agentResponseSchema.parse(json).agent_response_event;
      return { kind: "agent_response", text: r.agent_response, eventId: r.event_id };
    }
    case "agent_response_correction": {
      const c = correctionSchema.parse(json).agent_response_correction_event;
      return { kind: "agent_response_correction", original: c.original_agent_response, corrected: c.corrected_agent_response, eventId: c.event_id };
    }
    case "agent_response_complete":
      return { kind: "agent_response_complete", eventId: responseCompleteSchema.parse(json).agent_response_complete_event?.event_id };
    case "client_tool_call": {
      const t = clientToolCallSchema.parse(json).client_tool_call;
      return { kind: "client_tool_call", toolName: t.tool_name, toolCallId: t.tool_call_id, parameters: t.parameters, eventId: t.event_id };
    }
    case "agent_tool_response":
    case "agent_tool_response_full_payload": {
      const t =
        type === "agent_tool_response"
          ? agentToolResponseSchema.parse(json).agent_tool_response
          : agentToolFullSchema.parse(json).agent_tool_response_full_payload;
      return { kind: "agent_tool_response", toolName: t.tool_name, toolType: t.tool_type, isError: t.is_error ?? false, eventId: t.event_id, fullResult: t.full_tool_result };
    }
    case "error":
    case "client_error": {
      const e = errorSchema.parse(json).error_event;
      const code = e?.code === undefined ? undefined : Number(e.code);
      return { kind: "error", code: Number.isFinite(code) ? code : undefined, errorType: e?.error_type ?? undefined, message: e?.message ?? e?.reason ?? undefined };
    }
    default:
      return PASSIVE_TYPES.has(type) ? { kind: "other", type } : { kind: "ignored", reason: `unknown_type:${safeType(type)}` };
  }
}

/** Parses one server frame; never throws. Unusable frames come back as `{kind:"ignored", reason}`. */
export function parseAgentMessage(data: string): AgentMessage {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return { kind: "ignored", reason: "malformed_json" };
  }
  const type = (json as { type?: unknown } | null)?.type;
  if (typeof type !== "string") return { kind: "ignored", reason: "missing_type" };
  try {
    return interpret(type, json);
  } catch {
    return { kind: "ignored", reason: `invalid_${safeType(type)}` };
  }
}

// ---- client -> server -------------------------------------------------------------------------

export type DynamicVariables = Record<string, string | number | boolean>;

/** Only the override fields the bridge ever sets; each needs enabling in the agent's Security tab. */
export interface ConversationOverride {
  agent?: { prompt?: { prompt: string }; first_message?: string; language?: string };
  tts?: { voice_id: string };
}

export interface InitiationFrame {
  type: "conversation_initiation_client_data";
  dynamic_variables: DynamicVariables;
  conversation_config_override?: ConversationOverride;
}

/** The first client frame. `override` is left out entirely when it has no field. */
export function initiationFrame(dynamicVariables: DynamicVariables, override?: ConversationOverride): InitiationFrame {
  const frame: InitiationFrame = { type: "conversation_initiation_client_data", dynamic_variables: dynamicVariables };
  if (override && (override.agent || override.tts)) frame.conversation_config_override = override;
  return frame;
}

export function pong(eventId: number) {
  return { type: "pong" as const, event_id: eventId };
}

/** Raw bytes in the agent's user_input_audio_format; no `type` field, as the protocol wants. */
export function userAudioChunk(bytes: Uint8Array) {
  return { user_audio_chunk: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64") };
}

export function clientToolResult(toolCallId: string, result: string, isError = false) {
  return { type: "client_tool_result" as const, tool_call_id: toolCallId, result, is_error: isError };
}

export function userMessage(text: string) {
  return { type: "user_message" as const, text };
}
