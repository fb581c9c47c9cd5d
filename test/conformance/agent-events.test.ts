/**
 * Issue 12, what the agent sends mid-call, against the strict fake through real sockets: every official server
 * event is known (no "ignoring a frame" warning, the call stays healthy), error frames are logged with their
 * fields, and an MCP tool waiting for approval is answered by policy so the agent's turn goes on.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { SERVER_EVENT_EXAMPLES, type ServerEventType } from "../../src/sim/fake-agent-server.ts";
import { toneMs } from "../../src/sim/tones.ts";
import { botFor, DID, type Harness } from "../call/harness.ts";
import { eventsOf, ignoredKinds, liveCall, logsWith, strictHarness } from "./helpers.ts";

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

/** Examples whose tool (named here) asks the phone line to end or transfer the call: each gets a call of its own. */
const ENDING_EVENTS: Partial<Record<ServerEventType, string>> = {
  client_tool_call: "transfer_call",
  agent_tool_response: "end_call",
  agent_tool_response_full_payload: "transfer_to_number",
};
const endingTypes = Object.keys(ENDING_EVENTS) as ServerEventType[];

describe("every official server event", () => {
  test("sent mid-call, none is ignored or warned about, and the call stays healthy: the next turn is heard in full", async () => {
    h = await strictHarness({ agent: { firstMessage: null } });
    const { call, conv } = await liveCall(h, "events-all");
    const sent = Object.values(SERVER_EVENT_EXAMPLES).filter((frame) => !endingTypes.includes(frame.type));
    expect(sent.length).toBeGreaterThan(25);
    for (const frame of sent) conv.sendEvent(frame);
    await h.clock.advance(500);
    expect(ignoredKinds(h)).toEqual([]);
    expect(h.manager.get("events-all")?.state).toBe("live");
    // Events that ask something of the bridge got it: the pong, the MCP answer, the key presses, the cleared audio.
    expect(conv.messages.some((m: any) => m.type === "pong" && m.event_id === 1)).toBe(true);
    expect(conv.messages.some((m: any) => m.type === "mcp_tool_approval_result" && m.tool_call_id === "mcp_call_example")).toBe(true);
    expect(call.timeline.filter((e) => e.event === "sendDTMF").map((e) => e.detail)).toEqual([{ digits: "1234" }]);
    expect(eventsOf(call, ["clearAudio"])).toEqual(["clearAudio"]);

    await h.run(conv.speak({ durationMs: 900, toneHz: 660, eventId: 100 }));
    await h.run(call.waitForTimeline("playedStream"), 3000, "the turn's checkpoint");
    expect(toneMs(call.heard, 660)).toBeGreaterThanOrEqual(900 - 40);
    expect(eventsOf(call, ["transfer", "terminate"])).toEqual([]);
    call.hangup();
    const { record } = await h.recordOf("events-all");
    expect(record.endReason).toBe("caller_hangup");
    expect(ignoredKinds(h)).toEqual([]);
  });

  for (const type of endingTypes) {
    test(`${type} (${ENDING_EVENTS[type]}): carried out, never ignored`, async () => {
      h = await strictHarness({ agent: { firstMessage: null }, bots: { [DID]: botFor({ transferNumber: "9000000001" }) } });
      const sessionId = `events-${type}`;
      const { call, conv } = await liveCall(h, sessionId);
      conv.sendEvent(SERVER_EVENT_EXAMPLES[type]);
      const command = type === "agent_tool_response" ? "terminate" : "transfer";
      const frame = await h.run(call.waitFor(command, 10_000), 10_000, command);
      if (type === "agent_tool_response_full_payload") expect(frame.number).toBe("9876543210");
      if (type === "client_tool_call") expect(frame.number).toBe("9000000001");
      expect(ignoredKinds(h)).toEqual([]);
      call.hangup();
      await h.recordOf(sessionId);
    });
  }
});

describe("error frames", () => {
  test("logged with what they carry: only a code, or a code with error_type, message and debug_message; the call goes on", async () => {
    h = await strictHarness({ agent: { firstMessage: null } });
    const { call, conv } = await liveCall(h, "errors-1");
    conv.sendEvent({ type: "error", error_event: { code: 1011 } });
    conv.sendEvent({
      type: "error",
      error_event: { code: 1008, error_type: "llm_timeout", message: "The language model did not answer in time", debug_message: "llm latency 12s (tier 2)" },
    });
    await h.clock.advance(100);
    const lines = logsWith(h, "agent sent an error");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: "warn", code: 1011 });
    expect(lines[0]).not.toHaveProperty("message");
    expect(lines[1]).toMatchObject({ level: "warn", code: 1008, error_type: "llm_timeout", message: "The language model did not answer in time", debug_message: "llm latency 12s (tier 2)" });
    expect(h.manager.get("errors-1")?.state).toBe("live");
    call.hangup();
    expect((await h.recordOf("errors-1")).record.endReason).toBe("caller_hangup");
  });

  test("an error frame followed by the close: the error's fields are logged and the failure names its type", async () => {
    h = await strictHarness({ agent: { firstMessage: null }, env: { AGENT_RECONNECTS: "0" }, bots: { [DID]: botFor({ fallbackNumber: "9333333333" }) } });
    const { call, conv } = await liveCall(h, "errors-2");
    conv.error(1011, "unknown_websocket_crash", "Internal server error", { debugMessage: "worker 7 restarted" });
    expect((await h.run(call.waitFor("transfer", 5000), 5000)).number).toBe("9333333333");
    expect(logsWith(h, "agent sent an error")[0]).toMatchObject({ code: 1011, error_type: "unknown_websocket_crash", message: "Internal server error", debug_message: "worker 7 restarted" });
    expect((await h.recordOf("errors-2")).record.errorDetail).toContain("unknown_websocket_crash");
  });
});

describe("MCP tools waiting for approval", () => {
  for (const [policy, env, bot, decision] of [
    ["default", {}, {}, "rejected"],
    ["MCP_TOOL_APPROVAL=approve", { MCP_TOOL_APPROVAL: "approve" }, {}, "approved"],
    ["the bot's own policy over MCP_TOOL_APPROVAL=reject", { MCP_TOOL_APPROVAL: "reject" }, { mcpApproval: "approve" as const }, "approved"],
  ] as const) {
    test(`${policy}: the request is ${decision} at once, and the agent's turn goes on`, async () => {
      h = await strictHarness({ agent: { firstMessage: null }, env, bots: { [DID]: botFor(bot) } });
      const sessionId = `mcp-${decision}-${Object.keys(bot).length}`;
      const { call, conv } = await liveCall(h, sessionId);
      const outcome = conv.mcpToolCall({ toolName: "lookup_booking" });
      // Queued behind the tool call: the service speaks only once it has the answer.
      void conv.speak({ durationMs: 800, toneHz: 880 });
      const clock = h.clock;
      const askedAtMs = clock.now();
      expect((await h.run(outcome, 1000, "the approval answer")).decision).toBe(decision);
      expect(clock.now() - askedAtMs).toBeLessThan(100); // answered at once, not after the service's 300 s timeout
      const answer: any = conv.messages.find((m: any) => m.type === "mcp_tool_approval_result");
      expect(answer.is_approved).toBe(decision === "approved");
      await h.run(call.waitForTimeline("playedStream"), 3000, "the turn after the tool");
      expect(toneMs(call.heard, 880)).toBeGreaterThanOrEqual(800 - 40);
      const line = logsWith(h, decision === "approved" ? "approved an MCP tool call" : "rejected an MCP tool call")[0];
      expect(line).toMatchObject({ level: "info", tool_name: "lookup_booking" });
      call.hangup();
      await h.recordOf(sessionId);
    });
  }
});
