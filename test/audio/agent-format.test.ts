import { expect, test } from "bun:test";
import { AGENT_AUDIO_FORMATS, bytesPerMs, parseAgentAudioFormat } from "../../src/audio/agent-format.ts";

test("every ElevenLabs agent format parses to its encoding and rate", () => {
  const parsed = AGENT_AUDIO_FORMATS.map((name) => parseAgentAudioFormat(name));
  expect(parsed).toEqual([
    { format: "pcm_8000", encoding: "pcm", sampleRate: 8000 },
    { format: "pcm_16000", encoding: "pcm", sampleRate: 16000 },
    { format: "pcm_22050", encoding: "pcm", sampleRate: 22050 },
    { format: "pcm_24000", encoding: "pcm", sampleRate: 24000 },
    { format: "pcm_44100", encoding: "pcm", sampleRate: 44100 },
    { format: "pcm_48000", encoding: "pcm", sampleRate: 48000 },
    { format: "ulaw_8000", encoding: "ulaw", sampleRate: 8000 },
  ]);
});

test("unknown names are undefined, including object-prototype keys", () => {
  for (const name of ["", "pcm_11025", "PCM_16000", "ulaw_16000", "mp3_44100_128", "toString", "__proto__", "constructor"]) {
    expect(parseAgentAudioFormat(name)).toBeUndefined();
  }
});

test("a parsed result is a copy the caller may change", () => {
  const info = parseAgentAudioFormat("pcm_16000")!;
  info.sampleRate = 1;
  expect(parseAgentAudioFormat("pcm_16000")!.sampleRate).toBe(16000);
});

test("bytes per millisecond", () => {
  expect(bytesPerMs("ulaw_8000")).toBe(8);
  expect(bytesPerMs("pcm_16000")).toBe(32);
  expect(bytesPerMs("pcm_22050")).toBeCloseTo(44.1);
});
