/**
 * Issue 14 §4 through real sockets, in call time: a peer that stops reading costs the gateway at most
 * MAX_SEND_BUFFER_BYTES of queued data; the audio meant for it is dropped and counted; past
 * SEND_STALL_TIMEOUT_MS a Mcube that does not read ends the call (recorded send_stall), and an agent that
 * does not read is treated as lost (a new conversation, or the fallback transfer).
 */
import { afterEach, describe, expect, test } from "bun:test";
import { droppedSendBytes, sendStalls } from "../../src/call/call-metrics.ts";
import type { SessionDebugState } from "../../src/call/call-record.ts";
import { tonePcm16 } from "../../src/sim/tones.ts";
import { tcpSockets } from "../helpers/tcp-table.ts";
import { until } from "../helpers/wait.ts";
import { botFor, DID, expectNothingLeft, startHarness, type Harness } from "./harness.ts";

const MAX_BUFFER_BYTES = 65_536;
const STALL_TIMEOUT_MS = 1000;
/** Past the bound by at most one frame: a 100 ms playAudio of 16 kHz L16 as base64 JSON, or one user_audio_chunk, and a command. */
const ONE_FRAME_SLACK_BYTES = 8 * 1024;
const FALLBACK = "9333333333";
const L16_16K = { encoding: "audio/x-l16", sampleRate: 16000 } as const;
/** The harness looks at the call once per this much call time (h.until's step). */
const STEP_MS = 20;

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

/** Watches one call's socket figures at every step of call time: the largest backlog seen, and when dropping began. */
function watchSockets(harness: Harness, sessionId: string, leg: "mcube" | "agent") {
  const seen = { maxBufferedBytes: 0, droppedBytes: 0, firstDropAtMs: undefined as number | undefined };
  const sample = (): void => {
    const state: SessionDebugState | undefined = harness.manager.debugState().calls[sessionId];
    if (!state) return;
    const buffered = leg === "mcube" ? state.mcubeBufferedBytes : state.agentBufferedBytes;
    const dropped = leg === "mcube" ? state.mcubeDroppedBytes : state.agentDroppedBytes;
    seen.maxBufferedBytes = Math.max(seen.maxBufferedBytes, buffered);
    seen.droppedBytes = Math.max(seen.droppedBytes, dropped);
    if (dropped > 0) seen.firstDropAtMs ??= harness.clock.now();
  };
  return { seen, sample };
}

describe("Mcube stops reading", () => {
  test("while the agent keeps talking: the backlog stays at MAX_SEND_BUFFER_BYTES, the rest is dropped and counted; after SEND_STALL_TIMEOUT_MS the call ends, recorded send_stall, and its connection is dropped", async () => {
    h = await startHarness({
      // The service streams far ahead of real time, so the loopback TCP buffers fill in little call time.
      agent: { firstMessage: null, realtimeFactor: 100 },
      env: { MAX_SEND_BUFFER_BYTES: String(MAX_BUFFER_BYTES), SEND_STALL_TIMEOUT_MS: String(STALL_TIMEOUT_MS) },
    });
    const sessionId = "bp-mcube";
    const stallsBefore = sendStalls.get({ leg: "mcube" });
    const droppedBefore = droppedSendBytes.get({ leg: "mcube" });
    const call = await h.call({ sessionId, mediaFormat: L16_16K });
    const conv = await h.run(h.agent.nextConversation());
    await h.run(conv.init);
    await h.until(() => h!.manager.get(sessionId)?.state === "live", 2000, "the call to go live");
    call.stopReading();
    const { seen, sample } = watchSockets(h, sessionId, "mcube");
    // Ten minutes of speech: far more than the kernel's buffers and the gateway's bound together.
    void conv.speak({ durationMs: 600_000 });
    await h.until(() => (sample(), seen.firstDropAtMs !== undefined), 20_000, "audio for Mcube to be dropped");
    const droppingFromMs = seen.firstDropAtMs!;
    const droppedAtFirst = seen.droppedBytes;
    // The kernel holds what the gateway wrote and Mcube never read, on the gateway's side of the call's connection.
    const gatewaySide = () => tcpSockets(h!.gateway.port).filter((s) => s.localPort === h!.gateway.port);
    expect(gatewaySide()).toMatchObject([{ state: "established" }]);
    expect(gatewaySide()[0]!.sendQueueBytes).toBeGreaterThan(0);

    await h.until(() => (sample(), h!.records.some((r) => r.record.sessionId === sessionId)), STALL_TIMEOUT_MS + 500, "the call to end");
    const { record } = await h.recordOf(sessionId);
    expect(record.endReason).toBe("send_stall");
    // Ended SEND_STALL_TIMEOUT_MS after the first drop, which was seen at most one step of call time late.
    const endedAfterMs = record.endedAt - h.clock.epochZeroMs - droppingFromMs;
    expect(endedAfterMs).toBeGreaterThan(STALL_TIMEOUT_MS - STEP_MS);
    expect(endedAfterMs).toBeLessThanOrEqual(STALL_TIMEOUT_MS);
    // Meanwhile the agent kept talking: its audio was dropped, never queued past the bound.
    expect(seen.maxBufferedBytes).toBeLessThanOrEqual(MAX_BUFFER_BYTES + ONE_FRAME_SLACK_BYTES);
    expect(seen.droppedBytes).toBeGreaterThan(droppedAtFirst + MAX_BUFFER_BYTES);
    expect(sendStalls.get({ leg: "mcube" }) - stallsBefore).toBe(1);
    expect(droppedSendBytes.get({ leg: "mcube" }) - droppedBefore).toBeGreaterThanOrEqual(seen.droppedBytes);
    expect((await h.run(conv.closed, 1000)).code).toBe(1000); // the agent conversation was closed with the call
    await expectNothingLeft(h);
    // The connection is dropped, not left open waiting for a close frame to pass data Mcube will never read.
    await until(() => gatewaySide().every((s) => s.state !== "established"), 5000, "the gateway to drop the connection");
  });
});

describe("the agent stops reading", () => {
  for (const reconnects of [2, 0]) {
    test(`while the caller keeps talking: caller audio dropped and counted, then the agent is treated as lost (${reconnects ? "a new conversation" : "reconnects off: the fallback transfer"})`, async () => {
      h = await startHarness({
        // 48 kHz input: the caller's audio fills the loopback buffers to the agent in little call time.
        agent: { firstMessage: null, inputFormat: "pcm_48000" },
        env: {
          MAX_SEND_BUFFER_BYTES: String(MAX_BUFFER_BYTES),
          SEND_STALL_TIMEOUT_MS: String(STALL_TIMEOUT_MS),
          AGENT_IDLE_TIMEOUT_MS: "0", // the stall alone notices it here (the idle watch would too)
          AGENT_RECONNECTS: String(reconnects),
        },
        bots: { [DID]: botFor({ fallbackNumber: FALLBACK }) },
      });
      const sessionId = `bp-agent-${reconnects}`;
      const stallsBefore = sendStalls.get({ leg: "agent" });
      const droppedBefore = droppedSendBytes.get({ leg: "agent" });
      const call = await h.call({ sessionId, mediaFormat: L16_16K, audio: { pcm: tonePcm16(500, 120_000, 16000), sampleRate: 16000 } });
      const conv = await h.run(h.agent.nextConversation());
      await h.run(conv.init);
      await h.until(() => h!.manager.get(sessionId)?.state === "live", 2000, "the call to go live");
      conv.freeze();
      const { seen, sample } = watchSockets(h, sessionId, "agent");
      await h.until(() => (sample(), seen.firstDropAtMs !== undefined), 90_000, "caller audio for the agent to be dropped");
      const droppingFromMs = seen.firstDropAtMs!;
      // The kernel holds what the gateway wrote and the agent never read.
      const toAgent = () => tcpSockets(h!.agent.port).filter((s) => s.remotePort === h!.agent.port);
      expect(toAgent()).toMatchObject([{ state: "established" }]);
      expect(toAgent()[0]!.sendQueueBytes).toBeGreaterThan(0);
      const gaveUp = () => h!.manager.get(sessionId)?.reconnects === 1 || h!.manager.get(sessionId)?.state !== "live";
      await h.until(() => (sample(), gaveUp()), STALL_TIMEOUT_MS + 500, "the agent to be given up");
      const gaveUpAfterMs = h.clock.now() - droppingFromMs;

      expect(seen.maxBufferedBytes).toBeLessThanOrEqual(MAX_BUFFER_BYTES + ONE_FRAME_SLACK_BYTES);
      expect(seen.droppedBytes).toBeGreaterThan(0);
      // Both moments are seen at most one step of call time late.
      expect(gaveUpAfterMs).toBeGreaterThan(STALL_TIMEOUT_MS - STEP_MS);
      expect(gaveUpAfterMs).toBeLessThan(STALL_TIMEOUT_MS + STEP_MS);
      expect(sendStalls.get({ leg: "agent" }) - stallsBefore).toBe(1);
      expect(droppedSendBytes.get({ leg: "agent" }) - droppedBefore).toBeGreaterThanOrEqual(seen.droppedBytes);
      // The frozen connection is let go at once (what it held unsent is the kernel's to discard); a reconnect holds the only one left.
      const held = () => toAgent().filter((s) => s.state === "established").length;
      await until(() => held() === (reconnects ? 1 : 0), 5000, "the gateway to let go of the frozen connection");

      if (reconnects) {
        const next = await h.run(h.agent.nextConversation(), 500);
        await h.until(() => h!.manager.get(sessionId)?.state === "live", 1000, "the new conversation to go live");
        await h.until(() => next.userAudio.length > 0, 1000, "the caller's audio to reach the new conversation");
        expect(call.received.some((f) => f.event === "transfer")).toBe(false);
        call.hangup();
        const { record } = await h.recordOf(sessionId);
        expect(record.endReason).toBe("caller_hangup");
        expect(record.conversationIds).toEqual([conv.id, next.id]);
        expect(record.reconnects).toBe(1);
      } else {
        expect((await h.run(call.waitFor("transfer"), 2000)).number).toBe(FALLBACK);
        const { record } = await h.recordOf(sessionId);
        expect(record.endReason).toBe("fallback_transfer");
        expect(record.errorDetail).toContain("SEND_STALL_TIMEOUT_MS");
      }
      await expectNothingLeft(h);
    });
  }
});
