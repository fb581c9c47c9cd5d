/** Every agent audio format the issue names: the caller hears the greeting in full and the agent gets every byte the caller sent. */
import { afterEach, describe, expect, test } from "bun:test";
import { bytesPerMs, type AgentAudioFormat } from "../../src/audio/agent-format.ts";
import { createDownlinkTranscoder } from "../../src/audio/transcoder.ts";
import { FIRST_MESSAGE_TONE_HZ } from "../../src/sim/fake-agent-server.ts";
import { toneMs, toneMulaw } from "../../src/sim/tones.ts";
import { startHarness, type Harness } from "./harness.ts";

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
      const conv = await h.agent.nextConversation();
      await call.waitForTimeline("playedStream", 10_000);
      await call.waitForTimeline("caller-audio-sent", 10_000);
      expect(toneMs(call.heard, FIRST_MESSAGE_TONE_HZ)).toBeGreaterThanOrEqual(1500 - 40);
      expect(call.timeline.filter((e) => e.event === "invalid")).toEqual([]);
      call.hangup();
      await h.recordOf(sessionId);
      await conv.closed;
      const expected = call.framesSent * 20 * bytesPerMs(format);
      expect(Math.abs(conv.userAudio.length - expected)).toBeLessThanOrEqual(bytesPerMs(format));
      const asMulaw = createDownlinkTranscoder(format).process(conv.userAudio);
      expect(toneMs(asMulaw, 1000)).toBeGreaterThanOrEqual(800 - 40);
    });
  }
});
