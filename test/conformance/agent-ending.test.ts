/**
 * Issue 12, how the agent ends a call against the strict fake, through real sockets: the goodbye is heard in
 * full whatever the order of the end_call tool response and its audio; a transfer goes to the tool's own number
 * whichever of its two responses comes first; the maximum duration ends the call like an agent end.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { MAX_DURATION_TONE_HZ } from "../../src/sim/fake-agent-server.ts";
import type { McubeCall } from "../../src/sim/mcube-call.ts";
import { toneMs } from "../../src/sim/tones.ts";
import { botFor, DID, type Harness } from "../call/harness.ts";
import { eventsOf, liveCall, logsWith, strictHarness } from "./helpers.ts";

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const GOODBYE_HZ = 770;
const GOODBYE_MS = 2400;

/** The caller heard `ms` of `hz` in full, its checkpoint was acknowledged, and only then came `command`. */
function expectHeardThen(call: McubeCall, hz: number, ms: number, command: "terminate" | "transfer"): void {
  expect(toneMs(call.heard, hz)).toBeGreaterThanOrEqual(ms - 40);
  expect(eventsOf(call, ["playedStream", command]).slice(-2)).toEqual(["playedStream", command]);
  const sent = call.timeline.find((e) => e.event === command)!;
  expect((sent.detail as { queuedMs: number }).queuedMs).toBe(0); // nothing of it was still waiting to be played
}

describe("system end_call", () => {
  for (const toolResponse of ["before_audio", "after_audio"] as const) {
    test(`tool response ${toolResponse.replace("_", " ")}: the goodbye is heard in full, then terminate`, async () => {
      h = await strictHarness({ agent: { firstMessage: null } });
      const sessionId = `bye-${toolResponse}`;
      const { call, conv } = await liveCall(h, sessionId);
      await h.run(conv.endCall({ goodbye: { durationMs: GOODBYE_MS, toneHz: GOODBYE_HZ }, toolResponse, fullPayload: true }), 5000, "the agent's end_call");
      await h.run(call.waitFor("terminate", 10_000), 10_000, "terminate");
      expectHeardThen(call, GOODBYE_HZ, GOODBYE_MS, "terminate");
      expect((await h.recordOf(sessionId)).record.endReason).toBe("agent_end_call");
    });
  }

  test("tool response 1.5 s before the goodbye's first audio (slow speech synthesis), the server's close after it: the goodbye is heard in full", async () => {
    h = await strictHarness({ agent: { firstMessage: null } });
    const { call, conv } = await liveCall(h, "bye-slow");
    conv.systemToolResponse("end_call");
    await h.clock.advance(1500);
    expect(eventsOf(call, ["terminate"])).toEqual([]);
    await h.run(conv.speak({ durationMs: GOODBYE_MS, toneHz: GOODBYE_HZ }));
    conv.close(1000);
    await h.run(call.waitFor("terminate", 10_000), 10_000, "terminate");
    expectHeardThen(call, GOODBYE_HZ, GOODBYE_MS, "terminate");
    expect((await h.recordOf("bye-slow")).record.endReason).toBe("agent_end_call");
  });
});

describe("system transfer_to_number", () => {
  for (const order of ["response_first", "full_payload_first"] as const) {
    test(`${order.replaceAll("_", " ")}: the tool's own number wins over the bot's, after the agent's last words`, async () => {
      h = await strictHarness({ agent: { firstMessage: null }, bots: { [DID]: botFor({ transferNumber: "9000000001" }) } });
      const sessionId = `xfer-${order}`;
      const { call, conv } = await liveCall(h, sessionId);
      void conv.speak({ durationMs: 1200, toneHz: GOODBYE_HZ });
      await h.run(call.waitForTimeline("playback-start"));
      conv.transferToNumber({ number: "+91 98765 43210", order });
      const transfer = await h.run(call.waitFor("transfer", 10_000), 10_000, "transfer");
      expect(transfer).toEqual({ event: "transfer", streamId: call.streamId, number: "9876543210" });
      expectHeardThen(call, GOODBYE_HZ, 1200, "transfer");
      expect(call.received.filter((f) => f.event === "transfer")).toHaveLength(1);
      const { record } = await h.recordOf(sessionId);
      expect(record).toMatchObject({ endReason: "transfer", transferTo: "9876543210" });
    });
  }
});

describe("maximum duration", () => {
  test("the service's max-duration message is heard in full, then terminate; end_reason max_duration", async () => {
    const messageMs = 1600;
    h = await strictHarness({ agent: { maxDurationMs: 4000, maxDurationMessage: { text: "Time is up. Goodbye.", durationMs: messageMs } } });
    const call = await h.call({ sessionId: "maxdur-1" });
    await h.run(call.waitFor("terminate", 10_000), 10_000, "terminate");
    const startMs = call.timeline.find((e) => e.event === "start")!.atMs;
    expect(call.timeline.find((e) => e.event === "terminate")!.atMs - startMs).toBeGreaterThanOrEqual(4000);
    expectHeardThen(call, MAX_DURATION_TONE_HZ, messageMs, "terminate");
    const { record } = await h.recordOf("maxdur-1");
    expect(record.endReason).toBe("max_duration");
    expect(logsWith(h, "maximum conversation duration")).toHaveLength(1);
  });
});
