/**
 * Mcube media-stream wire (shared/reference/mcube-stream-protocol.md): the frame shapes, a lenient
 * parser for what Mcube sends, and builders for what the gateway sends. No behaviour.
 */
import { z } from "zod";
import type { AudioFormat } from "../audio/audio-format.ts";

// ---- shapes (the contract) ---------------------------------------------------------------------

export type McubeContentType = "audio/x-mulaw" | "audio/x-l16";

export interface StartFrame {
  event: "start";
  sequenceNumber?: number;
  start: {
    callId: string;
    streamId: string;
    accountId?: string;
    tracks?: string[];
    mediaFormat?: { encoding?: string; sampleRate?: number };
    customParameters?: Record<string, unknown>;
    headers?: Record<string, unknown>;
  };
  extra_headers?: string | Record<string, unknown>;
}

export interface PlayAudioFrame {
  event: "playAudio";
  streamId: string;
  media: { contentType: McubeContentType; sampleRate: number; payload: string };
}
export interface CheckpointFrame {
  event: "checkpoint";
  streamId: string;
  name: string;
}
export interface ClearAudioFrame {
  event: "clearAudio";
  streamId: string;
}
/** Plivo's shape (no streamId): the digits to play into the call as key presses. */
export interface SendDtmfFrame {
  event: "sendDTMF";
  dtmf: string;
}

// ---- Mcube -> gateway --------------------------------------------------------------------------

/** Numbers may arrive as strings ("sequenceNumber": "12"); anything unparsable (null too) becomes undefined. */
const looseNumber = z
  .union([z.number(), z.string()])
  .transform((v) => {
    const n = typeof v === "number" ? v : Number(v);
    return Number.isFinite(n) ? n : undefined;
  })
  .optional()
  .catch(undefined);
const looseString = z.union([z.string(), z.number()]).transform(String);
/** A field the bridge can do without never voids the frame: a number becomes a string, junk becomes undefined. */
const optionalString = looseString.optional().catch(undefined);
const stringMap = z.record(z.string(), z.unknown()).optional().catch(undefined);

/** `start` is rare and carries the call's identity: validated whole (zod), leniently. */
const startFrameSchema = z.looseObject({
  event: z.literal("start"),
  sequenceNumber: looseNumber,
  start: z.looseObject({
    callId: looseString,
    streamId: looseString,
    accountId: optionalString,
    tracks: z.array(z.string()).optional().catch(undefined),
    mediaFormat: z.looseObject({ encoding: optionalString, sampleRate: looseNumber }).optional().catch(undefined),
    customParameters: stringMap,
    headers: stringMap,
  }),
  extra_headers: z.union([z.string(), z.record(z.string(), z.unknown())]).optional().catch(undefined),
});

/** One inbound frame. Media stays base64 here: the leg decodes it once, into its own buffer. */
export type McubeInbound =
  | { kind: "start"; frame: StartFrame }
  | { kind: "media"; payloadBase64: string; track: string | undefined }
  /** A binary frame: raw audio in the call's media format. */
  | { kind: "binary"; bytes: Uint8Array }
  | { kind: "dtmf"; digit: string }
  | { kind: "played"; name: string }
  | { kind: "cleared" }
  | { kind: "stop"; reason: string | undefined }
  /** `reason` names what was wrong, for once-per-kind logging: "malformed_json", "invalid_media", "unknown_event:foo" … */
  | { kind: "ignored"; reason: string };

const KNOWN_EVENTS = new Set(["start", "media", "dtmf", "playedStream", "played", "clearedAudio", "stop"]);

/** Event names become metric labels and log keys: keep them short and printable. */
function safeEventName(event: unknown): string {
  return typeof event === "string" ? event.replace(/[^A-Za-z0-9_.-]/g, "").slice(0, 40) || "empty" : "missing";
}

/** A string or number field as a string (Mcube sends numbers where strings are expected), else undefined. */
function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : typeof value === "number" && Number.isFinite(value) ? String(value) : undefined;
}

/**
 * Parses one Mcube frame with one JSON.parse; the per-frame kinds (media, acks) are checked by hand,
 * `start` by its schema. Never throws: anything unusable comes back as `{kind:"ignored", reason}`.
 * @example parseMcubeFrame('{"event":"dtmf","dtmf":{"digit":5}}') // { kind: "dtmf", digit: "5" }
 */
export function parseMcubeFrame(data: string | Uint8Array): McubeInbound {
  if (typeof data !== "string") return { kind: "binary", bytes: data };
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return { kind: "ignored", reason: "malformed_json" };
  }
  if (!json || typeof json !== "object" || Array.isArray(json)) return { kind: "ignored", reason: "not_an_object" };
  const frame = json as Record<string, unknown>;
  const event = frame.event;
  if (typeof event !== "string" || !KNOWN_EVENTS.has(event)) return { kind: "ignored", reason: `unknown_event:${safeEventName(event)}` };
  switch (event) {
    case "media": {
      const media = frame.media as { payload?: unknown; track?: unknown } | null | undefined;
      if (!media || typeof media !== "object" || typeof media.payload !== "string") return { kind: "ignored", reason: "invalid_media" };
      return { kind: "media", payloadBase64: media.payload, track: text(media.track) };
    }
    case "played":
    case "playedStream": {
      const name = text(frame.name);
      return name === undefined ? { kind: "ignored", reason: `invalid_${event}` } : { kind: "played", name };
    }
    case "clearedAudio":
      return { kind: "cleared" };
    case "stop":
      return { kind: "stop", reason: text(frame.reason) };
    case "dtmf": {
      const digit = text((frame.dtmf as { digit?: unknown } | null | undefined)?.digit);
      return digit === undefined ? { kind: "ignored", reason: "invalid_dtmf" } : { kind: "dtmf", digit };
    }
    default: {
      const parsed = startFrameSchema.safeParse(json);
      return parsed.success ? { kind: "start", frame: parsed.data as StartFrame } : { kind: "ignored", reason: "invalid_start" };
    }
  }
}

/** True for the caller's track (Plivo: "inbound"); a frame without a track is the caller's. */
export function isCallerTrack(track: string | undefined): boolean {
  return track === undefined || track === "inbound" || track === "inbound_track";
}

/**
 * The media format `start` announces, or the configured one when it says nothing. μ-law at 8 kHz and
 * 16-bit linear PCM (audio/x-l16, little-endian as Plivo sends it) at 8 or 16 kHz are served;
 * anything else comes back as `{ unsupported }` naming what Mcube sent.
 */
export function mediaFormatOf(frame: StartFrame, fallback: AudioFormat): AudioFormat | { unsupported: string } {
  const announced = frame.start.mediaFormat;
  const encoding = announced?.encoding?.toLowerCase();
  const sampleRate = announced?.sampleRate ?? (encoding === undefined ? fallback.sampleRate : 8000);
  const describe = () => `${announced?.encoding ?? "(no encoding)"} at ${announced?.sampleRate ?? "(no rate)"} Hz`;
  if (encoding === undefined) return fallback;
  // A-law ("audio/x-alaw", "PCMA") is not served; its codec name must not pass for linear PCM below.
  if (/alaw|pcma/.test(encoding)) return { unsupported: describe() };
  if (/mulaw|pcmu|ulaw/.test(encoding)) return sampleRate === 8000 ? { encoding: "ulaw", sampleRate } : { unsupported: describe() };
  if (/l16|linear16|pcm/.test(encoding)) return sampleRate === 8000 || sampleRate === 16_000 ? { encoding: "pcm16le", sampleRate } : { unsupported: describe() };
  return { unsupported: describe() };
}

// ---- gateway -> Mcube --------------------------------------------------------------------------

/** The configurable parts of the Mcube-specific commands (MCUBE_TRANSFER_EVENT …). */
export interface McubeCommandShapes {
  transferEvent: string;
  transferNumberField: string;
  terminateEvent: string;
}

/** The playAudio contentType for a call's media format (one for the whole call). */
export function contentTypeOf(format: AudioFormat): McubeContentType {
  return format.encoding === "ulaw" ? "audio/x-mulaw" : "audio/x-l16";
}

/** The call format a content type names (MCUBE_AUDIO_FORMAT with MCUBE_SAMPLE_RATE, when `start` names none); μ-law is 8 kHz only. */
export function formatOfContentType(contentType: McubeContentType, sampleRate: number): AudioFormat {
  return contentType === "audio/x-l16" ? { encoding: "pcm16le", sampleRate } : { encoding: "ulaw", sampleRate: 8000 };
}

/** A playAudio frame as an object (the shape; the per-frame path builds the same JSON as text). */
export function playAudio(streamId: string, format: AudioFormat, payloadBase64: string): PlayAudioFrame {
  return { event: "playAudio", streamId, media: { contentType: contentTypeOf(format), sampleRate: format.sampleRate, payload: payloadBase64 } };
}

/**
 * The text around a call's playAudio payloads, built once per call: `prefix + base64 + PLAY_AUDIO_SUFFIX`
 * is the JSON of `playAudio(streamId, format, base64)` (a test holds the two equal).
 */
export function playAudioPrefix(streamId: string, format: AudioFormat): string {
  const empty = JSON.stringify(playAudio(streamId, format, ""));
  return empty.slice(0, empty.length - PLAY_AUDIO_SUFFIX.length);
}
export const PLAY_AUDIO_SUFFIX = '"}}';

export function checkpoint(streamId: string, name: string): string {
  return JSON.stringify({ event: "checkpoint", streamId, name } satisfies CheckpointFrame);
}

export function clearAudio(streamId: string): string {
  return JSON.stringify({ event: "clearAudio", streamId } satisfies ClearAudioFrame);
}

export function sendDtmf(digits: string): string {
  return JSON.stringify({ event: "sendDTMF", dtmf: digits } satisfies SendDtmfFrame);
}

/** `{event: <MCUBE_TRANSFER_EVENT>, streamId, <MCUBE_TRANSFER_NUMBER_FIELD>: number}`; `number` is already 10 digits. */
export function transfer(shapes: McubeCommandShapes, streamId: string, number: string): string {
  return JSON.stringify({ event: shapes.transferEvent, streamId, [shapes.transferNumberField]: number });
}

export function terminate(shapes: McubeCommandShapes, streamId: string): string {
  return JSON.stringify({ event: shapes.terminateEvent, streamId });
}
