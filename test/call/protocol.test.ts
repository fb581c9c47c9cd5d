/** Wire layers: lenient Mcube envelopes, call-context sources, agent frames, and failure classification. */
import { describe, expect, test } from "bun:test";
import { parseMcubeFrame, playAudio, transfer, terminate } from "../../src/telephony/mcube-protocol.ts";
import { contextSources, extractCallContext, parseExtraHeaders } from "../../src/telephony/call-context.ts";
import { parseAgentMessage } from "../../src/agent/elevenlabs-protocol.ts";
import { classifyAgentError, classifyClose, classifyHandshake, classifyRestFailure } from "../../src/agent/agent-errors.ts";
import { publicConversationUrl } from "../../src/agent/elevenlabs-client.ts";
import { botOverride } from "../../src/call/conversation-start.ts";
import { botFor } from "./harness.ts";

describe("Mcube frames", () => {
  test("numbers as strings, played/playedStream, binary = raw audio", () => {
    const media = parseMcubeFrame(JSON.stringify({ event: "media", sequenceNumber: "12", media: { timestamp: "40", chunk: "2", payload: Buffer.from([1, 2, 3]).toString("base64") } }));
    expect(media).toEqual({ kind: "media", payload: Buffer.from([1, 2, 3]) });
    expect(parseMcubeFrame('{"event":"played","name":"turn-1"}')).toEqual({ kind: "played", name: "turn-1" });
    expect(parseMcubeFrame('{"event":"playedStream","streamId":"s","name":7}')).toEqual({ kind: "played", name: "7" });
    expect(parseMcubeFrame('{"event":"dtmf","dtmf":{"digit":5}}')).toEqual({ kind: "dtmf", digit: "5" });
    expect(parseMcubeFrame(new Uint8Array([9, 9]))).toEqual({ kind: "media", payload: new Uint8Array([9, 9]) });
    const start = parseMcubeFrame('{"event":"start","sequenceNumber":"1","start":{"callId":123,"streamId":"s1","mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":"8000"}}}');
    expect(start.kind).toBe("start");
    if (start.kind === "start") expect(start.frame.start.callId).toBe("123");
  });

  test("unusable frames are named for once-per-kind logging", () => {
    expect(parseMcubeFrame("nope")).toEqual({ kind: "ignored", reason: "malformed_json" });
    expect(parseMcubeFrame("[1]")).toEqual({ kind: "ignored", reason: "not_an_object" });
    expect(parseMcubeFrame('{"event":"weird<script>"}')).toEqual({ kind: "ignored", reason: "unknown_event:weirdscript" });
    expect(parseMcubeFrame('{"event":"media","media":{}}')).toEqual({ kind: "ignored", reason: "invalid_media" });
    expect(parseMcubeFrame('{"event":"start"}')).toEqual({ kind: "ignored", reason: "invalid_start" });
  });

  test("commands: one contentType and rate; transfer/terminate shapes from config", () => {
    expect(playAudio("s", new Uint8Array([0xff, 0x7f]))).toEqual({ event: "playAudio", streamId: "s", media: { contentType: "audio/x-mulaw", sampleRate: 8000, payload: "/38=" } });
    const shapes = { transferEvent: "xfer", transferNumberField: "to", terminateEvent: "bye" };
    expect(transfer(shapes, "s", "9876543210")).toEqual({ event: "xfer", streamId: "s", to: "9876543210" });
    expect(terminate(shapes, "s")).toEqual({ event: "bye", streamId: "s" });
  });
});

describe("call context", () => {
  test("extra_headers as object, JSON string, or k=v split by ; or ,", () => {
    expect(parseExtraHeaders({ "X-DID": "1" })).toEqual({ "X-DID": "1" });
    expect(parseExtraHeaders('{"X-DID":"2"}')).toEqual({ "X-DID": "2" });
    expect(parseExtraHeaders("X-DID=3; X-BID=4,X-CustName=Ravi Kumar")).toEqual({ "X-DID": "3", "X-BID": "4", "X-CustName": "Ravi Kumar" });
    expect(parseExtraHeaders("{broken")).toEqual({});
    expect(parseExtraHeaders(42)).toEqual({});
  });

  test("case-insensitive, first found wins: upgrade → customParameters → headers → extra_headers", () => {
    const start: any = {
      event: "start",
      start: { callId: "c", streamId: "s", customParameters: { "x-bid": "from-params", "X-DID": "" }, headers: { "X-Agent-Id": "from-start-headers", "X-DID": "222" } },
      extra_headers: "X-CustName=Asha;X-BID=from-extra;X-CustNumber=333",
    };
    const context = extractCallContext(contextSources(new Headers({ "X-DID": "111" }), start));
    expect(context).toEqual({ did: "111", businessId: "from-params", agentId: "from-start-headers", customerName: "Asha", customerNumber: "333" });
  });
});

describe("agent frames", () => {
  test("audio, interruption, tools and errors are read leniently", () => {
    expect(parseAgentMessage('{"type":"audio","audio_event":{"audio_base_64":"AAA=","event_id":"4"}}')).toEqual({ kind: "audio", audioBase64: "AAA=", eventId: 4 });
    expect(parseAgentMessage('{"type":"interruption","interruption_event":{"reason":"legacy"}}')).toEqual({ kind: "interruption", eventId: undefined });
    expect(parseAgentMessage('{"type":"agent_tool_response_full_payload","agent_tool_response_full_payload":{"tool_name":"transfer_to_number","tool_type":"system","is_error":false,"full_tool_result":"{\\"transfer_number\\":\\"+919876543210\\"}"}}')).toMatchObject({ kind: "agent_tool_response", toolName: "transfer_to_number", fullResult: '{"transfer_number":"+919876543210"}' });
    expect(parseAgentMessage('{"type":"error","error_event":{"code":1008,"error_type":"override_error"}}')).toEqual({ kind: "error", code: 1008, errorType: "override_error", message: undefined });
    expect(parseAgentMessage('{"type":"vad_score","vad_score_event":{"vad_score":0.2}}')).toEqual({ kind: "other", type: "vad_score" });
    expect(parseAgentMessage('{"type":"brand_new"}')).toEqual({ kind: "ignored", reason: "unknown_type:brand_new" });
    expect(parseAgentMessage('{"type":"audio","audio_event":{}}')).toEqual({ kind: "ignored", reason: "invalid_audio" });
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
  test("settings errors are fatal with a fix; transient ones are retryable", () => {
    expect(classifyRestFailure({ statusCode: 401 }, "a")).toMatchObject({ code: "upstream_auth", retryable: false });
    expect(classifyRestFailure({ statusCode: 404 }, "a")).toMatchObject({ code: "upstream_agent_not_found", retryable: false });
    expect(classifyRestFailure({ statusCode: 503 }, "a")).toMatchObject({ code: "upstream_unavailable", retryable: true });
    expect(classifyHandshake(403, "a", true)).toMatchObject({ code: "upstream_auth", retryable: true }); // refused signed URL: one fresh try
    expect(classifyHandshake(403, "a", false)).toMatchObject({ code: "upstream_auth", retryable: false });
    expect(classifyAgentError("override_error", "x", 1008)).toMatchObject({ code: "upstream_override", retryable: false });
    expect(classifyAgentError("missing_dynamic_variable", "x", 1008)).toMatchObject({ code: "upstream_dynamic_variable", retryable: false });
    expect(classifyAgentError("llm_timeout", undefined, 1002)).toMatchObject({ code: "upstream_unavailable", retryable: true });
    expect(classifyClose(3000, "Request error", false)).toMatchObject({ code: "upstream_agent_not_found", retryable: false });
    expect(classifyClose(3000, "Request error", true)).toMatchObject({ retryable: true });
    expect(classifyClose(1008, "Invalid or expired conversation signature", false)).toMatchObject({ retryable: true });
    for (const err of [classifyRestFailure({ statusCode: 401 }, "a"), classifyAgentError("override_error", "", 1008)]) expect(err.fix).toBeTruthy();
  });
});
