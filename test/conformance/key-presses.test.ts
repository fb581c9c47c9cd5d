/**
 * Issue 12 §5, the agent pressing keys on the phone line (IVR navigation): sendDTMF in Plivo's shape reaches
 * Mcube for dtmf_request, the system tool play_keypad_touch_tone and the client tool send_dtmf, once each.
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { McubeCall } from "../../src/sim/mcube-call.ts";
import type { Harness } from "../call/harness.ts";
import { ignoredKinds, liveCall, strictHarness } from "./helpers.ts";

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

/** The sendDTMF frames Mcube received. */
const sendDtmfFrames = (call: McubeCall) => call.received.filter((f) => f.event === "sendDTMF");

describe("sendDTMF", () => {
  test("dtmf_request: the digits reach Mcube once, as {event: sendDTMF, dtmf}", async () => {
    h = await strictHarness({ agent: { firstMessage: null } });
    const { call, conv } = await liveCall(h, "keys-request");
    conv.dtmfRequest("1234#");
    const entry = await h.run(call.waitForTimeline("sendDTMF"), 1000, "sendDTMF");
    expect(entry.detail).toEqual({ digits: "1234#" });
    await h.clock.advance(200);
    expect(sendDtmfFrames(call)).toEqual([{ event: "sendDTMF", dtmf: "1234#" }]);
    expect(h.manager.get("keys-request")?.state).toBe("live");
    expect(ignoredKinds(h)).toEqual([]);
    call.hangup();
    await h.recordOf("keys-request");
  });

  for (const order of ["full_payload_first", "response_first"] as const) {
    test(`play_keypad_touch_tone (${order.replaceAll("_", " ")}): the tool's dtmf_tones, pauses included, reach Mcube once`, async () => {
      h = await strictHarness({ agent: { firstMessage: null } });
      const sessionId = `keys-keypad-${order}`;
      const { call, conv } = await liveCall(h, sessionId);
      conv.playKeypadTouchTone("w2w5#", order);
      await h.run(call.waitForTimeline("sendDTMF"), 1000, "sendDTMF");
      await h.clock.advance(200);
      expect(sendDtmfFrames(call)).toEqual([{ event: "sendDTMF", dtmf: "w2w5#" }]);
      expect(h.manager.get(sessionId)?.state).toBe("live");
      call.hangup();
      await h.recordOf(sessionId);
    });
  }

  test("client tool send_dtmf: answered with a result, the digits reach Mcube; digits a keypad lacks are refused and nothing is sent", async () => {
    h = await strictHarness({ agent: { firstMessage: null } });
    const { call, conv } = await liveCall(h, "keys-client");
    const id = await conv.clientToolCall("send_dtmf", { digits: "9*1" });
    const result = await h.run(conv.waitForMessage((m) => m.type === "client_tool_result" && m.tool_call_id === id, 1000));
    expect(result).toMatchObject({ is_error: false });
    await h.run(call.waitForTimeline("sendDTMF"), 1000, "sendDTMF");

    const refusedId = await conv.clientToolCall("send_dtmf", { digits: "call me" });
    const refused = await h.run(conv.waitForMessage((m) => m.type === "client_tool_result" && m.tool_call_id === refusedId, 1000));
    expect(refused.is_error).toBe(true);
    expect(refused.result).toContain("digits");
    await h.clock.advance(200);
    expect(sendDtmfFrames(call)).toEqual([{ event: "sendDTMF", dtmf: "9*1" }]);
    call.hangup();
    await h.recordOf("keys-client");
  });
});
