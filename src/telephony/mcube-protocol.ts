/** Mcube media-stream wire types: lenient zod envelopes for inbound frames, builders for commands. No behaviour. */
import { z } from "zod";

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
/**
 * Fields the bridge does not need to act on (streamId on media, track, reason …): a number becomes a
 * string, anything else unusable becomes undefined. Such a field never makes the whole frame unusable:
 * start accepts a numeric streamId, so every later frame of that call carries one too.
 */
const optionalString = looseString.optional().catch(undefined);
const stringMap = z.record(z.string(), z.unknown()).optional().catch(undefined);

export const startFrameSchema = z.looseObject({
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

export const mediaFrameSchema = z.looseObject({
  event: z.literal("media"),
  sequenceNumber: looseNumber,
  streamId: optionalString,
  media: z.looseObject({
    track: optionalString,
    timestamp: looseNumber,
    chunk: looseNumber,
    payload: z.string(),
  }),
});

export const dtmfFrameSchema = z.looseObject({
  event: z.literal("dtmf"),
  streamId: optionalString,
  dtmf: z.looseObject({ digit: looseString, track: optionalString, timestamp: looseNumber }),
});

export const playedStreamFrameSchema = z.looseObject({
  event: z.enum(["playedStream", "played"]),
  streamId: optionalString,
  name: looseString,
});

export const clearedAudioFrameSchema = z.looseObject({ event: z.literal("clearedAudio"), streamId: optionalString });
export const stopFrameSchema = z.looseObject({ event: z.literal("stop"), streamId: optionalString, reason: optionalString });

export type StartFrame = z.infer<typeof startFrameSchema>;
export type MediaFrame = z.infer<typeof mediaFrameSchema>;
export type DtmfFrame = z.infer<typeof dtmfFrameSchema>;
export type PlayedStreamFrame = z.infer<typeof playedStreamFrameSchema>;

/** One inbound frame after envelope validation. Binary frames are raw inbound audio. */
export type McubeInbound =
  | { kind: "start"; frame: StartFrame }
  | { kind: "media"; payload: Uint8Array }
  | { kind: "dtmf"; digit: string }
  | { kind: "played"; name: string }
  | { kind: "cleared" }
  | { kind: "stop"; reason?: string }
  /** `kind` names what was wrong, for once-per-kind logging: "malformed_json", "invalid_media", "unknown_event:foo" … */
  | { kind: "ignored"; reason: string };

const SCHEMAS = {
  start: startFrameSchema,
  media: mediaFrameSchema,
  dtmf: dtmfFrameSchema,
  playedStream: playedStreamFrameSchema,
  played: playedStreamFrameSchema,
  clearedAudio: clearedAudioFrameSchema,
  stop: stopFrameSchema,
} as const;

type KnownEvent = keyof typeof SCHEMAS;

function isKnown(event: string): event is KnownEvent {
  return Object.hasOwn(SCHEMAS, event);
}

/** Event names become metric labels and log keys: keep them short and printable. */
function safeEventName(event: unknown): string {
  return typeof event === "string" ? event.replace(/[^A-Za-z0-9_.-]/g, "").slice(0, 40) || "empty" : "missing";
}

/**
 * Parses one Mcube frame. Never throws: anything unusable comes back as `{kind:"ignored", reason}`.
 * @example parseMcubeFrame('{"event":"dtmf","dtmf":{"digit":5}}') // { kind: "dtmf", digit: "5" }
 */
export function parseMcubeFrame(data: string | Uint8Array): McubeInbound {
  if (typeof data !== "string") return { kind: "media", payload: data };
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return { kind: "ignored", reason: "malformed_json" };
  }
  if (!json || typeof json !== "object" || Array.isArray(json)) return { kind: "ignored", reason: "not_an_object" };
  const event = (json as { event?: unknown }).event;
  if (typeof event !== "string" || !isKnown(event)) return { kind: "ignored", reason: `unknown_event:${safeEventName(event)}` };
  const parsed = SCHEMAS[event].safeParse(json);
  if (!parsed.success) return { kind: "ignored", reason: `invalid_${event}` };
  const frame = parsed.data;
  switch (frame.event) {
    case "start":
      return { kind: "start", frame };
    case "media":
      return { kind: "media", payload: Buffer.from(frame.media.payload, "base64") };
    case "dtmf":
      return { kind: "dtmf", digit: frame.dtmf.digit };
    case "played":
    case "playedStream":
      return { kind: "played", name: frame.name };
    case "clearedAudio":
      return { kind: "cleared" };
    case "stop":
      return { kind: "stop", reason: frame.reason };
  }
}

// ---- gateway -> Mcube -------------------------------------------------------------------------

/** The configurable parts of the Mcube-specific commands (MCUBE_TRANSFER_EVENT …). */
export interface McubeCommandShapes {
  transferEvent: string;
  transferNumberField: string;
  terminateEvent: string;
}

export interface PlayAudioCommand {
  event: "playAudio";
  streamId: string;
  media: { contentType: "audio/x-mulaw"; sampleRate: 8000; payload: string };
}

/** μ-law 8 kHz bytes as one playAudio frame (contentType and rate never change within a call). */
export function playAudio(streamId: string, mulaw: Uint8Array): PlayAudioCommand {
  return {
    event: "playAudio",
    streamId,
    media: { contentType: "audio/x-mulaw", sampleRate: 8000, payload: Buffer.from(mulaw.buffer, mulaw.byteOffset, mulaw.byteLength).toString("base64") },
  };
}

export function checkpoint(streamId: string, name: string) {
  return { event: "checkpoint" as const, streamId, name };
}

export function clearAudio(streamId: string) {
  return { event: "clearAudio" as const, streamId };
}

/** `{event: <MCUBE_TRANSFER_EVENT>, streamId, <MCUBE_TRANSFER_NUMBER_FIELD>: number}`; `number` is already 10 digits. */
export function transfer(shapes: McubeCommandShapes, streamId: string, number: string): Record<string, string> {
  return { event: shapes.transferEvent, streamId, [shapes.transferNumberField]: number };
}

export function terminate(shapes: McubeCommandShapes, streamId: string): Record<string, string> {
  return { event: shapes.terminateEvent, streamId };
}
