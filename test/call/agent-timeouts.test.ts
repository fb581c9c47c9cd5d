/**
 * Step 9, "the caller is never left in silence": a stalled agent setup ends at AGENT_CONNECT_TIMEOUT_MS
 * and a live agent connection that dies without a close is noticed after AGENT_IDLE_TIMEOUT_MS; both
 * transfer the caller to the fallback number. A quiet but healthy agent is left alone.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { pingIntervalMs } from "../../src/call/agent-liveness.ts";
import { FIRST_MESSAGE_TONE_HZ } from "../../src/sim/fake-agent-server.ts";
import { toneMs } from "../../src/sim/tones.ts";
import { botFor, DID, expectNothingLeft, startHarness, timelineAtMs, type Harness } from "./harness.ts";

const FALLBACK = "9333333333";
const API_KEY = "xi-test-key-0123456789";
const CONNECT_TIMEOUT_MS = 800;
const IDLE_TIMEOUT_MS = 800;
/** The promise: the fallback transfer comes within 2 s of the failure (of call time: one clock drives every part). */
const FALLBACK_WITHIN_MS = 2000;

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

/** The set-up request has reached the stalled stage of the service. */
function stalledAt(harness: Harness, stall: "signed_url" | "upgrade" | "metadata"): boolean {
  return stall === "metadata" ? harness.agent.conversations.length === 1 : harness.agent.stats.stalledRequests === 1;
}

describe("AGENT_CONNECT_TIMEOUT_MS: one deadline for the whole agent setup", () => {
  for (const stall of ["signed_url", "upgrade", "metadata"] as const) {
    test(`a service stalled at ${stall}: fallback transfer once the deadline passes, within ${FALLBACK_WITHIN_MS} ms of it, never retried`, async () => {
      h = await startHarness({
        agent: { stall, apiKey: API_KEY },
        env: { ELEVENLABS_API_KEY: API_KEY, AGENT_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS) },
        bots: { [DID]: botFor({ fallbackNumber: FALLBACK }) },
      });
      const sessionId = `deadline-${stall}`;
      const call = await h.call({ sessionId });
      // The stalled request reaches the service before any call time passes; then the deadline runs.
      await h.clock.settleUntil(() => stalledAt(h!, stall), `the request stalled at ${stall}`);
      const transfer = await h.run(call.waitFor("transfer"));
      expect(transfer.number).toBe(FALLBACK);
      // The deadline starts after the socket opened, so the transfer cannot come before it…
      expect(timelineAtMs(call, "transfer") - timelineAtMs(call, "connected")).toBeGreaterThanOrEqual(CONNECT_TIMEOUT_MS);
      // …and comes within the deadline + 2 s of start (each stage alone used to wait 5 s).
      expect(timelineAtMs(call, "transfer") - timelineAtMs(call, "start")).toBeLessThanOrEqual(CONNECT_TIMEOUT_MS + FALLBACK_WITHIN_MS);
      expect(call.received.some((f) => f.event === "playAudio")).toBe(false);
      const { record } = await h.recordOf(sessionId);
      expect(record.endReason).toBe("fallback_transfer");
      expect(record.transferTo).toBe(FALLBACK);
      expect(record.errorDetail).toContain("AGENT_CONNECT_TIMEOUT_MS");
      // A timeout is never retried: exactly one request reached the stalled stage.
      if (stall === "signed_url") expect(h.agent.stats).toMatchObject({ signedUrlRequests: 1, stalledRequests: 1, connections: 0 });
      if (stall === "upgrade") expect(h.agent.stats).toMatchObject({ signedUrlRequests: 1, stalledRequests: 1, connections: 0 });
      if (stall === "metadata") expect(h.agent.stats).toMatchObject({ signedUrlRequests: 1, stalledRequests: 0, connections: 1 });
      await expectNothingLeft(h);
    });
  }

  test("the wait for Mcube's start does not spend the budget: start later than the deadline, the call still connects", async () => {
    h = await startHarness({ env: { AGENT_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS) }, bots: { [DID]: botFor({ fallbackNumber: FALLBACK }) } });
    // X-DID in the upgrade headers: the agent opens at once and then waits for start.
    const call = await h.call({ sessionId: "deadline-late-start", startDelayMs: CONNECT_TIMEOUT_MS * 2 });
    await h.run(call.waitForTimeline("playedStream")); // the greeting was heard in full
    expect(timelineAtMs(call, "start")).toBeGreaterThanOrEqual(CONNECT_TIMEOUT_MS * 2); // start really came after the deadline would have passed
    expect(toneMs(call.heard, FIRST_MESSAGE_TONE_HZ)).toBeGreaterThanOrEqual(1500 - 40);
    expect(call.received.some((f) => f.event === "transfer")).toBe(false);
    call.hangup();
    expect((await h.recordOf("deadline-late-start")).record.endReason).toBe("caller_hangup");
  });

  for (const stall of ["signed_url", "upgrade", "metadata"] as const) {
    test(`the caller hangs up during a setup stalled at ${stall}: nothing is left, nothing fires later`, async () => {
      const connectTimeoutMs = 1500;
      h = await startHarness({
        agent: { stall, apiKey: API_KEY },
        env: { ELEVENLABS_API_KEY: API_KEY, AGENT_CONNECT_TIMEOUT_MS: String(connectTimeoutMs) },
        bots: { [DID]: botFor({ fallbackNumber: FALLBACK }) },
      });
      const sessionId = `deadline-hangup-${stall}`;
      const call = await h.call({ sessionId });
      await h.run(call.waitForTimeline("start"));
      const agent = h.agent;
      await h.clock.settleUntil(() => stalledAt(h!, stall), `the request stalled at ${stall}`);
      call.hangup();
      const { record } = await h.recordOf(sessionId);
      expect(record.endReason).toBe("caller_hangup");
      await expectNothingLeft(h);
      if (stall === "metadata") expect((await h.run(agent.conversations[0]!.closed)).code).toBe(1000); // the agent socket was closed
      // Past the deadline nothing wakes up: no fallback, no second record.
      await h.clock.advance(connectTimeoutMs + 300);
      expect(h.records.length).toBe(1);
      expect(h.logLines.some((l) => l.includes("fallback"))).toBe(false);
      expect(call.received.some((f) => f.event === "transfer")).toBe(false);
      expect(h.manager.debugState()).toEqual({ calls: {}, agentConnectionsInUse: 0, waitingForAgent: 0 });
      expect(h.clock.pending).toBe(0); // and nothing is left armed to wake up later still
    });
  }
});

describe("AGENT_IDLE_TIMEOUT_MS: an agent connection that dies without a close", () => {
  test("a frozen agent mid-call (no frames, no pongs, no close), with reconnects off: fallback transfer after the idle timeout", async () => {
    h = await startHarness({ env: { AGENT_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS), AGENT_RECONNECTS: "0" }, bots: { [DID]: botFor({ fallbackNumber: FALLBACK }) } });
    const sessionId = "idle-frozen";
    const call = await h.call({ sessionId });
    const conv = await h.run(h.agent.nextConversation());
    await h.run(call.waitForTimeline("playedStream")); // the greeting was heard: the call is live
    const frozenAtMs = call.timeline.at(-1)!.atMs;
    conv.freeze();
    const transfer = await h.run(call.waitFor("transfer"));
    expect(transfer).toEqual({ event: "transfer", streamId: call.streamId, number: FALLBACK });
    const waitedMs = timelineAtMs(call, "transfer") - frozenAtMs;
    // Silence is counted from the last pong before the freeze, at most one ping interval earlier.
    expect(waitedMs).toBeGreaterThanOrEqual(IDLE_TIMEOUT_MS - pingIntervalMs(IDLE_TIMEOUT_MS));
    expect(waitedMs).toBeLessThanOrEqual(IDLE_TIMEOUT_MS + FALLBACK_WITHIN_MS);
    const { record } = await h.recordOf(sessionId);
    expect(record.endReason).toBe("fallback_transfer");
    expect(record.transferTo).toBe(FALLBACK);
    expect(record.errorDetail).toContain("agent went silent");
    await expectNothingLeft(h);
  });

  test("a healthy agent that stays quiet (no frames at all, but answering WebSocket pings) is not transferred", async () => {
    const idleTimeoutMs = 600;
    // No greeting and no server pings for a minute: only the pongs to the gateway's pings arrive.
    h = await startHarness({ agent: { firstMessage: null, pingIntervalMs: 60_000 }, env: { AGENT_IDLE_TIMEOUT_MS: String(idleTimeoutMs) } });
    const sessionId = "idle-quiet";
    const call = await h.call({ sessionId });
    const conv = await h.run(h.agent.nextConversation());
    await h.run(conv.init);
    await h.until(() => h!.manager.get(sessionId)?.state === "live", 5000, "the call to go live");
    await h.clock.advance(idleTimeoutMs * 4);
    expect(call.received.some((f) => f.event === "transfer")).toBe(false);
    expect(h.manager.get(sessionId)?.state).toBe("live");
    // And the agent still talks to the caller.
    await h.run(conv.speak({ durationMs: 400, toneHz: 660 }));
    await h.run(call.waitForTimeline("playback-start"));
    call.hangup();
    expect((await h.recordOf(sessionId)).record.endReason).toBe("caller_hangup");
    await expectNothingLeft(h);
  });

  test("AGENT_IDLE_TIMEOUT_MS=0 disables the watch: a frozen agent is not transferred for it", async () => {
    h = await startHarness({ env: { AGENT_IDLE_TIMEOUT_MS: "0" } });
    const sessionId = "idle-off";
    const call = await h.call({ sessionId });
    const conv = await h.run(h.agent.nextConversation());
    await h.run(call.waitForTimeline("playedStream"));
    conv.freeze();
    await h.clock.advance(1500);
    expect(call.received.some((f) => f.event === "transfer")).toBe(false);
    call.hangup();
    expect((await h.recordOf(sessionId)).record.endReason).toBe("caller_hangup");
    await expectNothingLeft(h);
  });
});
