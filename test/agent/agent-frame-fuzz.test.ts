/** Property-based tests of the ElevenLabs frame parser: whatever the service sends, it never throws and what it returns is what the call relies on. */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { parseAgentFrame, type AgentInbound } from "../../src/agent/elevenlabs-protocol.ts";
import { agentAudioFrame, agentJunk, eventIdValue, interruptionFrame, serverEvents, unusableAudio } from "../helpers/agent-frame-arbitraries.ts";
import { fuzz } from "../helpers/fuzz.ts";
import { SERVER_EVENT_EXAMPLES } from "../../src/sim/fake-agent-server.ts";
import { mutated, notAnObject } from "../helpers/json-mutations.ts";

const optional = (type: "string" | "boolean") => (v: unknown) => v === undefined || typeof v === type;
const optionalId = (v: unknown) => v === undefined || (typeof v === "number" && Number.isFinite(v));
const id = (v: unknown) => typeof v === "number" && Number.isFinite(v);

/** Frame types the parser knows: only these may name an `invalid_<type>` reason. */
const KNOWN_TYPES = new Set([...Object.keys(SERVER_EVENT_EXAMPLES), "client_error", "agent_response_metadata"]);

/** Reasons become log keys and, before the colon, metric labels: short, printable, and the label from a bounded set. */
function usableReason(reason: string): boolean {
  const [label, detail] = reason.split(":", 2) as [string, string | undefined];
  const boundedLabel = ["malformed_json", "not_an_object", "missing_type", "unknown_type"].includes(label) || (label.startsWith("invalid_") && KNOWN_TYPES.has(label.slice(8)));
  return boundedLabel && (detail === undefined || /^[A-Za-z0-9_.-]{1,48}$/.test(detail));
}

/** Per kind, the fields AgentInbound promises and a check of each (the leg and the call use them unchecked). */
const FIELDS: Record<string, Record<string, (v: unknown) => boolean>> = {
  metadata: { conversationId: (v) => typeof v === "string", outputFormat: (v) => typeof v === "string", inputFormat: (v) => typeof v === "string" },
  audio: { audioBase64: (v) => typeof v === "string", eventId: id },
  ping: { eventId: id },
  interruption: { eventId: optionalId },
  user_transcript: { text: (v) => typeof v === "string", eventId: optionalId },
  agent_response: { text: (v) => typeof v === "string", eventId: optionalId },
  agent_response_correction: { original: (v) => typeof v === "string", corrected: (v) => typeof v === "string", eventId: optionalId },
  agent_response_complete: { eventId: optionalId },
  client_tool_call: { toolName: (v) => typeof v === "string", toolCallId: (v) => typeof v === "string", parameters: (v) => v !== null && typeof v === "object" && !Array.isArray(v), eventId: optionalId },
  agent_tool_response: { toolName: (v) => typeof v === "string", toolCallId: optional("string"), toolType: optional("string"), isError: (v) => typeof v === "boolean", eventId: optionalId, fullResult: optional("string") },
  mcp_tool_call: { toolCallId: (v) => typeof v === "string", toolName: (v) => typeof v === "string", serviceId: optional("string"), state: (v) => typeof v === "string" },
  dtmf_request: { digits: optional("string"), eventId: optionalId },
  queue_status: { status: (v) => typeof v === "string" },
  error: { code: optionalId, errorType: optional("string"), message: optional("string"), debugMessage: optional("string"), reason: optional("string") },
  passive: { type: (v) => typeof v === "string" },
  ignored: { reason: (v) => typeof v === "string" && usableReason(v) },
};

/** The fields that break their promise, by name (empty when the frame is usable). */
function broken(result: AgentInbound): string[] {
  const fields = FIELDS[result.kind];
  if (!fields) return [`kind ${result.kind}`];
  const record = result as unknown as Record<string, unknown>;
  const bad = Object.entries(fields).filter(([name, ok]) => !ok(record[name])).map(([name]) => `${result.kind}.${name}=${JSON.stringify(record[name])?.slice(0, 60)}`);
  const extra = Object.keys(record).filter((key) => key !== "kind" && !(key in fields));
  return [...bad, ...extra.map((key) => `${result.kind} has unexpected ${key}`)];
}

function decodes(base64: string): boolean {
  try {
    Uint8Array.fromBase64(base64);
    return true;
  } catch {
    return false;
  }
}

describe("parseAgentFrame under fuzzing", () => {
  test("whatever text arrives, it returns a frame of the promised shape and never throws", async () => {
    const anything = fc.oneof(
      notAnObject,
      fc.json({ maxDepth: 4 }),
      serverEvents.chain((event) => mutated(event)).map((frame) => JSON.stringify(frame)),
      agentJunk.filter((data): data is string => typeof data === "string"),
      unusableAudio,
    );
    await fuzz("parseAgentFrame: any text", anything, (text) => expect(broken(parseAgentFrame(text))).toEqual([]), { numRuns: 2500, budgetMs: 8000 });
  }, 30_000);

  test("audio and interruptions carry their bytes and ids, numbers or digit strings; unusable audio is ignored", async () => {
    const cases = fc.oneof(
      fc.tuple(fc.uint8Array({ maxLength: 600 }), fc.integer({ min: -5, max: 2 ** 40 }), fc.boolean()).map(([bytes, eventId, asString]) => ({
        text: agentAudioFrame(bytes, eventIdValue(eventId, asString)),
        expected: { kind: "audio", audioBase64: bytes.toBase64(), eventId } as AgentInbound,
      })),
      fc.tuple(fc.option(fc.nat(), { nil: undefined }), fc.boolean()).map(([eventId, asString]) => ({
        text: eventId === undefined ? interruptionFrame(undefined) : JSON.stringify({ type: "interruption", interruption_event: { event_id: eventIdValue(eventId, asString) } }),
        expected: { kind: "interruption", eventId } as AgentInbound,
      })),
      unusableAudio.map((text) => ({ text, expected: { kind: "ignored" } as AgentInbound })),
    );
    await fuzz("parseAgentFrame: audio and interruptions", cases, ({ text, expected }) => {
      const parsed = parseAgentFrame(text);
      // Unusable audio is ignored here, or its base64 fails to decode at the leg (which then ignores it).
      if (expected.kind === "ignored") expect(parsed.kind === "ignored" || (parsed.kind === "audio" && !decodes(parsed.audioBase64))).toBe(true);
      else expect(parsed).toEqual(expected);
    }, { numRuns: 1500, budgetMs: 4000 });
  }, 30_000);
});
