/** Frames the Mcube simulator sends (Plivo-style media stream, as Mcube sends them). Builders only. */

export interface StartFrameFields {
  sequenceNumber: number;
  callId: string;
  streamId: string;
  accountId: string;
  customParameters: Record<string, string>;
  extraHeaders?: string | Record<string, string>;
}

export function startFrame(f: StartFrameFields) {
  return {
    event: "start",
    sequenceNumber: f.sequenceNumber,
    start: {
      callId: f.callId,
      streamId: f.streamId,
      accountId: f.accountId,
      tracks: ["inbound"],
      mediaFormat: { encoding: "audio/x-mulaw", sampleRate: 8000 },
      customParameters: f.customParameters,
    },
    ...(f.extraHeaders === undefined ? {} : { extra_headers: f.extraHeaders }),
  };
}

/** One 20 ms inbound frame; timestamp is ms since the stream started, as a string like Plivo's. */
export function mediaFrame(streamId: string, sequenceNumber: number, chunk: number, timestampMs: number, mulaw: Uint8Array) {
  return {
    event: "media",
    sequenceNumber,
    streamId,
    media: { track: "inbound", timestamp: String(Math.round(timestampMs)), chunk, payload: Buffer.from(mulaw).toString("base64") },
  };
}

export function dtmfFrame(streamId: string, sequenceNumber: number, digit: string, timestampMs: number) {
  return { event: "dtmf", sequenceNumber, streamId, dtmf: { digit, track: "inbound", timestamp: String(Math.round(timestampMs)) } };
}

export function playedStreamFrame(streamId: string, name: string) {
  return { event: "playedStream", streamId, name };
}

export function clearedAudioFrame(streamId: string) {
  return { event: "clearedAudio", streamId };
}

export function stopFrame(streamId: string, reason: string) {
  return { event: "stop", streamId, reason };
}
