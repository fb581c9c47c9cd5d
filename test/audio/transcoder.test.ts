/** Transcoders as the call bridge uses them: μ-law 8 kHz ⇄ every agent format, per direction, per call. */
import { describe, expect, test } from "bun:test";
import { AGENT_AUDIO_FORMATS, bytesPerMs, parseAgentAudioFormat, type AgentAudioFormat } from "../../src/audio/agent-format.ts";
import { mulawDecode, mulawEncode } from "../../src/audio/mulaw.ts";
import { createDownlinkTranscoder, createTranscoder, createUplinkTranscoder } from "../../src/audio/transcoder.ts";
import { agentAudioFormat, MULAW_8K } from "../../src/audio/audio-format.ts";
import { concat, levelDb, maxAbsDiff, processInChunks, randomChunks, snrDb, tone } from "./signals.ts";

const PCM_FORMATS = AGENT_AUDIO_FORMATS.filter((f) => f.startsWith("pcm_"));

function pcmBytesToSamples(bytes: Uint8Array): Int16Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Int16Array.from({ length: bytes.length / 2 }, (_, i) => view.getInt16(2 * i, true));
}

function samplesToPcmBytes(samples: Int16Array): Uint8Array {
  const bytes = new Uint8Array(samples.length * 2);
  const view = new DataView(bytes.buffer);
  samples.forEach((v, i) => view.setInt16(2 * i, v, true));
  return bytes;
}

describe("ulaw_8000 agents: passthrough both ways", () => {
  test("bytes go through untouched, with no decode/encode round trip", () => {
    // 0x7f (μ-law −0) would come back as 0xff after a decode/encode round trip.
    const frame = Uint8Array.from({ length: 160 }, (_, i) => (i % 2 ? 0x7f : i));
    expect(createUplinkTranscoder("ulaw_8000").process(frame)).toEqual(frame);
    expect(createDownlinkTranscoder("ulaw_8000").process(frame)).toEqual(frame);
  });
});

describe.each(PCM_FORMATS)("%s agents", (format) => {
  const { sampleRate } = parseAgentAudioFormat(format)!;

  test("uplink: one 160-byte caller frame becomes 20 ms of PCM16LE at the agent rate, tone intact", () => {
    const uplink = createUplinkTranscoder(format);
    // 1013 Hz: not a divisor of 8 kHz, so μ-law error spreads like it does on speech.
    const caller = mulawEncode(tone(8000, 1013, 1200));
    const frames = processInChunks(caller, Array.from({ length: caller.length / 160 }, () => 160), (c) => uplink.process(c).slice());
    for (const frame of frames) expect(frame.length).toBe(bytesPerMs(format) * 20);
    const agentHears = pcmBytesToSamples(concat(frames));
    expect(Math.abs(levelDb(agentHears, sampleRate, 1013) - -6.02)).toBeLessThan(0.3);
    // μ-law itself limits a −6 dBFS tone to ~37 dB; resampling must not lose more than 1 dB of that.
    expect(snrDb(agentHears, sampleRate, 1013)).toBeGreaterThan(snrDb(mulawDecode(caller), 8000, 1013) - 1);
  });

  test("downlink: agent PCM chunks split at odd byte offsets give the same μ-law as one chunk", () => {
    const agentBytes = samplesToPcmBytes(tone(sampleRate, 700, 600, 12_000));
    const oneShot = createDownlinkTranscoder(format).process(agentBytes);
    expect(oneShot.length).toBe(600 * 8);
    for (const seed of [11, 12]) {
      const downlink = createDownlinkTranscoder(format);
      const sizes = randomChunks(agentBytes.length, 1501, seed);
      expect(sizes.some((s) => s % 2 === 1)).toBe(true);
      const streamed = concat(processInChunks(agentBytes, sizes, (c) => downlink.process(c).slice()));
      expect(maxAbsDiff(mulawDecode(streamed), mulawDecode(oneShot))).toBe(0);
    }
  });

  test("uplink: one big chunk gives the same bytes as 20 ms frames", () => {
    const caller = mulawEncode(tone(8000, 1013, 600));
    const oneShot = createUplinkTranscoder(format).process(caller).slice();
    const uplink = createUplinkTranscoder(format);
    const framed = concat(processInChunks(caller, Array.from({ length: caller.length / 160 }, () => 160), (c) => uplink.process(c).slice()));
    expect(framed).toEqual(oneShot);
  });

  test("downlink: a lone byte is held until its partner arrives", () => {
    const downlink = createDownlinkTranscoder(format);
    const agentBytes = samplesToPcmBytes(tone(sampleRate, 700, 20, 12_000));
    const firstLength = downlink.process(agentBytes.subarray(0, 1)).length;
    const restLength = downlink.process(agentBytes.subarray(1)).length;
    expect(firstLength + restLength).toBe(160);
  });

  test("round trip caller → agent → caller keeps a tone's level and μ-law-grade SNR", () => {
    const uplink = createUplinkTranscoder(format);
    const downlink = createDownlinkTranscoder(format);
    const caller = mulawEncode(tone(8000, 1013, 1200));
    const frames = processInChunks(caller, Array.from({ length: caller.length / 160 }, () => 160), (c) => downlink.process(uplink.process(c)).slice());
    const heard = mulawDecode(concat(frames));
    expect(Math.abs(levelDb(heard, 8000, 1013) - -6.02)).toBeLessThan(0.5);
    // Two μ-law quantizations (caller's and ours) at ~37 dB each: ~34 dB; resampling adds nothing audible.
    expect(snrDb(heard, 8000, 1013)).toBeGreaterThan(32);
  });

  test("reset() drops a carried half sample and the filter history (barge-in)", () => {
    const downlink = createDownlinkTranscoder(format);
    const loud = samplesToPcmBytes(tone(sampleRate, 1000, 40, 16_000));
    downlink.process(loud.subarray(0, loud.length - 1)); // leaves one byte carried
    downlink.reset();
    const silence = new Uint8Array(bytesPerMs(format) * 20);
    const out = downlink.process(silence);
    expect(out.length).toBe(160);
    expect(out.every((b) => b === 0xff)).toBe(true); // μ-law digital silence, nothing left over
  });
});

test("unknown formats are refused when the transcoder is created", () => {
  expect(() => createUplinkTranscoder("mp3_44100" as AgentAudioFormat)).toThrow(/unsupported agent audio format "mp3_44100"/);
  expect(() => createDownlinkTranscoder("pcm_11025" as AgentAudioFormat)).toThrow(/unsupported agent audio format/);
});

describe("Mcube media formats", () => {
  const L16_16K = { encoding: "pcm16le", sampleRate: 16_000 } as const;
  const L16_8K = { encoding: "pcm16le", sampleRate: 8000 } as const;

  test("a 16 kHz L16 call with a pcm_16000 agent passes through both ways: the same bytes, no resampling", () => {
    const up = createTranscoder(L16_16K, agentAudioFormat("pcm_16000"));
    const down = createTranscoder(agentAudioFormat("pcm_16000"), L16_16K);
    expect(up.passthrough && down.passthrough).toBe(true);
    const frame = samplesToPcmBytes(tone(16_000, 1000, 20, 9000));
    expect(up.process(frame)).toBe(frame);
  });

  test("L16 at 8 kHz ⇄ a pcm_16000 agent keeps a tone's level (resampled both ways)", () => {
    const up = createTranscoder(L16_8K, agentAudioFormat("pcm_16000"));
    const down = createTranscoder(agentAudioFormat("pcm_16000"), L16_8K);
    const caller = samplesToPcmBytes(tone(8000, 1013, 1200, 16_000));
    const frames = processInChunks(caller, Array.from({ length: caller.length / 320 }, () => 320), (c) => down.process(up.process(c)).slice());
    const heard = concat(frames);
    const samples = new Int16Array(heard.buffer, heard.byteOffset, heard.length / 2);
    expect(Math.abs(levelDb(samples, 8000, 1013) - levelDb(new Int16Array(caller.buffer), 8000, 1013))).toBeLessThan(0.2);
  });

  test("big-endian PCM is swapped, and a sample split across chunks is joined", () => {
    const be = createTranscoder({ encoding: "pcm16be", sampleRate: 8000 }, L16_8K);
    const first = be.process(new Uint8Array([0x12])).slice();
    const rest = be.process(new Uint8Array([0x34, 0xff, 0xfe])).slice();
    expect(first.length).toBe(0);
    expect([...rest]).toEqual([0x34, 0x12, 0xfe, 0xff]); // 0x1234 and -2, little-endian
  });

  test("results are views of one per-call buffer (no allocation per frame): copy to keep", () => {
    const down = createTranscoder(agentAudioFormat("pcm_16000"), MULAW_8K);
    const a = down.process(samplesToPcmBytes(tone(16_000, 500, 20)));
    const b = down.process(samplesToPcmBytes(tone(16_000, 700, 20)));
    expect(a.buffer).toBe(b.buffer);
  });
});
