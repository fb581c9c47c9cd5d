/**
 * The fake agent's scripted events, as the real service sends them: turn ends (agent_response_complete), both orders
 * of system tool responses, interruption ids, MCP approvals, DTMF requests and every official event on demand.
 * All on a TestClock.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { SERVER_EVENT_EXAMPLES, startFakeAgentServer, type FakeAgentOptions, type FakeAgentServer, type FakeConversation } from "../../src/sim/fake-agent-server.ts";
import { TestClock } from "../helpers/test-clock.ts";
import { connect, INIT, type TestClient } from "./ws-client.ts";

let server: FakeAgentServer | undefined;
let client: TestClient | undefined;
afterEach(async () => {
  client?.ws.close();
  client = undefined;
  await server?.stop();
  server = undefined;
});

/** A started conversation (init sent, metadata received) on a fresh TestClock. */
async function conversation(options: FakeAgentOptions = {}): Promise<{ clock: TestClock; conv: FakeConversation; client: TestClient }> {
  const clock = new TestClock();
  server = await startFakeAgentServer({ clock, pingIntervalMs: 600_000, firstMessage: null, ...options });
  client = connect(`ws://127.0.0.1:${server.port}/v1/convai/conversation?agent_id=agent_1`, { clock });
  client.send(INIT);
  const conv = await clock.run(server.nextConversation(), 1000);
  await clock.until(() => client!.frames.length > 0, 1000);
  return { clock, conv, client };
}

/** Frames after the metadata, as "type" or "type:detail" for the events whose detail matters here. */
function sequence(c: TestClient): string[] {
  return c.frames.slice(1).map((f) => {
    if (f.type === "agent_tool_response") return `tool_response:${f.agent_tool_response.tool_name}`;
    if (f.type === "agent_tool_response_full_payload") return `full_payload:${f.agent_tool_response_full_payload.tool_name}`;
    if (f.type === "mcp_tool_call") return `mcp:${f.mcp_tool_call.state}`;
    return f.type;
  });
}

/** Consecutive audio frames collapsed into one "audio…" entry. */
function collapsed(c: TestClient): string[] {
  return sequence(c).filter((t, i, all) => !(t === "audio" && all[i - 1] === "audio")).map((t) => (t === "audio" ? "audio…" : t));
}

describe("agent turns", () => {
  test("agent_response_complete follows each turn's last audio, with the turn's event_id", async () => {
    const { clock, conv, client } = await conversation();
    const first = conv.speak({ durationMs: 800 });
    const second = conv.speak({ durationMs: 600 });
    const ids = [await clock.run(first, 2000), await clock.run(second, 2000)];
    expect(collapsed(client)).toEqual(["agent_response", "audio…", "agent_response_complete", "agent_response", "audio…", "agent_response_complete"]);
    const completes = client.frames.filter((f) => f.type === "agent_response_complete").map((f) => f.agent_response_complete_event.event_id);
    expect(completes).toEqual(ids);
  });

  test("agentResponseComplete false leaves it out (real servers are not reliably prompt); a turn can ask for it", async () => {
    const { clock, conv, client } = await conversation({ agentResponseComplete: false });
    await clock.run(conv.speak({ durationMs: 400 }), 2000);
    await clock.run(conv.speak({ durationMs: 400, agentResponseComplete: true }), 2000);
    expect(collapsed(client)).toEqual(["agent_response", "audio…", "agent_response", "audio…", "agent_response_complete"]);
  });

  test("an interrupted turn gets no agent_response_complete; interruption ids are newer than the turn, or equal with sameEventId", async () => {
    const { clock, conv, client } = await conversation({ realtimeFactor: 1 });
    const turn = conv.speak({ durationMs: 5000 });
    await clock.until(() => client.frames.some((f) => f.type === "audio"), 1000);
    const newer = await conv.interrupt();
    const turnId = await clock.run(turn, 2000);
    expect(newer).toBeGreaterThan(turnId);
    const again = conv.speak({ durationMs: 5000 });
    await clock.until(() => client.frames.filter((f) => f.type === "agent_response").length === 2, 1000);
    const equal = await conv.interrupt({ sameEventId: true, staleAudioMs: 200 });
    const secondId = await clock.run(again, 2000);
    expect(equal).toBe(secondId);
    await clock.advance(100);
    expect(client.frames.some((f) => f.type === "agent_response_complete")).toBe(false);
    const interruptions = client.frames.filter((f) => f.type === "interruption").map((f) => f.interruption_event.event_id);
    expect(interruptions).toEqual([newer, secondId]);
    const last = client.frames.findLastIndex((f) => f.type === "interruption");
    expect(client.frames.slice(last + 1).every((f) => f.type === "audio" && f.audio_event.event_id === secondId)).toBe(true);
  });
});

describe("system tools", () => {
  test("end_call before the goodbye audio: tool response first (same event_id), then the goodbye, then close 1000", async () => {
    const { clock, conv, client } = await conversation();
    const ending = conv.endCall({ goodbye: { durationMs: 2000, text: "Goodbye" }, toolResponse: "before_audio" });
    const closed = await clock.run(client.closed, 5000);
    await clock.run(ending, 100);
    expect(closed.code).toBe(1000);
    expect(collapsed(client)).toEqual(["tool_response:end_call", "agent_response", "audio…", "agent_response_complete"]);
    const tool = client.frames.find((f) => f.type === "agent_tool_response").agent_tool_response;
    expect(tool).toMatchObject({ tool_type: "system", is_error: false, is_called: true });
    expect(tool.event_id).toBe(client.frames.find((f) => f.type === "agent_response").agent_response_event.event_id);
    // The socket closes once the audio is out (streamed ahead of real time): long before a caller has heard it.
    expect(client.arrivals.at(-1)).toBeLessThan(2000);
  });

  test("end_call after the goodbye audio, with its full payload: audio, turn end, tool responses, close 1000", async () => {
    const { clock, conv, client } = await conversation();
    void conv.endCall({ goodbye: { durationMs: 1000 }, toolResponse: "after_audio", fullPayload: true, reason: "done" });
    expect((await clock.run(client.closed, 5000)).code).toBe(1000);
    expect(collapsed(client)).toEqual(["agent_response", "audio…", "agent_response_complete", "tool_response:end_call", "full_payload:end_call"]);
    const full = client.frames.at(-1).agent_tool_response_full_payload;
    expect(JSON.parse(full.full_tool_result)).toEqual({ status: "success", reason: "done" });
  });

  test("end_call waits for the turns queued before it", async () => {
    const { clock, conv, client } = await conversation();
    void conv.speak({ durationMs: 600 });
    void conv.endCall({ goodbye: null, toolResponse: "after_audio" });
    await clock.run(client.closed, 5000);
    expect(collapsed(client)).toEqual(["agent_response", "audio…", "agent_response_complete", "tool_response:end_call"]);
  });

  for (const order of ["full_payload_first", "response_first"] as const) {
    test(`transfer_to_number, ${order}: full_tool_result carries transfer_number; both share the tool_call_id`, async () => {
      const { clock, conv, client } = await conversation();
      const toolCallId = conv.transferToNumber({ number: "9876543210", order });
      await clock.until(() => client.frames.length === 3, 1000);
      const expected = ["full_payload:transfer_to_number", "tool_response:transfer_to_number"];
      expect(sequence(client)).toEqual(order === "full_payload_first" ? expected : expected.reverse());
      const full = client.frames.find((f) => f.type === "agent_tool_response_full_payload").agent_tool_response_full_payload;
      expect(full).toMatchObject({ tool_name: "transfer_to_number", tool_call_id: toolCallId, tool_type: "system", is_error: false });
      expect(JSON.parse(full.full_tool_result)).toMatchObject({ status: "success", transfer_number: "9876543210" });
      expect(client.frames.find((f) => f.type === "agent_tool_response").agent_tool_response.tool_call_id).toBe(toolCallId);
      expect(client.ws.readyState).toBe(WebSocket.OPEN); // the gateway transfers; the service does not hang up
    });
  }

  test("play_keypad_touch_tone carries dtmf_tones in its full payload; dtmf_request asks for digits (shape unconfirmed)", async () => {
    const { clock, conv, client } = await conversation();
    await clock.run(conv.speak({ durationMs: 200 }), 1000);
    conv.playKeypadTouchTone("1w2#");
    const eventId = conv.dtmfRequest("1234");
    await clock.until(() => client.frames.some((f) => f.type === "dtmf_request"), 1000);
    const full = client.frames.find((f) => f.type === "agent_tool_response_full_payload").agent_tool_response_full_payload;
    expect(full.tool_name).toBe("play_keypad_touch_tone");
    expect(JSON.parse(full.full_tool_result)).toMatchObject({ status: "success", dtmf_tones: "1w2#" });
    expect(client.frames.at(-1)).toEqual({ type: "dtmf_request", dtmf_request_event: { digits: "1234", event_id: eventId } });
    expect(eventId).toBe(conv.lastAgentEventId);
  });
});

describe("MCP tool approval", () => {
  const approval = (c: TestClient, isApproved: boolean) => {
    const call = c.frames.find((f) => f.type === "mcp_tool_call").mcp_tool_call;
    c.send({ type: "mcp_tool_approval_result", tool_call_id: call.tool_call_id, is_approved: isApproved });
  };

  for (const isApproved of [true, false]) {
    test(`the turn after an approval request waits for the client's answer (${isApproved ? "approved" : "rejected"})`, async () => {
      const { clock, conv, client } = await conversation();
      const outcome = conv.mcpToolCall({ toolName: "lookup_booking", approvalTimeoutSecs: 30 });
      void conv.speak({ durationMs: 400 });
      await clock.advance(2000);
      expect(sequence(client)).toEqual(["mcp:awaiting_approval"]); // stalled: no agent_response yet
      const request = client.frames[1].mcp_tool_call;
      expect(request).toMatchObject({ tool_name: "lookup_booking", state: "awaiting_approval", approval_timeout_secs: 30, timestamp: "2026-12-01T10:00:00.000Z" });
      approval(client, isApproved);
      expect((await clock.run(outcome, 1000)).decision).toBe(isApproved ? "approved" : "rejected");
      await clock.until(() => client.frames.some((f) => f.type === "agent_response_complete"), 2000);
      const after = isApproved ? ["mcp:loading", "mcp:success"] : ["mcp:failure"];
      expect(collapsed(client)).toEqual(["mcp:awaiting_approval", ...after, "agent_response", "audio…", "agent_response_complete"]);
      expect(conv.messages).toContainEqual({ type: "mcp_tool_approval_result", tool_call_id: request.tool_call_id, is_approved: isApproved });
    });
  }

  test("no answer: the call fails at approval_timeout_secs, and the turn goes on from there", async () => {
    const { clock, conv, client } = await conversation();
    const outcome = conv.mcpToolCall({ approvalTimeoutSecs: 30 });
    void conv.speak({ durationMs: 400 });
    expect((await clock.run(outcome, 31_000)).decision).toBe("timed_out");
    await clock.until(() => client.frames.some((f) => f.type === "agent_response"), 1000);
    const failure = client.frames.findIndex((f) => f.mcp_tool_call?.state === "failure");
    expect(client.arrivals[failure]).toBe(30_000);
    expect(client.frames[failure].mcp_tool_call.error_message).toContain("approval");
  });
});

test("every server event of the official schema (and the three unconfirmed ones) can be sent on demand, as is", async () => {
  const { clock, conv, client } = await conversation();
  const examples = Object.values(SERVER_EVENT_EXAMPLES);
  for (const event of examples.filter((e) => e.type !== "error")) conv.sendEvent(event);
  await clock.until(() => client.frames.length === examples.length, 1000);
  expect(client.frames.slice(1)).toEqual(examples.filter((e) => e.type !== "error"));
  expect(examples.length).toBe(30);
});
