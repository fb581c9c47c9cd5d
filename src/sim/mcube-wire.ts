/**
 * Frames the Mcube simulator sends (Plivo-style media stream, as Mcube sends them), typed after the shapes in
 * shared/reference/mcube-stream-protocol.md and Plivo's stream SDK. Builders only.
 */
import type { McubeMediaFormat } from "./mcube-media.ts";

export type McubeTrack = "inbound" | "outbound";

export interface McubeStartFrame {
  event: "start";
  sequenceNumber: number;
  start: {
    callId: string;
    streamId: string;
    accountId: string;
    tracks: McubeTrack[];
    /** Absent when Mcube leaves the format to the gateway's settings. */
    mediaFormat?: McubeMediaFormat;
    customParameters: Record<string, string>;
  };
  extra_headers?: string | Record<string, string>;
}

export interface McubeMediaFrame {
  event: "media";
  sequenceNumber: number;
  streamId: string;
  media: { track: McubeTrack; timestamp: string; chunk: number; payload: string };
}

export interface McubeDtmfFrame {
  event: "dtmf";
  sequenceNumber: number;
  streamId: string;
  dtmf: { digit: string; track: "inbound"; timestamp: string };
}

export interface McubePlayedStreamFrame {
  event: "playedStream";
  streamId: string;
  name: string;
}

export interface McubeClearedAudioFrame {
  event: "clearedAudio";
  streamId: string;
}

export interface McubeStopFrame {
  event: "stop";
  streamId: string;
  reason: string;
}

/** What `start` says: its `start` object's fields, with the sequence number and extra_headers beside them. */
export type StartFrameFields = McubeStartFrame["start"] & { sequenceNumber: number; extraHeaders?: string | Record<string, string> };

export function startFrame(f: StartFrameFields) {
  return {
    event: "start",
    sequenceNumber: f.sequenceNumber,
    start: {
      callId: f.callId,
      streamId: f.streamId,
      accountId: f.accountId,
      tracks: f.tracks,
      ...(f.mediaFormat === undefined ? {} : { mediaFormat: { encoding: f.mediaFormat.encoding, sampleRate: f.mediaFormat.sampleRate } }),
      customParameters: f.customParameters,
    },
    ...(f.extraHeaders === undefined ? {} : { extra_headers: f.extraHeaders }),
  } satisfies McubeStartFrame;
}

/** One 20 ms frame of a track in the call's format; timestamp is ms since the stream started, as a string like Plivo's. */
export function mediaFrame(streamId: string, sequenceNumber: number, chunk: number, timestampMs: number, bytes: Uint8Array, track: McubeTrack = "inbound") {
  return {
    event: "media",
    sequenceNumber,
    streamId,
    media: { track, timestamp: String(Math.round(timestampMs)), chunk, payload: Buffer.from(bytes).toString("base64") },
  } satisfies McubeMediaFrame;
}

export function dtmfFrame(streamId: string, sequenceNumber: number, digit: string, timestampMs: number) {
  return { event: "dtmf", sequenceNumber, streamId, dtmf: { digit, track: "inbound", timestamp: String(Math.round(timestampMs)) } } satisfies McubeDtmfFrame;
}

export function playedStreamFrame(streamId: string, name: string) {
  return { event: "playedStream", streamId, name } satisfies McubePlayedStreamFrame;
}

export function clearedAudioFrame(streamId: string) {
  return { event: "clearedAudio", streamId } satisfies McubeClearedAudioFrame;
}

export function stopFrame(streamId: string, reason: string) {
  return { event: "stop", streamId, reason } satisfies McubeStopFrame;
}

/** Digits Plivo's sendDTMF may carry (the keypad; `w`/`W` pause half a second / a second in ElevenLabs' tool). */
export const SEND_DTMF_DIGITS = /^[0-9*#A-Da-dwW]+$/;
