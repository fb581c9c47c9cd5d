/** Agent audio reaches the caller as it arrives: nothing of a turn is held back for a later event (issue 16). */
import { afterEach, describe, expect, test } from "bun:test";
import { startHarness, type Harness } from "./harness.ts";
import { tonePcm16, toneMs } from "../../src/sim/tones.ts";
import { mulawEncode } from "../../src/audio/mulaw.ts";

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

/** One audio event of `ms` of a μ-law tone (an ulaw_8000 agent speaks the call's own format). */
function audioEvent(ms: number, eventId: number) {
  const mulaw = mulawEncode(tonePcm16(660, ms, 8000));
  return { type: "audio" as const, audio_event: { audio_base_64: mulaw.toBase64(), event_id: eventId } };
}

describe("downlink", () => {
  test("a turn of 1013 ms in uneven chunks reaches the caller whole the moment its last chunk arrives; the checkpoint follows only when the turn is known to be over", async () => {
    h = await startHarness({ agent: { firstMessage: null, outputFormat: "ulaw_8000", agentResponseComplete: false } });
    const clock = h.clock;
    const call = await h.call({ sessionId: "tail-1" });
    const conv = await h.run(h.agent.nextConversation());
    await h.run(conv.init);
    await h.until(() => h!.manager.get("tail-1")?.state === "live", 2000, "the call to go live");
    const bytesPlayed = () => call.received.filter((f) => f.event === "playAudio").reduce((n, f) => n + Buffer.from(f.media.payload, "base64").length, 0);

    for (const ms of [333, 333]) {
      conv.sendEvent(audioEvent(ms, 7));
      await clock.advance(ms / 4); // the service streams ahead of real time
    }
    conv.sendEvent(audioEvent(347, 7)); // 1013 ms in all: not a whole number of 20 ms frames
    const lastChunkAtMs = clock.now();
    await clock.settle();
    // Every byte is at the caller, and no call time passed since the last chunk left the agent.
    expect(bytesPlayed()).toBe(1013 * 8);
    expect(clock.now()).toBe(lastChunkAtMs);
    expect(call.received.some((f) => f.event === "checkpoint")).toBe(false); // the turn is not known to be over yet

    const checkpoint = await h.run(call.waitFor("checkpoint"), 1000);
    expect(call.received.indexOf(checkpoint)).toBe(call.received.length - 1); // after all of the turn's audio
    await h.run(call.waitForTimeline("playedStream"), 3000);
    expect(toneMs(call.heard, 660)).toBeGreaterThanOrEqual(1013 - 20);
    call.hangup();
    await h.recordOf("tail-1");
  });
});
