/**
 * Issue 12, how a conversation starts against the strict fake agent, through real sockets: the init is the
 * first frame on every agent socket, a cancelled request (3000) is tried once more, a busy service (3008 after
 * queue_status timed_out) is waited on and tried again, all within AGENT_CONNECT_TIMEOUT_MS.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { BUSY_RETRY_AFTER_MS } from "../../src/agent/agent-errors.ts";
import { FIRST_MESSAGE_TONE_HZ } from "../../src/sim/fake-agent-server.ts";
import { toneMs, toneMulaw } from "../../src/sim/tones.ts";
import { botFor, DID, type Harness } from "../call/harness.ts";
import { eventsOf, logsWith, strictHarness } from "./helpers.ts";

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const FALLBACK = "9333333333";
const GREETING_MS = 1500;

describe("init first", () => {
  for (const [how, options] of [
    ["the DID in the upgrade headers (bot looked up before start)", { startDelayMs: 2000 }],
    ["the DID only in start's customParameters", { upgradeHeaders: {}, customParameters: { "X-DID": DID } }],
  ] as const) {
    test(`${how}: the socket opens at start, the init is its first frame though the caller talks from the first frame, and the greeting is heard in full`, async () => {
      h = await strictHarness({ bots: { [DID]: botFor({ firstMessage: "Namaste" }) } });
      const sessionId = `init-${how.length}`;
      const call = await h.call({ sessionId, audio: toneMulaw(1000, 600), ...options });
      if ("startDelayMs" in options) {
        await h.clock.advance(options.startDelayMs - 100);
        expect(h.agent.stats.connections).toBe(0); // nothing waits on Mcube once open: the socket is not open yet
      }
      const conv = await h.run(h.agent.nextConversation(), 5000, "the conversation");
      const init: any = await h.run(conv.init, 5000, "the init");
      expect(conv.framesBeforeInit).toBe(0);
      expect((conv.messages[0] as any).type).toBe("conversation_initiation_client_data");
      expect(init.dynamic_variables.call_id).toBe(call.callId);
      expect(init.conversation_config_override).toEqual({ agent: { first_message: "Namaste" } });
      await h.run(call.waitForTimeline("playedStream"), 5000, "the greeting's checkpoint");
      expect(toneMs(call.heard, FIRST_MESSAGE_TONE_HZ)).toBeGreaterThanOrEqual(GREETING_MS - 40);
      await h.run(call.waitForTimeline("caller-audio-sent"), 2000);
      await h.clock.advance(100);
      expect(conv.userAudio.length).toBeGreaterThan(0); // the caller's audio went to the agent, after the init
      call.hangup();
      expect((await h.recordOf(sessionId)).record.endReason).toBe("caller_hangup");
    });
  }
});

describe("close 3000: the service cancels the request", () => {
  test("cancelled once: tried once more within the deadline, and the call connects", async () => {
    h = await strictHarness({ agent: { cancelFirst: 1 }, bots: { [DID]: botFor({ fallbackNumber: FALLBACK }) } });
    const call = await h.call({ sessionId: "c3000-1" });
    await h.run(call.waitForTimeline("playedStream"), 5000, "the greeting");
    expect(toneMs(call.heard, FIRST_MESSAGE_TONE_HZ)).toBeGreaterThanOrEqual(GREETING_MS - 40);
    expect(h.agent.stats.connections).toBe(2);
    expect(call.received.some((f) => f.event === "transfer")).toBe(false);
    expect(logsWith(h, "agent connection refused; trying again")).toHaveLength(1);
    expect((await h.run(h.agent.conversations[1]!.init)) as any).toMatchObject({ type: "conversation_initiation_client_data" });
    call.hangup();
    expect((await h.recordOf("c3000-1")).record.endReason).toBe("caller_hangup");
  });

  test("cancelled twice: no third try; the caller goes to the fallback number", async () => {
    h = await strictHarness({ agent: { cancelFirst: 2 }, bots: { [DID]: botFor({ fallbackNumber: FALLBACK }) } });
    const call = await h.call({ sessionId: "c3000-2" });
    const transfer = await h.run(call.waitFor("transfer"), 5000, "the fallback transfer");
    expect(transfer.number).toBe(FALLBACK);
    expect(h.agent.stats.connections).toBe(2);
    const { record } = await h.recordOf("c3000-2");
    expect(record.endReason).toBe("fallback_transfer");
    expect(record.errorDetail).toContain("3000");
  });
});

describe("refusals at the HTTP upgrade", () => {
  test("a reused signed URL the service refuses with 403 at the upgrade is replaced once, and the call connects", async () => {
    const apiKey = "xi-test-key-0123456789";
    h = await strictHarness({ agent: { apiKey }, env: { ELEVENLABS_API_KEY: apiKey } });
    const first = await h.call({ sessionId: "signed-1" });
    await h.run(first.waitForTimeline("playedStream"), 5000, "the first greeting");
    first.hangup();
    await h.recordOf("signed-1");
    h.agent.revokeSignedUrls();
    const call = await h.call({ sessionId: "signed-2" });
    await h.run(call.waitForTimeline("playedStream"), 5000, "the greeting after a fresh URL");
    expect(toneMs(call.heard, FIRST_MESSAGE_TONE_HZ)).toBeGreaterThanOrEqual(GREETING_MS - 40);
    expect(h.agent.stats).toMatchObject({ signedUrlRequests: 2, upgradeRefusals: 1, connections: 2 });
    expect(eventsOf(call, ["transfer"])).toEqual([]);
    call.hangup();
  });
});

describe("close 3008: the service is busy", () => {
  for (const beforeMetadata of [true, false]) {
    test(`queue_status waiting ${beforeMetadata ? "before" : "after"} the metadata, then timed_out and close 3008: the gateway waits, tries again, and the caller hears the greeting, not an apology`, async () => {
      const waitMs = 1500;
      h = await strictHarness({
        agent: { queue: { waitMs, outcome: "timed_out", conversations: 1, beforeMetadata } },
        bots: { [DID]: botFor({ fallbackNumber: FALLBACK, firstMessage: "Namaste" }) },
      });
      const sessionId = `c3008-${beforeMetadata}`;
      const clock = h.clock;
      const call = await h.call({ sessionId });
      const first = await h.run(h.agent.nextConversation());
      const closedAtMs = first.closed.then(() => clock.now());
      const secondOpenedAtMs = h.agent.nextConversation(10_000).then((conv) => ({ conv, atMs: clock.now() }));
      expect((await h.run(first.closed, waitMs + 500)).code).toBe(3008);
      const { conv: second, atMs } = await h.run(secondOpenedAtMs, 5000, "the second try");
      // Waited for the busy service, and still within the connect deadline counted from start.
      expect(atMs - (await closedAtMs)).toBeGreaterThanOrEqual(BUSY_RETRY_AFTER_MS);
      expect(atMs - call.timeline.find((e) => e.event === "start")!.atMs).toBeLessThan(h.config.elevenlabs.connectTimeoutMs);
      const init: any = await h.run(second.init);
      expect(init.conversation_config_override.agent.first_message).toBe("Namaste");
      await h.run(call.waitForTimeline("playedStream"), 5000, "the greeting");
      expect(toneMs(call.heard, FIRST_MESSAGE_TONE_HZ)).toBeGreaterThanOrEqual(GREETING_MS - 40);
      expect(eventsOf(call, ["transfer", "terminate"])).toEqual([]);
      expect(h.agent.stats.connections).toBe(2);
      call.hangup();
      const { record } = await h.recordOf(sessionId);
      expect(record.endReason).toBe("caller_hangup");
    });
  }
});
