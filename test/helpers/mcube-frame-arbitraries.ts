/**
 * fast-check arbitraries of Mcube frames: valid ones in the representations the gateway accepts
 * (numbers for strings, extra and null fields), each with what it must mean, and junk that must
 * change nothing.
 */
import fc from "fast-check";
import { giantString, junkValue, mutated, notAnObject, smallJunkValue } from "./json-mutations.ts";

/** A field Mcube may send as a string or a number. */
export const stringOrNumber: fc.Arbitrary<string | number> = fc.oneof(fc.string({ maxLength: 24 }), fc.integer(), fc.constantFrom("0", "", " ", "s-1"));

/** Fields the bridge does not read, with any value (Mcube adds fields; Plivo sends timestamps as strings). */
const extraFields: fc.Arbitrary<Record<string, unknown>> = fc.dictionary(fc.constantFrom("sequenceNumber", "streamId", "timestamp", "chunk", "x", "accountSid"), smallJunkValue, { maxKeys: 3 });

/** Tracks that carry the caller's audio (Plivo: inbound; no track at all is the caller's too). */
export const CALLER_TRACKS = [undefined, null, "inbound", "inbound_track"] as const;

export type CallerTrack = (typeof CALLER_TRACKS)[number];

/** A media frame of caller audio: `bytes` is what must reach the agent. */
export interface CallerMediaFrame {
  bytes: Uint8Array;
  text: string;
}

/** A valid media frame on the caller's track, base64 of `bytes` (up to `maxBytes`, or as `audio` makes them), with extra fields. */
export function callerMedia(audio: number | fc.Arbitrary<Uint8Array>): fc.Arbitrary<CallerMediaFrame> {
  return fc.record({ bytes: typeof audio === "number" ? fc.uint8Array({ maxLength: audio }) : audio, track: fc.constantFrom(...CALLER_TRACKS), extra: extraFields, inner: extraFields }).map(({ bytes, track, extra, inner }) => {
    const media: Record<string, unknown> = { ...inner, payload: bytes.toBase64() };
    if (track !== undefined) media.track = track;
    return { bytes, text: JSON.stringify({ ...extra, event: "media", media }) };
  });
}

/** A media frame the agent must not hear: another track (what the caller hears, forked), a payload that is not base64 or not a string. */
export const unusableMedia: fc.Arbitrary<string> = fc.oneof(
  fc.record({ track: fc.constantFrom("outbound", "outbound_track", "both", 7, "INBOUND"), bytes: fc.uint8Array({ maxLength: 320 }) }).map(({ track, bytes }) =>
    JSON.stringify({ event: "media", media: { track, payload: bytes.toBase64() } }),
  ),
  fc.tuple(fc.string({ maxLength: 40 }), fc.constantFrom("*", "!", "-", "_", "%", "{", "é")).map(([text, bad]) => JSON.stringify({ event: "media", media: { payload: `${text}${bad}${text}` } })),
  junkValue.filter((v) => typeof v !== "string").map((payload) => JSON.stringify({ event: "media", media: { payload } })),
  junkValue.filter((v) => v === null || typeof v !== "object" || Array.isArray(v)).map((media) => JSON.stringify({ event: "media", media })),
);

/** A key press as Mcube sends it; `digit` is what the agent must be told. */
export const dtmfFrame: fc.Arbitrary<{ digit: string; text: string }> = fc
  .record({ digit: fc.oneof(fc.constantFrom(..."0123456789*#"), fc.integer({ min: 0, max: 9 })), extra: extraFields })
  .map(({ digit, extra }) => ({ digit: String(digit), text: JSON.stringify({ ...extra, event: "dtmf", dtmf: { digit, track: "inbound" } }) }));

/** `start` with the fields in any accepted representation (the first one starts the call; later ones are ignored). */
export const startFrame: fc.Arbitrary<Record<string, unknown>> = fc
  .record({
    callId: stringOrNumber,
    streamId: stringOrNumber,
    mediaFormat: fc.option(fc.record({ encoding: fc.constantFrom("audio/x-mulaw", "audio/x-l16", "audio/opus", 5), sampleRate: fc.constantFrom(8000, 16000, "8000", 44100) }), { nil: undefined }),
    customParameters: fc.option(fc.dictionary(fc.constantFrom("X-DID", "x-bid", "X-CustNumber", "__proto__", "k"), junkValue, { maxKeys: 3 }), { nil: undefined }),
    extra_headers: fc.option(fc.oneof(fc.string({ maxLength: 60 }), fc.constant("X-DID=1;X-BID=2"), fc.dictionary(fc.string({ maxLength: 8 }), junkValue, { maxKeys: 2 })), { nil: undefined }),
  })
  .map(({ extra_headers, ...start }) => ({ event: "start", sequenceNumber: 1, start: JSON.parse(JSON.stringify(start)), ...(extra_headers === undefined ? {} : { extra_headers }) }));

/** An acknowledgement of a checkpoint named `name` (Mcube's playedStream, or Plivo's older `played`). */
export const ackFrame = (name: string | number, event: "playedStream" | "played" = "playedStream"): string => JSON.stringify({ event, streamId: "s", name });

/** Frames a call takes in its stride whatever they hold: acks, clears, starts, unknown events, all mutated. */
const otherFrames: fc.Arbitrary<object> = fc.oneof(
  startFrame,
  fc.record({ event: fc.constantFrom("playedStream", "played"), name: stringOrNumber, streamId: stringOrNumber }),
  fc.constant({ event: "clearedAudio", streamId: "s" }),
  fc.record({ event: fc.string({ maxLength: 60 }), data: junkValue }),
);

/** Whether a frame's JSON is media, the end of the call or a key press with a digit (not junk then). */
function meaningful(text: string): boolean {
  try {
    const frame = JSON.parse(text) as { event?: unknown; dtmf?: { digit?: unknown } } | null;
    const digit = frame?.event === "dtmf" && frame.dtmf !== null && typeof frame.dtmf === "object" ? frame.dtmf.digit : undefined;
    return frame?.event === "media" || frame?.event === "stop" || typeof digit === "string" || typeof digit === "number";
  } catch {
    return false;
  }
}

/**
 * Text frames that must change nothing the caller or the agent notices: not JSON, JSON of another
 * kind, deep nesting, unknown events, mutated acks and starts, unusable media, giant strings.
 * `maxChars` keeps a frame within MCUBE_MAX_FRAME_BYTES.
 */
export function mcubeJunk(maxChars: number): fc.Arbitrary<string> {
  return fc
    .oneof(
      notAnObject,
      unusableMedia,
      otherFrames.map((frame) => JSON.stringify(frame)),
      otherFrames.chain((frame) => mutated(frame)).map((frame) => JSON.stringify(frame)),
      fc.record({ event: fc.constant("dtmf"), dtmf: fc.oneof(junkValue, junkValue.map((digit) => ({ digit }))) }).map((f) => JSON.stringify(f)),
      giantString(maxChars - 100).map((big) => JSON.stringify({ event: "weird", big })),
      giantString(maxChars - 100).map((big) => JSON.stringify({ event: "playedStream", name: big })),
    )
    .filter((text) => Buffer.byteLength(text) <= maxChars && !meaningful(text));
}
