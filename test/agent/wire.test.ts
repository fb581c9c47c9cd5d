/** The ElevenLabs wire: every official server event is understood, client frames match the official shapes, failures are classified. */
import { describe, expect, test } from "bun:test";
import type * as Official from "@elevenlabs/types";
import { initiationFrame, parseAgentFrame, userAudioChunk, pong, clientToolResult, userMessage, contextualUpdate, mcpToolApprovalResult } from "../../src/agent/elevenlabs-protocol.ts";
import { classifyAgentError, classifyClose, classifyHandshake, classifyRestFailure } from "../../src/agent/agent-errors.ts";
import { publicConversationUrl } from "../../src/agent/elevenlabs-client.ts";
import { botOverride } from "../../src/call/conversation-start.ts";
import { botFor } from "../call/harness.ts";

/** One example of every server event the official schema describes, typed by it (tsc checks the shapes). */
const OFFICIAL_EXAMPLES: { type: string; frame: object; kind: string }[] = [
  { type: "conversation_initiation_metadata", kind: "metadata", frame: { type: "conversation_initiation_metadata", conversation_initiation_metadata_event: { conversation_id: "conv_1", agent_output_audio_format: "pcm_16000", user_input_audio_format: "ulaw_8000" } } satisfies Official.ConversationMetadata },
  { type: "audio", kind: "audio", frame: { type: "audio", audio_event: { audio_base_64: "AAA=", event_id: 3, alignment: { chars: ["a"], char_start_times_ms: [0], char_durations_ms: [10] } } } satisfies Official.AudioClientEvent },
  { type: "ping", kind: "ping", frame: { type: "ping", ping_event: { event_id: 7, ping_ms: 40 } } satisfies Official.Ping },
  { type: "interruption", kind: "interruption", frame: { type: "interruption", interruption_event: { event_id: 4 } } satisfies Official.Interruption },
  { type: "user_transcript", kind: "user_transcript", frame: { type: "user_transcript", user_transcription_event: { user_transcript: "hello", event_id: 5 } } satisfies Official.UserTranscriptionClientEvent },
  { type: "tentative_user_transcript", kind: "passive", frame: { type: "tentative_user_transcript", tentative_user_transcription_event: { user_transcript: "hel", event_id: 5 } } satisfies Official.TentativeUserTranscriptionClientEvent },
  { type: "agent_response", kind: "agent_response", frame: { type: "agent_response", agent_response_event: { agent_response: "Hi", event_id: 6 } } satisfies Official.AgentResponseClientEvent },
  { type: "agent_response_correction", kind: "agent_response_correction", frame: { type: "agent_response_correction", agent_response_correction_event: { original_agent_response: "Hi there", corrected_agent_response: "Hi", event_id: 6 } } satisfies Official.AgentResponseCorrectionClientEvent },
  { type: "agent_chat_response_part", kind: "passive", frame: { type: "agent_chat_response_part", text_response_part: { text: "Hi", type: "delta", event_id: 6 } } satisfies Official.AgentChatResponsePartClientEvent },
  { type: "agent_reasoning_response_part", kind: "passive", frame: { type: "agent_reasoning_response_part", reasoning_response_part: { text: "…", type: "start", event_id: "6" } } as Official.AgentReasoningResponsePartClientEvent },
  { type: "client_tool_call", kind: "client_tool_call", frame: { type: "client_tool_call", client_tool_call: { tool_name: "end_call", tool_call_id: "t1", parameters: {}, event_id: 6 } } satisfies Official.ClientToolCallClientEvent },
  { type: "agent_tool_request", kind: "passive", frame: { type: "agent_tool_request", agent_tool_request: { tool_name: "end_call", tool_call_id: "t2", tool_type: "system", event_id: 6 } } satisfies Official.AgentToolRequestClientEvent },
  { type: "agent_tool_response", kind: "agent_tool_response", frame: { type: "agent_tool_response", agent_tool_response: { tool_name: "end_call", tool_call_id: "t2", tool_type: "system", is_error: false, is_called: true, event_id: 6 } } satisfies Official.AgentToolResponseClientEvent },
  { type: "agent_tool_response_full_payload", kind: "agent_tool_response", frame: { type: "agent_tool_response_full_payload", agent_tool_response_full_payload: { tool_name: "transfer_to_number", tool_call_id: "t3", tool_type: "system", is_error: false, is_called: true, event_id: 6, full_tool_result: '{"transfer_number":"+919876543210"}' } } satisfies Official.AgentToolResponseFullPayloadClientEvent },
  { type: "mcp_tool_call", kind: "mcp_tool_call", frame: { type: "mcp_tool_call", mcp_tool_call: { service_id: "svc", tool_call_id: "m1", tool_name: "lookup", parameters: {}, timestamp: "2026-12-01T00:00:00Z", state: "awaiting_approval", approval_timeout_secs: 300 } } satisfies Official.McpToolCallClientEvent },
  { type: "mcp_connection_status", kind: "passive", frame: { type: "mcp_connection_status", mcp_connection_status: { integrations: [{ integration_id: "i", integration_type: "mcp_server", is_connected: true, tool_count: 2 }] } } satisfies Official.McpConnectionStatusClientEvent },
  { type: "vad_score", kind: "passive", frame: { type: "vad_score", vad_score_event: { vad_score: 0.4 } } satisfies Official.VadScoreClientEvent },
  { type: "context_usage", kind: "passive", frame: { type: "context_usage", context_usage_event: { event_id: 6, model: "m", context_tokens: 10, context_limit_tokens: 100 } } satisfies Official.ContextUsageClientEvent },
  { type: "asr_initiation_metadata", kind: "passive", frame: { type: "asr_initiation_metadata", asr_initiation_metadata_event: {} } satisfies Official.AsrInitiationMetadataEvent },
  { type: "guardrail_triggered", kind: "passive", frame: { type: "guardrail_triggered" } satisfies Official.GuardrailTriggeredClientEvent },
  { type: "internal_turn_probability", kind: "passive", frame: { type: "internal_turn_probability", turn_probability_internal_event: { turn_probability: 0.5 } } satisfies Official.TurnProbabilityInternalClientEvent },
  { type: "internal_tentative_agent_response", kind: "passive", frame: { type: "internal_tentative_agent_response", tentative_agent_response_internal_event: { tentative_agent_response: "Hi" } } satisfies Official.TentativeAgentResponseInternalClientEvent },
  { type: "agent_typing", kind: "passive", frame: { type: "agent_typing", agent_typing_event: { is_typing: true } } satisfies Official.AgentTypingClientEvent },
  { type: "rich_content", kind: "passive", frame: { type: "rich_content", rich_content: { rich_content_id: "r", component: "card", props: {}, event_id: 6 } } satisfies Official.RichContentClientEvent },
  { type: "external_agent_connected", kind: "passive", frame: { type: "external_agent_connected", external_agent_connected_event: {} } satisfies Official.ExternalAgentConnectedClientEvent },
  { type: "external_agent_disconnected", kind: "passive", frame: { type: "external_agent_disconnected" } satisfies Official.ExternalAgentDisconnectedClientEvent },
  { type: "error", kind: "error", frame: { type: "error", error_event: { code: 1008 } } satisfies Official.ErrorClientEvent },
  // Seen from the service without a published schema (unconfirmed shapes).
  { type: "agent_response_complete", kind: "agent_response_complete", frame: { type: "agent_response_complete", agent_response_complete_event: { event_id: 6 } } },
  { type: "queue_status", kind: "queue_status", frame: { type: "queue_status", queue_status_event: { status: "waiting" } } },
  { type: "dtmf_request", kind: "dtmf_request", frame: { type: "dtmf_request", dtmf_request_event: { digits: "12", event_id: 6 } } },
  { type: "agent_response_metadata", kind: "passive", frame: { type: "agent_response_metadata" } },
];

describe("server events", () => {
  test("every official event is understood: none is reported unknown", () => {
    for (const { type, frame, kind } of OFFICIAL_EXAMPLES) {
      const parsed = parseAgentFrame(JSON.stringify(frame));
      expect({ type, kind: parsed.kind as string }).toEqual({ type, kind });
    }
  });

  test("fields are read as the official schema names them", () => {
    const parse = (i: number) => parseAgentFrame(JSON.stringify(OFFICIAL_EXAMPLES[i]!.frame));
    expect(parse(0)).toEqual({ kind: "metadata", conversationId: "conv_1", outputFormat: "pcm_16000", inputFormat: "ulaw_8000" });
    expect(parse(1)).toEqual({ kind: "audio", audioBase64: "AAA=", eventId: 3 });
    expect(parse(13)).toMatchObject({ kind: "agent_tool_response", toolName: "transfer_to_number", toolType: "system", fullResult: '{"transfer_number":"+919876543210"}' });
    expect(parse(14)).toEqual({ kind: "mcp_tool_call", toolCallId: "m1", toolName: "lookup", serviceId: "svc", state: "awaiting_approval" });
  });

  test("an error frame with only its code is read; message and debug_message are kept when present", () => {
    expect(parseAgentFrame('{"type":"error","error_event":{"code":1008}}')).toEqual({ kind: "error", code: 1008, errorType: undefined, message: undefined, debugMessage: undefined, reason: undefined });
    expect(parseAgentFrame('{"type":"error","error_event":{"code":1002,"error_type":"llm_timeout","message":"LLM took too long","debug_message":"upstream 504"}}')).toMatchObject({ message: "LLM took too long", debugMessage: "upstream 504" });
  });

  test("lenient where the service has varied: string ids, legacy interruption, and unusable frames named", () => {
    expect(parseAgentFrame('{"type":"audio","audio_event":{"audio_base_64":"AAA=","event_id":"4"}}')).toEqual({ kind: "audio", audioBase64: "AAA=", eventId: 4 });
    expect(parseAgentFrame('{"type":"interruption","interruption_event":{"reason":"legacy"}}')).toEqual({ kind: "interruption", eventId: undefined });
    expect(parseAgentFrame('{"type":"brand_new"}')).toEqual({ kind: "ignored", reason: "unknown_type:brand_new" });
    expect(parseAgentFrame('{"type":"audio","audio_event":{}}')).toEqual({ kind: "ignored", reason: "invalid_audio" });
    expect(parseAgentFrame("{oops")).toEqual({ kind: "ignored", reason: "malformed_json" });
    expect(parseAgentFrame('{"x":1}')).toEqual({ kind: "ignored", reason: "missing_type" });
  });
});

describe("client frames", () => {
  test("match the official shapes (the builders are typed by them; the audio text is the UserAudio JSON)", () => {
    expect(JSON.parse(userAudioChunk("AAA="))).toEqual({ user_audio_chunk: "AAA=" } satisfies Official.UserAudio);
    expect(JSON.parse(pong(3))).toEqual({ type: "pong", event_id: 3 } satisfies Official.Pong);
    expect(JSON.parse(clientToolResult("t", "ok"))).toEqual({ type: "client_tool_result", tool_call_id: "t", result: "ok", is_error: false } satisfies Official.ClientToolResult);
    expect(JSON.parse(userMessage("1"))).toEqual({ type: "user_message", text: "1" } satisfies Official.UserMessage);
    expect(JSON.parse(contextualUpdate("so far"))).toEqual({ type: "contextual_update", text: "so far" } satisfies Official.ContextualUpdate);
    expect(JSON.parse(mcpToolApprovalResult("m", false))).toEqual({ type: "mcp_tool_approval_result", tool_call_id: "m", is_approved: false } satisfies Official.McpToolApprovalResult);
    expect(initiationFrame({ a: "1" })).toEqual({ type: "conversation_initiation_client_data", dynamic_variables: { a: "1" } } satisfies Official.ConversationInitiation);
  });

  test("public URL from the REST base: https → wss, http → ws", () => {
    expect(publicConversationUrl("https://api.in.residency.elevenlabs.io", "agent_1")).toBe("wss://api.in.residency.elevenlabs.io/v1/convai/conversation?agent_id=agent_1");
    expect(publicConversationUrl("http://127.0.0.1:8080", "a b")).toBe("ws://127.0.0.1:8080/v1/convai/conversation?agent_id=a+b");
  });

  test("overrides only for fields the bot sets (empty strings are unset)", () => {
    expect(botOverride(botFor({}))).toBeUndefined();
    expect(botOverride(botFor({ prompt: "Be brief", language: "hi", firstMessage: "" }))).toEqual({ agent: { prompt: { prompt: "Be brief" }, language: "hi" } });
  });
});

describe("failure classification", () => {
  test("settings errors are fatal with a fix; transient ones are retryable; a cancel (3000) and a busy service (3008) are worth another try", () => {
    expect(classifyRestFailure({ statusCode: 401 }, "a")).toMatchObject({ code: "upstream_auth", retryable: false });
    expect(classifyRestFailure({ statusCode: 404 }, "a")).toMatchObject({ code: "upstream_agent_not_found", retryable: false });
    expect(classifyRestFailure({ statusCode: 503 }, "a")).toMatchObject({ code: "upstream_unavailable", retryable: true });
    expect(classifyHandshake(403, "a", true)).toMatchObject({ code: "upstream_auth", retryable: true }); // refused signed URL: one fresh try
    expect(classifyHandshake(403, "a", false)).toMatchObject({ code: "upstream_auth", retryable: false });
    expect(classifyAgentError("override_error", "x", 1008)).toMatchObject({ code: "upstream_override", retryable: false });
    expect(classifyAgentError("missing_dynamic_variable", "x", 1008)).toMatchObject({ code: "upstream_dynamic_variable", retryable: false });
    expect(classifyAgentError("llm_timeout", undefined, 1002)).toMatchObject({ code: "upstream_unavailable", retryable: true });
    expect(classifyClose(3000, "Request error", false)).toMatchObject({ code: "upstream_unavailable", retryable: true, retryAfterMs: undefined });
    expect(classifyClose(3008, "too many concurrent connections", true)).toMatchObject({ code: "upstream_unavailable", retryable: true, retryAfterMs: 500 });
    expect(classifyClose(1008, "Invalid or expired conversation signature", false)).toMatchObject({ retryable: true });
    for (const err of [classifyRestFailure({ statusCode: 401 }, "a"), classifyAgentError("override_error", "", 1008)]) expect(err.fix).toBeTruthy();
  });
});
