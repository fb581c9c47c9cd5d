/**
 * fast-check arbitraries of ElevenLabs server frames: every event the service sends, with random
 * values, and junk (mutated events, broken audio, text that is not JSON, binary frames) that must
 * change nothing a caller notices.
 */
import fc from "fast-check";
import { SERVER_EVENT_EXAMPLES } from "../../src/sim/fake-agent-server.ts";
import { giantString, junkValue, mutated, notAnObject } from "./json-mutations.ts";

/** An event_id as the service sends it (a number; digit strings are tolerated). */
export const eventIdValue = (id: number, asString: boolean): number | string => (asString ? String(id) : id);

/** One agent audio frame. */
export function agentAudioFrame(bytes: Uint8Array, eventId: number | string): string {
  return JSON.stringify({ type: "audio", audio_event: { audio_base_64: bytes.toBase64(), event_id: eventId } });
}

/** An interruption; without an id it interrupts the turn playing (an older shape). */
export function interruptionFrame(eventId: number | undefined): string {
  return JSON.stringify({ type: "interruption", interruption_event: eventId === undefined ? { reason: "user" } : { event_id: eventId } });
}

/** Every example event of the schema, for mutation. */
export const serverEvents: fc.Arbitrary<object> = fc.constantFrom(...Object.values(SERVER_EVENT_EXAMPLES));

/** Values that are not an event_id: the parser must not read a number out of them. */
const notAnEventId = fc.constantFrom<unknown>(null, true, false, {}, [], [1], "", " ", "abc", "NaN", "1e400", "Infinity", "0x", "1 2");

/** Audio frames the caller must not hear: a payload that is not base64 or not a string, an event_id that is not a number, no audio_event. */
export const unusableAudio: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.string({ maxLength: 40 }), fc.constantFrom("*", "!", "%", "{", "é"), fc.nat()).map(([text, bad, id]) => JSON.stringify({ type: "audio", audio_event: { audio_base_64: `${text}${bad}`, event_id: id } })),
  fc.tuple(junkValue.filter((v) => typeof v !== "string"), fc.nat()).map(([payload, id]) => JSON.stringify({ type: "audio", audio_event: { audio_base_64: payload, event_id: id } })),
  fc.tuple(fc.uint8Array({ maxLength: 200 }), notAnEventId).map(([bytes, id]) => JSON.stringify({ type: "audio", audio_event: { audio_base_64: bytes.toBase64(), event_id: id } })),
  junkValue.filter((v) => v === null || typeof v !== "object" || Array.isArray(v)).map((event) => JSON.stringify({ type: "audio", audio_event: event })),
);

/** Types whose frames change what the caller hears or end the call: not junk. */
const AUDIBLE_TYPES = new Set(["audio", "interruption"]);
const TOOL_TYPES = new Set(["client_tool_call", "agent_tool_response", "agent_tool_response_full_payload"]);
const ENDING_TOOLS = /end_call|transfer_call|transfer_to_number/;

/** Whether a frame (by its raw JSON, independently of the gateway's parser) may play audio, interrupt, end or transfer the call. */
function consequential(text: string): boolean {
  try {
    const type = (JSON.parse(text) as { type?: unknown } | null)?.type;
    return typeof type === "string" && (AUDIBLE_TYPES.has(type) || (TOOL_TYPES.has(type) && ENDING_TOOLS.test(text)));
  } catch {
    return false;
  }
}

/**
 * What a healthy call must take in its stride from the agent: mutated events of every kind (but
 * none that plays, interrupts, ends or transfers), broken audio frames, unknown types, text that is
 * not JSON, deep nesting, giant strings and binary frames.
 */
export const agentJunk: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  { weight: 3, arbitrary: serverEvents.chain((event) => mutated(event)).map((frame) => JSON.stringify(frame)).filter((text) => !consequential(text)) },
  { weight: 2, arbitrary: serverEvents.map((event) => JSON.stringify(event)).filter((text) => !consequential(text)) },
  { weight: 2, arbitrary: unusableAudio },
  { weight: 1, arbitrary: fc.record({ type: fc.string({ maxLength: 40 }), data: junkValue }).map((f) => JSON.stringify(f)).filter((text) => !consequential(text)) },
  { weight: 2, arbitrary: notAnObject },
  { weight: 1, arbitrary: giantString(60_000).map((big) => JSON.stringify({ type: "agent_response", agent_response_event: { agent_response: big, event_id: 1 } })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 400 }) },
);
