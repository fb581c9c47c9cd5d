/** Step 4 and 9 fallback paths: the caller is never left in silence; settings errors are never retried. */
import { afterEach, describe, expect, test } from "bun:test";
import { FIRST_MESSAGE_TONE_HZ } from "../../src/sim/fake-agent-server.ts";
import { toneMs } from "../../src/sim/tones.ts";
import { botFor, DID, heardAt, startHarness, timelineAtMs, type Harness } from "./harness.ts";

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const FALLBACK = "9333333333";
const API_KEY = "xi-test-key-0123456789";

/** Log lines (parsed) whose message contains `text`. */
function logsWith(harness: Harness, text: string): any[] {
  return harness.logLines.map((l) => JSON.parse(l)).filter((l) => String(l.msg).includes(text));
}

describe("agent fails mid-call", () => {
  for (const [what, act] of [
    ["error frame then 1011", (c: any) => c.error(1011, "unknown_websocket_crash", "boom")],
    ["close 1002", (c: any) => c.close(1002)],
  ] as const) {
    test(`${what}, with reconnects off: transfer to the bot's fallback number after the queued audio`, async () => {
      h = await startHarness({ env: { AGENT_RECONNECTS: "0" }, bots: { [DID]: botFor({ fallbackNumber: FALLBACK }) } });
      const sessionId = `fb-${what.replaceAll(" ", "-")}`;
      const call = await h.call({ sessionId });
      const conv = await h.run(h.agent.nextConversation());
      await h.run(call.waitForTimeline("playback-start"));
      act(conv);
      const { frame: transfer, heard } = await h.run(heardAt(call, "transfer"));
      expect(transfer).toEqual({ event: "transfer", streamId: call.streamId, number: FALLBACK });
      // "after the queued audio": the greeting that had reached the caller before the failure was heard to its end.
      const queuedAtFailure = call.received.filter((f) => f.event === "playAudio").reduce((n, f) => n + Buffer.from(f.media.payload, "base64").length, 0) / 8;
      expect(toneMs(heard, FIRST_MESSAGE_TONE_HZ)).toBeGreaterThanOrEqual(queuedAtFailure - 40);
      const { record } = await h.recordOf(sessionId);
      expect(record.endReason).toBe("fallback_transfer");
      expect(record.transferTo).toBe(FALLBACK);
      expect(record.errorDetail).toContain("upstream_unavailable");
    });
  }
});

describe("agent never comes", () => {
  test("unreachable agent service: transfer to AGENT_PHONE_NUMBER", async () => {
    h = await startHarness({ baseUrl: "http://127.0.0.1:9", env: { AGENT_PHONE_NUMBER: "9444444444" } });
    const call = await h.call({ sessionId: "fb-down" });
    expect((await h.run(call.waitFor("transfer"))).number).toBe("9444444444");
    expect((await h.recordOf("fb-down")).record.endReason).toBe("fallback_transfer");
  });

  test("a request the service cancels (close 3000 after the handshake) is tried once more, then the fallback transfer", async () => {
    h = await startHarness({ agent: { knownAgents: ["agent_other"] }, bots: { [DID]: botFor({ fallbackNumber: FALLBACK }) } });
    const call = await h.call({ sessionId: "fb-unknown" });
    expect((await h.run(call.waitFor("transfer"))).number).toBe(FALLBACK);
    expect(h.agent.stats.connections).toBe(2);
    const [line] = logsWith(h, "agent connection failed");
    expect(line.code).toBe("upstream_unavailable");
    expect(line.detail).toContain("3000");
  });

  test("override not enabled in the agent is fatal: never retried, the fix names the Security tab", async () => {
    h = await startHarness({ agent: { allowedOverrides: [] }, bots: { [DID]: botFor({ firstMessage: "Hi", fallbackNumber: FALLBACK }) } });
    const call = await h.call({ sessionId: "fb-override" });
    expect((await h.run(call.waitFor("transfer"))).number).toBe(FALLBACK);
    expect(h.agent.stats.connections).toBe(1);
    const [line] = logsWith(h, "will not be retried");
    expect(line.code).toBe("upstream_override");
    expect(line.fix).toContain("Security tab");
  });

  test("missing dynamic variable is fatal; the bot's extra variable satisfies the agent", async () => {
    h = await startHarness({ agent: { requiredDynamicVariables: ["project"] } });
    const failing = await h.call({ sessionId: "fb-var" });
    await h.run(failing.waitFor("transfer"));
    expect(logsWith(h, "will not be retried")[0].code).toBe("upstream_dynamic_variable");
    expect(h.agent.stats.connections).toBe(1);
    await h.stop();

    h = await startHarness({ agent: { requiredDynamicVariables: ["project"] }, bots: { [DID]: botFor({ dynamicVariables: { project: "Skyline" } }) } });
    const ok = await h.call({ sessionId: "fb-var-ok" });
    await h.run(ok.waitForTimeline("playedStream"));
    expect(ok.received.some((f) => f.event === "transfer")).toBe(false);
    ok.hangup();
  });

  test("a wrong API key (401 from get-signed-url) is fatal and names ELEVENLABS_API_KEY", async () => {
    h = await startHarness({ agent: { apiKey: API_KEY }, env: { ELEVENLABS_API_KEY: "wrong-key-0123456789" } });
    // The DID at the upgrade: the signed URL is fetched ahead of start, and its refusal answers the call's own connect too.
    const call = await h.call({ sessionId: "fb-key", startDelayMs: 200 });
    await h.run(call.waitFor("transfer"));
    expect(h.agent.stats.signedUrlRequests).toBe(1);
    expect(h.agent.stats.connections).toBe(0);
    const [line] = logsWith(h, "will not be retried");
    expect(line.code).toBe("upstream_auth");
    expect(line.fix).toContain("ELEVENLABS_API_KEY");
    expect(h.logLines.join("")).not.toContain("wrong-key-0123456789");
  });
});

describe("signed URLs", () => {
  test("one signed URL serves many calls; a refused reused URL is dropped and a fresh one fetched, once", async () => {
    h = await startHarness({ agent: { apiKey: API_KEY }, env: { ELEVENLABS_API_KEY: API_KEY } });
    for (const sessionId of ["su-1", "su-2"]) {
      const call = await h.call({ sessionId });
      await h.run(call.waitForTimeline("playedStream"));
      call.hangup();
      await h.recordOf(sessionId);
    }
    expect(h.agent.stats.signedUrlRequests).toBe(1);
    h.agent.revokeSignedUrls();
    const call = await h.call({ sessionId: "su-3" });
    await h.run(call.waitForTimeline("playedStream"));
    expect(call.received.some((f) => f.event === "transfer")).toBe(false);
    expect(h.agent.stats.signedUrlRequests).toBe(2);
    // su-1, su-2 and the fresh one opened; the reused URL was refused at the upgrade (403), as the service does.
    expect(h.agent.stats).toMatchObject({ connections: 3, upgradeRefusals: 1 });
    call.hangup();
  });
});

describe("agent connection limit", () => {
  test("at ELEVENLABS_MAX_CONNECTIONS a caller waits; past ELEVENLABS_QUEUE_TIMEOUT_MS it goes to the fallback", async () => {
    const queueTimeoutMs = 300;
    h = await startHarness({ env: { ELEVENLABS_MAX_CONNECTIONS: "1", ELEVENLABS_QUEUE_TIMEOUT_MS: String(queueTimeoutMs), AGENT_PHONE_NUMBER: "9555555555" } });
    const first = await h.call({ sessionId: "lim-1" });
    await h.run(first.waitForTimeline("playback-start"));
    expect(h.manager.stats().agentConnectionsInUse).toBe(1);
    const second = await h.call({ sessionId: "lim-2" });
    expect((await h.run(second.waitFor("transfer"))).number).toBe("9555555555");
    // It waited its whole queue time for the slot, no less.
    const waitedMs = timelineAtMs(second, "transfer") - timelineAtMs(second, "start");
    expect(waitedMs).toBeGreaterThanOrEqual(queueTimeoutMs);
    expect(h.manager.stats()).toEqual({ agentConnectionsInUse: 1, waitingForAgent: 0 });
    first.hangup();
  });

  test("a waiting caller gets the slot (FIFO) as soon as a call ends", async () => {
    h = await startHarness({ env: { ELEVENLABS_MAX_CONNECTIONS: "1", ELEVENLABS_QUEUE_TIMEOUT_MS: "20000" } });
    const first = await h.call({ sessionId: "fifo-1" });
    await h.run(first.waitForTimeline("playback-start"));
    const second = await h.call({ sessionId: "fifo-2" });
    const third = await h.call({ sessionId: "fifo-3" });
    await h.clock.advance(200);
    expect(h.manager.stats()).toEqual({ agentConnectionsInUse: 1, waitingForAgent: 2 });
    first.hangup();
    await h.run(second.waitForTimeline("playback-start"));
    expect(h.manager.stats()).toEqual({ agentConnectionsInUse: 1, waitingForAgent: 1 });
    third.hangup(); // leaving the queue frees its place
    await h.recordOf("fifo-3");
    expect(h.manager.stats()).toEqual({ agentConnectionsInUse: 1, waitingForAgent: 0 });
    second.hangup();
    await h.recordOf("fifo-2");
    expect(h.manager.stats()).toEqual({ agentConnectionsInUse: 0, waitingForAgent: 0 });
  });
});
