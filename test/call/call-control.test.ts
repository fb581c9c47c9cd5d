/** Steps 9–10: end and transfer wait until the caller heard the agent; configurable Mcube shapes. */
import { afterEach, describe, expect, test } from "bun:test";
import { toneMs } from "../../src/sim/tones.ts";
import { botFor, DID, heardAt, startHarness, type Harness } from "./harness.ts";

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const GOODBYE_HZ = 770;

/** A call whose greeting has played, with the agent about to say a 1.2 s goodbye. */
async function answeredCall(harness: Harness, sessionId: string) {
  const call = await harness.call({ sessionId });
  const conv = await harness.run(harness.agent.nextConversation());
  await harness.run(call.waitForTimeline("playedStream"));
  return { call, conv };
}

describe("end of call", () => {
  for (const how of ["system end_call", "client tool end_call", "agent close 1000"] as const) {
    test(`${how}: the goodbye is heard to its end, then terminate, then close`, async () => {
      h = await startHarness();
      const sessionId = `end-${how.replaceAll(" ", "-")}`;
      const { call, conv } = await answeredCall(h, sessionId);
      await h.run(conv.speak({ durationMs: 1200, toneHz: GOODBYE_HZ }));
      if (how === "system end_call") {
        conv.systemToolResponse("end_call");
        conv.close(1000);
      } else if (how === "client tool end_call") {
        const id = await h.run(conv.clientToolCall("end_call", { reason: "done" }));
        const result = await h.run(conv.waitForMessage((m) => m.type === "client_tool_result"));
        expect(result).toEqual({ type: "client_tool_result", tool_call_id: id, result: "ending the call", is_error: false });
      } else {
        conv.close(1000);
      }
      const { frame, heard } = await h.run(heardAt(call, "terminate"));
      expect(frame).toEqual({ event: "terminate", streamId: call.streamId });
      expect(toneMs(heard, GOODBYE_HZ)).toBeGreaterThanOrEqual(1200 - 40);
      await h.run(call.closed);
      const order = call.timeline.map((e) => e.event).filter((e) => ["playedStream", "terminate", "closed"].includes(e));
      expect(order.slice(-3)).toEqual(["playedStream", "terminate", "closed"]);
      const { record } = await h.recordOf(sessionId);
      expect(record.endReason).toBe("agent_end_call");
      await h.run(conv.closed);
      expect(h.manager.debugState().calls).toEqual({});
    });
  }
});

describe("transfer", () => {
  test("client tool transfer_call: result sent, the message heard, then transfer to the tool's number normalized", async () => {
    h = await startHarness({ bots: { [DID]: botFor({ transferNumber: "9000000001" }) } });
    const { call, conv } = await answeredCall(h, "xfer-1");
    await h.run(conv.speak({ durationMs: 1000, toneHz: GOODBYE_HZ }));
    const id = await h.run(conv.clientToolCall("transfer_call", { phone_number: "+91 98765-43210", reason: "wants sales" }));
    const result = await h.run(conv.waitForMessage((m) => m.type === "client_tool_result"));
    expect(result.tool_call_id).toBe(id);
    expect(result.is_error).toBe(false);
    const { frame, heard } = await h.run(heardAt(call, "transfer"));
    expect(frame).toEqual({ event: "transfer", streamId: call.streamId, number: "9876543210" });
    expect(toneMs(heard, GOODBYE_HZ)).toBeGreaterThanOrEqual(1000 - 40);
    const { record } = await h.recordOf("xfer-1");
    expect(record.endReason).toBe("transfer");
    expect(record.transferTo).toBe("9876543210");
  });

  test("system transfer_to_number: the bot's transfer number; no bot number: AGENT_PHONE_NUMBER", async () => {
    h = await startHarness({ bots: { [DID]: botFor({ transferNumber: "09000000001" }) }, env: { AGENT_PHONE_NUMBER: "+919111111111" } });
    const first = await answeredCall(h, "xfer-2");
    first.conv.systemToolResponse("transfer_to_number");
    expect((await h.run(first.call.waitFor("transfer"))).number).toBe("9000000001");
    const other = await h.call({ sessionId: "xfer-3", upgradeHeaders: { "X-DID": "8000000009" } });
    const conv = await h.run(h.agent.nextConversation());
    await h.run(other.waitForTimeline("playedStream"));
    await h.run(conv.clientToolCall("transfer_call", {}));
    expect((await h.run(other.waitFor("transfer"))).number).toBe("9111111111");
  });

  test("MCUBE_TRANSFER_EVENT, MCUBE_TRANSFER_NUMBER_FIELD and MCUBE_TERMINATE_EVENT change the shapes", async () => {
    h = await startHarness({ env: { MCUBE_TRANSFER_EVENT: "transferCall", MCUBE_TRANSFER_NUMBER_FIELD: "phone", MCUBE_TERMINATE_EVENT: "hangup" } });
    const a = await answeredCall(h, "shape-1");
    await h.run(a.conv.clientToolCall("transfer_call", { phone_number: "9876543210" }));
    expect(await h.run(a.call.waitFor("transferCall"))).toEqual({ event: "transferCall", streamId: a.call.streamId, phone: "9876543210" });
    const b = await answeredCall(h, "shape-2");
    b.conv.close(1000);
    expect(await h.run(b.call.waitFor("hangup"))).toEqual({ event: "hangup", streamId: b.call.streamId });
  });
});

describe("drain", () => {
  test("startDrain refuses new calls with 1013; transferAll transfers live callers; whenIdle resolves", async () => {
    h = await startHarness();
    const { call } = await answeredCall(h, "drain-1");
    h.manager.startDrain();
    const late = await h.call({ sessionId: "drain-2" });
    expect((await h.run(late.closed)).code).toBe(1013);
    h.manager.transferAll("9222222222", "drain");
    expect((await h.run(call.waitFor("transfer"))).number).toBe("9222222222");
    await h.run(h.manager.whenIdle());
    expect((await h.recordOf("drain-1")).record.endReason).toBe("drain");
  });
});
