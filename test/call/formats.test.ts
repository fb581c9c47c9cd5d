/** Every agent audio format the issue names: the caller hears the greeting in full and the agent gets every byte the caller sent. */
import { afterEach, describe, expect, test } from "bun:test";
import { bytesPerMs, type AgentAudioFormat } from "../../src/audio/agent-format.ts";
import { createDownlinkTranscoder } from "../../src/audio/transcoder.ts";
import { FIRST_MESSAGE_TONE_HZ } from "../../src/sim/fake-agent-server.ts";
import { tonePcm16, toneMs, toneMulaw } from "../../src/sim/tones.ts";
import { startHarness, type Harness } from "./harness.ts";
import { levelDb } from "../audio/signals.ts";

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const FORMATS: AgentAudioFormat[] = ["pcm_16000", "pcm_8000", "pcm_24000", "pcm_44100", "ulaw_8000"];

describe("agent audio formats", () => {
  for (const format of FORMATS) {
    test(`${format}: greeting heard in full, caller audio arrives complete in ${format}`, async () => {
      h = await startHarness({ agent: { inputFormat: format, outputFormat: format } });
      const sessionId = `fmt-${format}`;
      const call = await h.call({ sessionId, audio: toneMulaw(1000, 800) });
      const conv = await h.run(h.agent.nextConversation());
      await h.run(call.waitForTimeline("playedStream"));
      await h.run(call.waitForTimeline("caller-audio-sent"));
      expect(toneMs(call.heard, FIRST_MESSAGE_TONE_HZ)).toBeGreaterThanOrEqual(1500 - 40);
      expect(call.timeline.filter((e) => e.event === "invalid")).toEqual([]);
      call.hangup();
      await h.recordOf(sessionId);
      await h.run(conv.closed);
      const expected = call.framesSent * 20 * bytesPerMs(format);
      expect(Math.abs(conv.userAudio.length - expected)).toBeLessThanOrEqual(bytesPerMs(format));
      const asMulaw = createDownlinkTranscoder(format).process(conv.userAudio);
      expect(toneMs(asMulaw, 1000)).toBeGreaterThanOrEqual(800 - 40);
    });
  }
});

describe("a 16 kHz L16 call with an agent at a higher rate", () => {
  const WIDE_HZ = 6000; // above the telephone band: lost if the audio went through 8 kHz
  for (const format of ["pcm_22050", "pcm_24000", "pcm_44100", "pcm_48000"] as AgentAudioFormat[]) {
    test(`${format}: a ${WIDE_HZ} Hz tone crosses both ways at its level`, async () => {
      h = await startHarness({ agent: { inputFormat: format, outputFormat: format, firstMessage: null } });
      const sessionId = `fmt-l16-${format}`;
      const said = tonePcm16(WIDE_HZ, 1500, 16_000);
      const call = await h.call({ sessionId, mediaFormat: { encoding: "audio/x-l16", sampleRate: 16_000 }, audio: { pcm: said, sampleRate: 16_000 } });
      const conv = await h.run(h.agent.nextConversation());
      await h.run(conv.init);
      void conv.speak({ durationMs: 1500, toneHz: WIDE_HZ });
      await h.run(call.waitForTimeline("playedStream"));
      await h.run(call.waitForTimeline("caller-audio-sent"));
      const saidDb = levelDb(said, 16_000, WIDE_HZ);
      // The agent got the caller's tone (from the call's start), and the caller heard the agent's (from its first audio).
      const agentHeard = new Int16Array(conv.userAudio.slice().buffer, 0, conv.userAudio.length >> 1);
      expect(Math.abs(levelDb(agentHeard, Number(format.slice(4)), WIDE_HZ) - saidDb)).toBeLessThanOrEqual(1);
      const playbackFromMs = (call.timeline.find((e) => e.event === "playback-start")!.detail as { heardMs: number }).heardMs;
      const steady = { start: (playbackFromMs + 100) * 16, length: 16_000 };
      expect(Math.abs(levelDb(call.heardPcm, 16_000, WIDE_HZ, steady) - saidDb)).toBeLessThanOrEqual(1);
      expect(call.timeline.filter((e) => e.event === "invalid")).toEqual([]);
      call.hangup();
      await h.recordOf(sessionId);
    });
  }
});
