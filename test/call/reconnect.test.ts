/**
 * Issue 14 §1 through real sockets, in call time: an agent lost mid-turn is replaced by a new conversation
 * the caller hears (no transfer), carrying the conversation so far; a refused reconnect, reconnects used up
 * and settings errors end in the fallback transfer.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { agentReconnects } from "../../src/call/call-metrics.ts";
import type { FakeAgentOptions, FakeConversation } from "../../src/sim/fake-agent-server.ts";
import { FIRST_MESSAGE_TONE_HZ } from "../../src/sim/fake-agent-server.ts";
import type { McubeCall } from "../../src/sim/mcube-call.ts";
import { concatBytes, firstToneAtMs, toneMs, toneMulaw } from "../../src/sim/tones.ts";
import { botFor, DID, expectNothingLeft, startHarness, timelineAtMs, type Harness } from "./harness.ts";

const FALLBACK = "9333333333";
const IDLE_TIMEOUT_MS = 800;
/** The service takes this long to admit each conversation (metadata after it): a reconnect takes call time. */
const ADMIT_MS = 600;
/** The promise, as before reconnects: the fallback transfer comes within 2 s of the loss. */
const FALLBACK_WITHIN_MS = 2000;
const OLD_TONE_HZ = 660;
const NEW_TONE_HZ = 880;
/** What the caller says while the agent is away: two tones, so their order can be checked. */
const SAID_FIRST_HZ = 500;
const SAID_SECOND_HZ = 1200;

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const KILLS: [string, (conv: FakeConversation) => void][] = [
  ["close 1011", (conv) => conv.close(1011)],
  ["error frame, then close 1011", (conv) => conv.error(1011, "unknown_websocket_crash", "boom")],
  ["frozen (no close, no pongs)", (conv) => conv.freeze()],
];

interface LiveCall {
  call: McubeCall;
  conv: FakeConversation;
  /** clock.now() when the call was placed (the call's timeline counts from there). */
  t0: number;
}

async function startHarnessFor(env: Record<string, string> = {}, agent: FakeAgentOptions = {}, bot = botFor({ fallbackNumber: FALLBACK })): Promise<Harness> {
  return startHarness({
    agent: { firstMessage: null, inputFormat: "ulaw_8000", ...agent },
    env: { AGENT_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS), ...env },
    bots: { [DID]: bot },
  });
}

/** A call whose first conversation is live and speaking a long turn the caller has started to hear. */
async function callMidTurn(harness: Harness, sessionId: string): Promise<LiveCall> {
  const t0 = harness.clock.now();
  const call = await harness.call({ sessionId });
  const conv = await harness.run(harness.agent.nextConversation());
  await harness.run(conv.init);
  await harness.until(() => harness.manager.get(sessionId)?.state === "live", 2000, "the call to go live");
  conv.userTranscript("I want a flat in Pune");
  void conv.speak({ text: "We have three projects in Pune", durationMs: 3000, toneHz: OLD_TONE_HZ });
  await harness.run(call.waitForTimeline("playback-start"));
  await harness.clock.advance(300);
  return { call, conv, t0 };
}

function transferred(call: McubeCall): boolean {
  return call.received.some((f) => f.event === "transfer");
}

describe("an agent lost mid-turn is reconnected", () => {
  for (const [what, kill] of KILLS) {
    test(`${what}: the caller hears the new conversation, no transfer; what they said meanwhile reaches it in order, after the conversation so far`, async () => {
      h = await startHarnessFor({}, { queue: { waitMs: ADMIT_MS, outcome: "admitted", beforeMetadata: true } });
      const sessionId = `rc-${what.split(" ")[0]}`;
      const okBefore = agentReconnects.get({ outcome: "ok" });
      const { call, conv } = await callMidTurn(h, sessionId);
      kill(conv);
      // The loss is noticed at once (a close) or after AGENT_IDLE_TIMEOUT_MS (a frozen socket).
      await h.until(() => h!.manager.get(sessionId)?.state === "reconnecting", IDLE_TIMEOUT_MS + 500, "the gateway to start reconnecting");
      call.say(concatBytes([toneMulaw(SAID_FIRST_HZ, 240), toneMulaw(SAID_SECOND_HZ, 240)]));
      const next = await h.run(h.agent.nextConversation(), 500, "a new conversation");
      const order: string[] = [];
      next.onUserAudio(() => order.at(-1) !== "audio" && order.push("audio"));
      next.onClientFrame((f) => f.type === "contextual_update" && order.push("context"));
      await h.until(() => h!.manager.get(sessionId)?.state === "live", ADMIT_MS + 500, "the new conversation to go live");

      // The new conversation learns the conversation so far, then hears the caller's held words in order.
      const context = await h.run(next.waitForMessage((m) => m.type === "contextual_update"), 500);
      expect(context.text).toContain("Caller: I want a flat in Pune");
      expect(context.text).toContain("Agent: We have three projects in Pune");
      await h.until(() => toneMs(next.userAudio, SAID_SECOND_HZ) >= 200, 1000, "the caller's words to reach the new conversation");
      expect(order[0]).toBe("context");
      const heardFirstAt = firstToneAtMs(next.userAudio, SAID_FIRST_HZ)!;
      expect(heardFirstAt).toBeLessThan(ADMIT_MS); // held since the loss, delivered first
      expect(firstToneAtMs(next.userAudio, SAID_SECOND_HZ)!).toBeGreaterThan(heardFirstAt);
      expect(toneMs(next.userAudio, SAID_FIRST_HZ)).toBeGreaterThanOrEqual(240 - 40);
      expect(toneMs(conv.userAudio, SAID_FIRST_HZ)).toBe(0); // none of it went to the lost conversation

      // The caller hears the new conversation's turn in full, and stays with the bot.
      const heardBefore = toneMs(call.heard, NEW_TONE_HZ);
      void next.speak({ text: "Which one would you like to visit?", durationMs: 800, toneHz: NEW_TONE_HZ });
      await h.until(() => toneMs(call.heard, NEW_TONE_HZ) - heardBefore >= 800 - 40, 3000, "the new conversation's turn to be heard");
      expect(transferred(call)).toBe(false);
      expect(h.manager.get(sessionId)?.state).toBe("live");

      call.hangup();
      const { record } = await h.recordOf(sessionId);
      expect(record.endReason).toBe("caller_hangup");
      expect(record.conversationIds).toEqual([conv.id, next.id]);
      expect(record.reconnects).toBe(1);
      expect(record.timeline?.filter((e) => e.kind === "agent_reconnect").map((e) => e.detail)).toEqual(["attempt 1"]);
      expect(agentReconnects.get({ outcome: "ok" }) - okBefore).toBe(1);
      expect(h.agent.stats.connections).toBe(2);
      await expectNothingLeft(h);
    });
  }

  test("a bot that overrides the first message: the new conversation starts with AGENT_RECONNECT_MESSAGE, same variables and overrides otherwise", async () => {
    const apology = "Sorry, the line dropped. Go on please.";
    h = await startHarnessFor({ AGENT_RECONNECT_MESSAGE: apology }, { firstMessage: { text: "agent's own", durationMs: 600 } }, botFor({ firstMessage: "Hello from Acme", prompt: "Be brief", fallbackNumber: FALLBACK }));
    const call = await h.call({ sessionId: "rc-first-message" });
    const conv = await h.run(h.agent.nextConversation());
    const init = (await h.run(conv.init)) as any;
    await h.run(call.waitForTimeline("playedStream")); // the greeting was heard
    conv.close(1011);
    const next = await h.run(h.agent.nextConversation(), 500);
    const reinit = (await h.run(next.init)) as any;
    expect(reinit.conversation_config_override.agent.first_message).toBe(apology);
    expect(reinit.conversation_config_override.agent.prompt).toEqual(init.conversation_config_override.agent.prompt);
    expect(reinit.dynamic_variables).toEqual(init.dynamic_variables);
    // The apology is spoken by the new conversation (the fake plays an overridden first message as its tone).
    const heardBefore = toneMs(call.heard, FIRST_MESSAGE_TONE_HZ);
    await h.until(() => toneMs(call.heard, FIRST_MESSAGE_TONE_HZ) - heardBefore >= 600 - 40, 3000, "the apology to be heard");
    expect(transferred(call)).toBe(false);
    call.hangup();
    expect((await h.recordOf("rc-first-message")).record.reconnects).toBe(1);
  });
});

describe("a caller who hangs up while the agent reconnects", () => {
  test("leaves nothing behind: the pending conversation is closed, no fallback fires later, the record says caller_hangup", async () => {
    h = await startHarnessFor({ AGENT_RECONNECT_TIMEOUT_MS: "1500" });
    const { call, conv } = await callMidTurn(h, "rc-hangup");
    h.agent.reconfigure({ stall: "metadata" }); // the new conversation opens and then says nothing
    conv.close(1011);
    const pending = await h.run(h.agent.nextConversation(), 500);
    expect(h.manager.get("rc-hangup")?.state).toBe("reconnecting");
    call.hangup();
    const { record } = await h.recordOf("rc-hangup");
    expect(record.endReason).toBe("caller_hangup");
    expect(record.reconnects).toBe(1);
    await expectNothingLeft(h);
    expect((await h.run(pending.closed, 1000)).code).toBe(1000);
    // Past the reconnect deadline nothing wakes up: no fallback, no second record.
    await h.clock.advance(2000);
    expect(h.records.filter((r) => r.record.sessionId === "rc-hangup")).toHaveLength(1);
    expect(transferred(call)).toBe(false);
    expect(h.clock.pending).toBe(0);
  });
});

describe("when the agent cannot be reconnected the caller goes to the fallback number", () => {
  const REFUSALS: [string, FakeAgentOptions["knownAgents"] | "fail" | "stall"][] = [
    ["the agent was deleted (close 3000)", ["agent_other"]],
    ["the service fails every new conversation (close 1011)", "fail"],
    ["the service never answers (no metadata)", "stall"],
  ];
  for (const [what, refusal] of REFUSALS) {
    test(`${what}: fallback transfer within ${FALLBACK_WITHIN_MS} ms of call time after the loss`, async () => {
      h = await startHarnessFor();
      const sessionId = `rc-refused-${refusal === "fail" || refusal === "stall" ? refusal : "deleted"}`;
      const failedBefore = agentReconnects.get({ outcome: "failed" });
      const { call, conv, t0 } = await callMidTurn(h, sessionId);
      if (refusal === "fail") h.agent.reconfigure({ refuseWith: { code: 1011 } });
      else if (refusal === "stall") h.agent.reconfigure({ stall: "metadata" });
      else h.agent.reconfigure({ knownAgents: refusal });
      const lostAtMs = h.clock.now() - t0;
      conv.close(1011);
      const transfer = await h.run(call.waitFor("transfer"), FALLBACK_WITHIN_MS + 500);
      expect(transfer).toEqual({ event: "transfer", streamId: call.streamId, number: FALLBACK });
      expect(timelineAtMs(call, "transfer") - lostAtMs).toBeLessThanOrEqual(FALLBACK_WITHIN_MS);
      const { record } = await h.recordOf(sessionId);
      expect(record.endReason).toBe("fallback_transfer");
      expect(record.transferTo).toBe(FALLBACK);
      expect(record.conversationIds).toEqual([conv.id]);
      expect(record.reconnects).toBe(1);
      expect(agentReconnects.get({ outcome: "failed" }) - failedBefore).toBe(1);
      await expectNothingLeft(h);
      // Every conversation the gateway opened is closed, the refused or stalled attempts included.
      await h.run(Promise.all(h.agent.conversations.map((c) => c.closed)), 1000, "every agent socket to close");
    });
  }

  test("reconnects used up (AGENT_RECONNECTS=1, lost twice): fallback transfer after the second loss", async () => {
    h = await startHarnessFor({ AGENT_RECONNECTS: "1" });
    const { call, conv, t0 } = await callMidTurn(h, "rc-exhausted");
    conv.close(1011);
    const next = await h.run(h.agent.nextConversation(), 500);
    await h.until(() => h!.manager.get("rc-exhausted")?.state === "live", 500, "the new conversation to go live");
    expect(transferred(call)).toBe(false);
    void next.speak({ durationMs: 2000, toneHz: NEW_TONE_HZ });
    await h.until(() => toneMs(call.heard, NEW_TONE_HZ) >= 200, 2000, "the new conversation to be heard");
    const lostAgainAtMs = h.clock.now() - t0;
    next.close(1011);
    expect((await h.run(call.waitFor("transfer"), FALLBACK_WITHIN_MS + 500)).number).toBe(FALLBACK);
    expect(timelineAtMs(call, "transfer") - lostAgainAtMs).toBeLessThanOrEqual(FALLBACK_WITHIN_MS);
    expect(h.agent.stats.connections).toBe(2);
    const { record } = await h.recordOf("rc-exhausted");
    expect(record.endReason).toBe("fallback_transfer");
    expect(record.conversationIds).toEqual([conv.id, next.id]);
    expect(record.reconnects).toBe(1);
    await expectNothingLeft(h);
  });

  for (const [errorType, code] of [
    ["override_error", "upstream_override"],
    ["missing_dynamic_variable", "upstream_dynamic_variable"],
  ] as const) {
    test(`a settings error (1008 ${errorType}) is never reconnected: fallback transfer at once`, async () => {
      h = await startHarnessFor();
      const sessionId = `rc-settings-${errorType}`;
      const { call, conv, t0 } = await callMidTurn(h, sessionId);
      const lostAtMs = h.clock.now() - t0;
      conv.error(1008, errorType, "not allowed");
      expect((await h.run(call.waitFor("transfer"), FALLBACK_WITHIN_MS + 500)).number).toBe(FALLBACK);
      expect(timelineAtMs(call, "transfer") - lostAtMs).toBeLessThanOrEqual(FALLBACK_WITHIN_MS);
      expect(h.agent.stats.connections).toBe(1);
      const { record } = await h.recordOf(sessionId);
      expect(record.endReason).toBe("fallback_transfer");
      expect(record.reconnects).toBe(0);
      expect(record.errorDetail).toContain(code);
      expect(record.timeline?.some((e) => e.kind === "agent_reconnect")).toBe(false);
    });
  }
});
