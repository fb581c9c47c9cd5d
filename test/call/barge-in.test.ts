/** Step 8: barge-in. clearAudio at once, no stale audio after it, checkpoints forgotten, the next turn plays cleanly. */
import { afterEach, describe, expect, test } from "bun:test";
import { STALE_TONE_HZ } from "../../src/sim/fake-agent-server.ts";
import { toneMs } from "../../src/sim/tones.ts";
import { startHarness, type Harness } from "./harness.ts";

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

describe("barge-in", () => {
  test("clearAudio follows the interruption before any call time passes; stale audio never reaches the caller; the next turn is heard in full", async () => {
    h = await startHarness({ agent: { firstMessage: null } });
    const clock = h.clock;
    const call = await h.call({ sessionId: "barge-1" });
    const conv = await h.run(h.agent.nextConversation());
    await h.run(conv.init);
    void conv.speak({ durationMs: 4000, toneHz: 660 });
    await h.run(call.waitForTimeline("playback-start"));
    await clock.advance(300);
    const interruptedAtMs = clock.now();
    await conv.interrupt({ staleAudioMs: 600 });
    // The interruption and the late audio of the interrupted turn crossed the sockets; no call time passed.
    await h.run(call.waitForTimeline("clearedAudio"), 0, "clearAudio with no call time elapsed");
    expect(clock.now()).toBe(interruptedAtMs);
    await clock.advance(300);
    const clearIndex = call.received.findIndex((f) => f.event === "clearAudio");
    expect(call.received.slice(clearIndex).filter((f) => f.event === "playAudio")).toEqual([]);
    expect(h.manager.debugState().calls["barge-1"]!.pendingCheckpoints).toBe(0);
    expect(toneMs(call.heard, 660)).toBeLessThan(4000 - 500); // the turn really was cut

    void conv.speak({ durationMs: 800, toneHz: 880 });
    await h.run(call.waitForTimeline("playedStream"));
    expect(toneMs(call.heard, 880)).toBeGreaterThanOrEqual(800 - 40);
    expect(toneMs(call.heard, STALE_TONE_HZ)).toBe(0);
    call.hangup();
    const { record } = await h.recordOf("barge-1");
    expect(record.interruptions).toBe(1);
  });

  test("the transcript keeps user and agent turns with offsets; a correction replaces the interrupted text", async () => {
    h = await startHarness({ agent: { firstMessage: null } });
    const call = await h.call({ sessionId: "barge-2" });
    const conv = await h.run(h.agent.nextConversation());
    await h.run(conv.init);
    conv.userTranscript("I want a flat in Pune");
    void conv.speak({ text: "Sure, we have three projects in Pune and", durationMs: 3000 });
    await h.run(call.waitForTimeline("playback-start"));
    await conv.interrupt();
    conv.agentResponseCorrection("Sure, we have three projects in Pune and", "Sure, we have three");
    await h.until(() => h!.manager.get("barge-2")!.transcript.some((t) => t.text === "Sure, we have three"), 5000, "correction");
    call.hangup();
    const { transcript } = await h.recordOf("barge-2");
    expect(transcript.map((t) => [t.role, t.text])).toEqual([
      ["user", "I want a flat in Pune"],
      ["agent", "Sure, we have three"],
    ]);
    expect(transcript[1]!.offsetMs).toBeGreaterThanOrEqual(transcript[0]!.offsetMs);
  });
});
