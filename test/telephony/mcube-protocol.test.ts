/** The Mcube wire: lenient parsing of what Mcube sends, the shapes of what the gateway sends, media formats. */
import { describe, expect, test } from "bun:test";
import {
  checkpoint,
  clearAudio,
  isCallerTrack,
  mediaFormatOf,
  parseMcubeFrame,
  PLAY_AUDIO_SUFFIX,
  playAudio,
  playAudioPrefix,
  sendDtmf,
  terminate,
  transfer,
  type StartFrame,
} from "../../src/telephony/mcube-protocol.ts";
import { MULAW_8K } from "../../src/audio/audio-format.ts";

const start = (mediaFormat?: unknown): StartFrame => (parseMcubeFrame(JSON.stringify({ event: "start", start: { callId: "c", streamId: "s", mediaFormat } })) as { frame: StartFrame }).frame;

describe("Mcube → gateway", () => {
  test("numbers as strings, played/playedStream, binary = raw audio, media stays base64 until the leg decodes it", () => {
    const media = parseMcubeFrame(JSON.stringify({ event: "media", sequenceNumber: "12", media: { timestamp: "40", chunk: "2", payload: Buffer.from([1, 2, 3]).toString("base64") } }));
    expect(media).toEqual({ kind: "media", payloadBase64: "AQID", track: undefined });
    expect(parseMcubeFrame('{"event":"played","name":"turn-1"}')).toEqual({ kind: "played", name: "turn-1" });
    expect(parseMcubeFrame('{"event":"playedStream","streamId":"s","name":7}')).toEqual({ kind: "played", name: "7" });
    expect(parseMcubeFrame('{"event":"dtmf","dtmf":{"digit":5}}')).toEqual({ kind: "dtmf", digit: "5" });
    expect(parseMcubeFrame(new Uint8Array([9, 9]))).toEqual({ kind: "binary", bytes: new Uint8Array([9, 9]) });
    const parsed = parseMcubeFrame('{"event":"start","sequenceNumber":"1","start":{"callId":123,"streamId":"s1","mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":"8000"}}}');
    expect(parsed.kind).toBe("start");
    if (parsed.kind === "start") expect(parsed.frame.start.callId).toBe("123");
  });

  test("unusable frames are named for once-per-kind logging", () => {
    expect(parseMcubeFrame("nope")).toEqual({ kind: "ignored", reason: "malformed_json" });
    expect(parseMcubeFrame("[1]")).toEqual({ kind: "ignored", reason: "not_an_object" });
    expect(parseMcubeFrame('{"event":"weird<script>"}')).toEqual({ kind: "ignored", reason: "unknown_event:weirdscript" });
    expect(parseMcubeFrame('{"event":"media","media":{}}')).toEqual({ kind: "ignored", reason: "invalid_media" });
    expect(parseMcubeFrame('{"event":"media","media":null}')).toEqual({ kind: "ignored", reason: "invalid_media" });
    expect(parseMcubeFrame('{"event":"played"}')).toEqual({ kind: "ignored", reason: "invalid_played" });
    expect(parseMcubeFrame('{"event":"dtmf","dtmf":{}}')).toEqual({ kind: "ignored", reason: "invalid_dtmf" });
    expect(parseMcubeFrame('{"event":"start"}')).toEqual({ kind: "ignored", reason: "invalid_start" });
  });

  test("only the caller's track reaches the agent", () => {
    expect(isCallerTrack(undefined)).toBe(true);
    expect(isCallerTrack("inbound")).toBe(true);
    expect(isCallerTrack("outbound")).toBe(false);
    expect(parseMcubeFrame('{"event":"media","media":{"track":"outbound","payload":"AA=="}}')).toEqual({ kind: "media", payloadBase64: "AA==", track: "outbound" });
  });

  test("media formats: μ-law 8 kHz and L16 at 8 or 16 kHz are served; others are named; no format means the configured one", () => {
    expect(mediaFormatOf(start({ encoding: "audio/x-mulaw", sampleRate: 8000 }), MULAW_8K)).toEqual({ encoding: "ulaw", sampleRate: 8000 });
    expect(mediaFormatOf(start({ encoding: "audio/x-l16", sampleRate: 16000 }), MULAW_8K)).toEqual({ encoding: "pcm16le", sampleRate: 16000 });
    expect(mediaFormatOf(start({ encoding: "audio/x-l16", sampleRate: "8000" }), MULAW_8K)).toEqual({ encoding: "pcm16le", sampleRate: 8000 });
    expect(mediaFormatOf(start(undefined), { encoding: "pcm16le", sampleRate: 16000 })).toEqual({ encoding: "pcm16le", sampleRate: 16000 });
    expect(mediaFormatOf(start({ encoding: "audio/x-l16", sampleRate: 44100 }), MULAW_8K)).toEqual({ unsupported: "audio/x-l16 at 44100 Hz" });
    expect(mediaFormatOf(start({ encoding: "audio/opus", sampleRate: 48000 }), MULAW_8K)).toEqual({ unsupported: "audio/opus at 48000 Hz" });
  });
});

describe("gateway → Mcube", () => {
  test("the per-frame playAudio text is exactly the JSON of the playAudio shape", () => {
    for (const format of [MULAW_8K, { encoding: "pcm16le", sampleRate: 16000 } as const]) {
      const text = playAudioPrefix('stream "7"', format) + "/38=" + PLAY_AUDIO_SUFFIX;
      expect(JSON.parse(text)).toEqual(playAudio('stream "7"', format, "/38="));
    }
    expect(playAudio("s", MULAW_8K, "/38=")).toEqual({ event: "playAudio", streamId: "s", media: { contentType: "audio/x-mulaw", sampleRate: 8000, payload: "/38=" } });
    expect(playAudio("s", { encoding: "pcm16le", sampleRate: 16000 }, "").media).toEqual({ contentType: "audio/x-l16", sampleRate: 16000, payload: "" });
  });

  test("commands: checkpoint, clearAudio, sendDTMF; transfer/terminate shapes from config", () => {
    expect(JSON.parse(checkpoint("s", "turn-1-1"))).toEqual({ event: "checkpoint", streamId: "s", name: "turn-1-1" });
    expect(JSON.parse(clearAudio("s"))).toEqual({ event: "clearAudio", streamId: "s" });
    expect(JSON.parse(sendDtmf("12#"))).toEqual({ event: "sendDTMF", dtmf: "12#" });
    const shapes = { transferEvent: "xfer", transferNumberField: "to", terminateEvent: "bye" };
    expect(JSON.parse(transfer(shapes, "s", "9876543210"))).toEqual({ event: "xfer", streamId: "s", to: "9876543210" });
    expect(JSON.parse(terminate(shapes, "s"))).toEqual({ event: "bye", streamId: "s" });
  });
});
