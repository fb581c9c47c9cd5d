/** Frames the fake ElevenLabs server sends, shaped as in the Agents WebSocket contract (builders only). */
import type { AgentAudioFormat } from "../audio/agent-format.ts";

export function metadataFrame(conversationId: string, output: AgentAudioFormat, input: AgentAudioFormat) {
  return {
    type: "conversation_initiation_metadata",
    conversation_initiation_metadata_event: {
      conversation_id: conversationId,
      agent_output_audio_format: output,
      user_input_audio_format: input,
    },
  };
}

export function pingFrame(eventId: number, pingMs: number | null) {
  return { type: "ping", ping_event: { event_id: eventId, ping_ms: pingMs } };
}

export function audioFrame(bytes: Uint8Array, eventId: number) {
  return { type: "audio", audio_event: { audio_base_64: Buffer.from(bytes).toString("base64"), event_id: eventId } };
}

export function agentResponseFrame(text: string, eventId: number) {
  return { type: "agent_response", agent_response_event: { agent_response: text, event_id: eventId } };
}

export function agentResponseCorrectionFrame(original: string, corrected: string, eventId: number) {
  return {
    type: "agent_response_correction",
    agent_response_correction_event: { original_agent_response: original, corrected_agent_response: corrected, event_id: eventId },
  };
}

export function userTranscriptFrame(text: string, eventId: number) {
  return { type: "user_transcript", user_transcription_event: { user_transcript: text, event_id: eventId } };
}

export function interruptionFrame(eventId: number) {
  return { type: "interruption", interruption_event: { event_id: eventId } };
}

export function clientToolCallFrame(toolName: string, toolCallId: string, parameters: Record<string, unknown>, eventId: number) {
  return { type: "client_tool_call", client_tool_call: { tool_name: toolName, tool_call_id: toolCallId, parameters, event_id: eventId } };
}

export function agentToolResponseFrame(toolName: string, toolCallId: string, toolType: string, eventId: number, isError = false) {
  return {
    type: "agent_tool_response",
    agent_tool_response: { tool_name: toolName, tool_call_id: toolCallId, tool_type: toolType, is_error: isError, is_called: true, event_id: eventId },
  };
}

export function errorFrame(code: number, errorType: string, message?: string) {
  return { type: "error", error_event: { code, error_type: errorType, message: message ?? errorType, reason: message ?? errorType } };
}

/** Close codes of the contract, with the reason text the fake uses. */
export const CLOSE_REASONS: Record<number, string> = {
  1000: "Conversation ended",
  1002: "Protocol error",
  1008: "Policy violation",
  1011: "Internal error",
  3000: "Request error",
};
