/** A caller who hangs up before the bridge's transfer went out is recorded as a hang-up, not as a transfer. */
import { afterEach, describe, expect, test } from "bun:test";
import { botFor, DID, startHarness, type Harness } from "./harness.ts";

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

describe("hang-up while a transfer waits for the message to play", () => {
  test("the record says caller_hangup with no transfer number, and no transfer was sent", async () => {
    h = await startHarness({ agent: { firstMessage: null }, bots: { [DID]: botFor({ transferNumber: "9000000001" }) } });
    const call = await h.call({ sessionId: "xfer-gone-1" });
    const conv = await h.run(h.agent.nextConversation());
    await h.run(conv.init);
    await h.run(conv.speak({ durationMs: 3000, toneHz: 700 })); // long message: the transfer waits for it to play
    await h.run(conv.clientToolCall("transfer_call", {}));
    await h.run(conv.waitForMessage((m) => m.type === "client_tool_result"));
    await h.run(call.waitForTimeline("playback-start"));
    expect(call.queuedMs).toBeGreaterThan(0); // the message is still playing when the caller leaves
    call.hangup();
    const { record } = await h.recordOf("xfer-gone-1");
    expect(call.received.some((f) => f.event === "transfer")).toBe(false);
    expect(record.endReason).toBe("caller_hangup");
    expect(record.transferTo).toBeUndefined();
  });
});
