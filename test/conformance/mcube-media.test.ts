/**
 * Issue 12 §5, Mcube media formats through real sockets: L16 (little-endian) at 8 and 16 kHz both ways with
 * pcm_16000 and ulaw_8000 agents, bit-exact passthrough for 16 kHz L16 with a pcm_16000 agent, a format Homebook
 * cannot serve ending in the fallback transfer with one log line, MCUBE_AUDIO_FORMAT / MCUBE_SAMPLE_RATE when
 * start names no format, and only the caller's own track reaching the agent.
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { AgentAudioFormat } from "../../src/audio/agent-format.ts";
import { bytesPerMs } from "../../src/audio/agent-format.ts";
import { bytesToPcm16 } from "../../src/audio/pcm-bytes.ts";
import { createDownlinkTranscoder } from "../../src/audio/transcoder.ts";
import { FIRST_MESSAGE_TONE_HZ } from "../../src/sim/fake-agent-server.ts";
import type { McubeCall, McubeMediaFormat } from "../../src/sim/mcube-call.ts";
import { tonePcm16, toneMs, toneMulaw } from "../../src/sim/tones.ts";
import { botFor, DID, type Harness } from "../call/harness.ts";
import { liveCall, logsWith, strictHarness } from "./helpers.ts";

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const CALLER_HZ = 1000;
const CALLER_MS = 800;
const GREETING_MS = 1500;
const FALLBACK = "9333333333";
const l16 = (sampleRate: 8000 | 16000): McubeMediaFormat => ({ encoding: "audio/x-l16", sampleRate });

/** What the agent received, as 8 kHz μ-law, so the caller's tone can be measured. */
function agentHeard(userAudio: Uint8Array, format: AgentAudioFormat): Uint8Array {
  return createDownlinkTranscoder(format).process(userAudio);
}

/** Where `needle` starts inside `haystack`, sample for sample, or -1. */
function indexOfSamples(haystack: Int16Array, needle: Int16Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Every playAudio of the call announced `format`, with whole samples. */
function expectPlayAudioIn(call: McubeCall, format: McubeMediaFormat): void {
  const plays = call.received.filter((f) => f.event === "playAudio");
  expect(plays.length).toBeGreaterThan(0);
  for (const p of plays) {
    expect(p.media).toMatchObject({ contentType: format.encoding, sampleRate: format.sampleRate });
    if (format.encoding === "audio/x-l16") expect(Buffer.from(p.media.payload, "base64").length % 2).toBe(0);
  }
  expect(call.timeline.filter((e) => e.event === "invalid")).toEqual([]);
}

/** Waits until the greeting's checkpoint is acknowledged and the caller's audio has all been sent. */
async function greetedAndHeard(harness: Harness, call: McubeCall): Promise<void> {
  await harness.run(call.waitForTimeline("playedStream", 10_000), 10_000, "the greeting's checkpoint");
  await harness.run(call.waitForTimeline("caller-audio-sent", 10_000), 10_000, "the caller's audio");
  await harness.clock.advance(200);
}

describe("audio/x-l16 both ways", () => {
  for (const sampleRate of [8000, 16000] as const) {
    for (const agentFormat of ["pcm_16000", "ulaw_8000"] as const) {
      test(`L16 at ${sampleRate} Hz with a ${agentFormat} agent: playAudio answers in audio/x-l16 at ${sampleRate}, the greeting is heard in full, the agent gets every byte of the caller`, async () => {
        h = await strictHarness({ agent: { inputFormat: agentFormat, outputFormat: agentFormat } });
        const sessionId = `l16-${sampleRate}-${agentFormat}`;
        const { call, conv } = await liveCall(h, sessionId, { mediaFormat: l16(sampleRate), audio: toneMulaw(CALLER_HZ, CALLER_MS) });
        await greetedAndHeard(h, call);
        expectPlayAudioIn(call, l16(sampleRate));
        expect(toneMs(call.heard, FIRST_MESSAGE_TONE_HZ)).toBeGreaterThanOrEqual(GREETING_MS - 40);
        const expectedBytes = call.framesSent * 20 * bytesPerMs(agentFormat);
        expect(Math.abs(conv.userAudio.length - expectedBytes)).toBeLessThanOrEqual(bytesPerMs(agentFormat));
        expect(toneMs(agentHeard(conv.userAudio, agentFormat), CALLER_HZ)).toBeGreaterThanOrEqual(CALLER_MS - 40);
        call.hangup();
        await h.recordOf(sessionId);
      });
    }
  }

  test("L16 at 16 kHz with a pcm_16000 agent passes through untouched: the caller hears the agent's samples bit for bit, and the agent the caller's", async () => {
    h = await strictHarness({ agent: { firstMessage: null, inputFormat: "pcm_16000", outputFormat: "pcm_16000" } });
    const callerSamples = tonePcm16(CALLER_HZ, CALLER_MS, 16000, -9);
    const { call, conv } = await liveCall(h, "l16-passthrough", { mediaFormat: l16(16000), audio: { pcm: callerSamples, sampleRate: 16000 } });
    expect(logsWith(h, "agent conversation started")[0]).toMatchObject({ input_format: "pcm_16000", output_format: "pcm_16000", passthrough: true });
    await h.run(conv.speak({ durationMs: 900, toneHz: 660 }));
    await greetedAndHeard(h, call);
    expectPlayAudioIn(call, l16(16000));
    // The fake speaks tonePcm16(660, 900, 16000) in irregular chunks: the caller heard exactly those samples, in order.
    expect(indexOfSamples(call.heardPcm, tonePcm16(660, 900, 16000))).toBeGreaterThanOrEqual(0);
    const atAgent = bytesToPcm16(conv.userAudio, 0, conv.userAudio.length >> 1, new Int16Array(conv.userAudio.length >> 1));
    expect(indexOfSamples(atAgent, callerSamples)).toBeGreaterThanOrEqual(0);
    call.hangup();
    await h.recordOf("l16-passthrough");
  });

  test("the same call with L16 at 8 kHz is resampled (no passthrough claimed)", async () => {
    h = await strictHarness({ agent: { firstMessage: null } });
    const { call } = await liveCall(h, "l16-8k-resampled", { mediaFormat: l16(8000) });
    expect(logsWith(h, "agent conversation started")[0]).toMatchObject({ passthrough: false });
    call.hangup();
  });
});

describe("a media format Homebook cannot serve", () => {
  for (const mediaFormat of [
    { encoding: "audio/x-alaw", sampleRate: 8000 },
    { encoding: "PCMA", sampleRate: 8000 },
    { encoding: "audio/x-l16", sampleRate: 24000 },
    { encoding: "audio/x-mulaw", sampleRate: 16000 },
  ]) {
    const named = `${mediaFormat.encoding} at ${mediaFormat.sampleRate} Hz`;
    test(`${named}: the fallback transfer, no agent conversation, and exactly one log line naming it`, async () => {
      h = await strictHarness({ bots: { [DID]: botFor({ fallbackNumber: FALLBACK }) } });
      const sessionId = `unsupported-${mediaFormat.encoding.replace(/\W/g, "")}-${mediaFormat.sampleRate}`;
      const call = await h.call({ sessionId, sendStart: false });
      call.sendRaw(JSON.stringify({ event: "start", sequenceNumber: 1, start: { callId: "c-1", streamId: "st-1", tracks: ["inbound"], mediaFormat } }));
      const transfer = await h.run(call.waitFor("transfer", 5000), 5000, "the fallback transfer");
      expect(transfer).toEqual({ event: "transfer", streamId: "st-1", number: FALLBACK });
      expect(call.received.some((f) => f.event === "playAudio")).toBe(false);
      expect(h.agent.stats.connections).toBe(0);
      const { record } = await h.recordOf(sessionId);
      expect(record.endReason).toBe("fallback_transfer");
      const naming = h.logLines.filter((line) => line.includes(named));
      expect(naming).toHaveLength(1);
      expect(JSON.parse(naming[0]!)).toMatchObject({ level: "error", media_format: named });
    });
  }
});

describe("start without a media format", () => {
  for (const [env, format] of [
    [{}, { encoding: "audio/x-mulaw", sampleRate: 8000 }],
    [{ MCUBE_AUDIO_FORMAT: "audio/x-l16", MCUBE_SAMPLE_RATE: "16000" }, l16(16000)],
    [{ MCUBE_AUDIO_FORMAT: "audio/x-l16" }, l16(8000)],
  ] as const) {
    test(`MCUBE_AUDIO_FORMAT=${env.MCUBE_AUDIO_FORMAT ?? "(default)"} MCUBE_SAMPLE_RATE=${env.MCUBE_SAMPLE_RATE ?? "(default)"}: the call is ${format.encoding} at ${format.sampleRate} Hz both ways`, async () => {
      h = await strictHarness({ env });
      const sessionId = `default-format-${format.encoding.replace(/\W/g, "")}-${format.sampleRate}`;
      const { call, conv } = await liveCall(h, sessionId, { mediaFormat: format, announceFormat: false, audio: toneMulaw(CALLER_HZ, CALLER_MS) });
      await greetedAndHeard(h, call);
      expectPlayAudioIn(call, format);
      expect(toneMs(call.heard, FIRST_MESSAGE_TONE_HZ)).toBeGreaterThanOrEqual(GREETING_MS - 40);
      expect(toneMs(agentHeard(conv.userAudio, "pcm_16000"), CALLER_HZ)).toBeGreaterThanOrEqual(CALLER_MS - 40);
      call.hangup();
      await h.recordOf(sessionId);
    });
  }
});

describe("forked tracks", () => {
  test("with the outbound track forked too, the agent gets only the caller's inbound track: never its own greeting back", async () => {
    h = await strictHarness();
    const { call, conv } = await liveCall(h, "tracks-both", { tracks: ["inbound", "outbound"], audio: toneMulaw(CALLER_HZ, CALLER_MS) });
    await greetedAndHeard(h, call);
    expect(toneMs(call.heard, FIRST_MESSAGE_TONE_HZ)).toBeGreaterThanOrEqual(GREETING_MS - 40); // the outbound track did carry it
    const heardByAgent = agentHeard(conv.userAudio, "pcm_16000");
    expect(toneMs(heardByAgent, CALLER_HZ)).toBeGreaterThanOrEqual(CALLER_MS - 40);
    expect(toneMs(heardByAgent, FIRST_MESSAGE_TONE_HZ)).toBe(0);
    expect(Math.abs(conv.userAudio.length - call.framesSent * 20 * bytesPerMs("pcm_16000"))).toBeLessThanOrEqual(bytesPerMs("pcm_16000"));
    call.hangup();
    expect((await h.recordOf("tracks-both")).record.framesIn).toBe(call.framesSent);
  });
});
