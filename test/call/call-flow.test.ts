/** Steps 2–7 end to end: context, bot, conversation start, pings, uplink buffering, DTMF, downlink and checkpoints. */
import { afterEach, describe, expect, test } from "bun:test";
import { createDownlinkTranscoder } from "../../src/audio/transcoder.ts";
import { bytesPerMs, type AgentAudioFormat } from "../../src/audio/agent-format.ts";
import { FIRST_MESSAGE_TONE_HZ } from "../../src/sim/fake-agent-server.ts";
import type { McubeCall } from "../../src/sim/mcube-call.ts";
import { concatBytes, toneMs, toneMulaw } from "../../src/sim/tones.ts";
import { AGENT_ID, botFor, DID, startHarness, type Harness } from "./harness.ts";

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const CALLER_TONE_HZ = 1000;

/** What the fake agent received, turned back into μ-law 8 kHz so tones can be measured. */
function agentHeard(userAudio: Uint8Array, format: AgentAudioFormat): Uint8Array {
  return createDownlinkTranscoder(format).process(userAudio);
}

/** Hangs up and waits until the agent side has closed, so its received audio is complete. */
async function hangUpAndSettle(harness: Harness, call: McubeCall, sessionId: string) {
  call.hangup();
  const done = await harness.recordOf(sessionId);
  for (const conv of harness.agent.conversations) await harness.run(conv.closed);
  return done;
}

describe("conversation start", () => {
  test("dynamic variables carry every standard key, bot extras and outbound variables; overrides only where the bot sets them", async () => {
    const bot = botFor({ firstMessage: "Namaste from Acme", voiceId: "voice_9", businessId: "77", dynamicVariables: { city: "Pune", company_name: "ignored" } });
    h = await startHarness({
      bots: { [DID]: bot },
      outbound: { find: async (callId) => (callId === "call-out-1" ? { refid: "r1", customerName: "Ravi", variables: { order_id: "A-9" } } : undefined) },
    });
    const call = await h.call({
      sessionId: "vars-1",
      callId: "call-out-1",
      streamId: "stream-1",
      upgradeHeaders: { "x-did": `+91 ${DID}`, "X-CUSTNUMBER": "09876543210" },
      customParameters: { "X-Agent-id": "exec-42" },
      extraHeaders: "X-BID=ignored-because-later;X-CustName=",
    });
    const conv = await h.run(h.agent.nextConversation());
    const init: any = await h.run(conv.init);
    expect(init.type).toBe("conversation_initiation_client_data");
    expect(init.dynamic_variables).toEqual({
      city: "Pune",
      order_id: "A-9",
      customer_name: "Ravi",
      customer_number: "9876543210",
      did: DID,
      business_id: "ignored-because-later",
      agent_id: "exec-42",
      call_id: "call-out-1",
      stream_id: "stream-1",
      session_id: "vars-1",
      company_name: "Acme Homes",
      bot_name: "Asha",
    });
    expect(init.conversation_config_override).toEqual({ agent: { first_message: "Namaste from Acme" }, tts: { voice_id: "voice_9" } });
    expect(conv.agentId).toBe(AGENT_ID);
    await hangUpAndSettle(h, call, "vars-1");
  });

  test("unknown values are empty strings and a bot without overrides sends none", async () => {
    h = await startHarness();
    const call = await h.call({ sessionId: "vars-2", upgradeHeaders: {} });
    const conv = await h.run(h.agent.nextConversation());
    const init: any = await h.run(conv.init);
    for (const key of ["customer_name", "customer_number", "did", "business_id", "agent_id"]) expect(init.dynamic_variables[key]).toBe("");
    expect(init.dynamic_variables.company_name).toBe(h.config.companyName);
    expect(init.dynamic_variables.bot_name).toBe("default");
    expect(init).not.toHaveProperty("conversation_config_override");
    await hangUpAndSettle(h, call, "vars-2");
  });

  test("the DID from extra_headers (JSON string) picks the bot when the upgrade has none", async () => {
    h = await startHarness({ bots: { [DID]: botFor({ agentId: "agent_sales", name: "Sales" }) } });
    const call = await h.call({ sessionId: "ctx-1", upgradeHeaders: {}, extraHeaders: JSON.stringify({ "X-DID": DID }) });
    const conv = await h.run(h.agent.nextConversation());
    expect(conv.agentId).toBe("agent_sales");
    expect(((await h.run(conv.init)) as any).dynamic_variables.bot_name).toBe("Sales");
    await hangUpAndSettle(h, call, "ctx-1");
  });

  test("early start: with the DID in the upgrade headers the signed URL is fetched before start; the socket opens at start with the init as its first frame; the greeting is heard in full", async () => {
    const apiKey = "xi-test-key-0123456789";
    h = await startHarness({ agent: { apiKey }, env: { ELEVENLABS_API_KEY: apiKey } });
    const call = await h.call({ sessionId: "early-1", startDelayMs: 700 });
    await h.clock.settleUntil(() => h!.agent.stats.signedUrlRequests === 1, "the signed URL request");
    expect(call.timeline.some((e) => e.event === "start")).toBe(false); // fetched while Mcube had not sent start
    expect(h.agent.stats.connections).toBe(0); // the conversation itself waits for start: its first frame needs the call's ids
    const conv = await h.run(h.agent.nextConversation(3000));
    const init: any = await h.run(conv.init);
    expect((conv.messages[0] as any).type).toBe("conversation_initiation_client_data");
    expect(init.dynamic_variables.call_id).toBe(call.callId);
    await h.run(call.waitForTimeline("playedStream"));
    expect(toneMs(call.heard, FIRST_MESSAGE_TONE_HZ)).toBeGreaterThanOrEqual(1500 - 40);
    await hangUpAndSettle(h, call, "early-1");
  });

  test("pings are answered with a pong carrying the same event_id", async () => {
    h = await startHarness({ agent: { pingIntervalMs: 100 } });
    const call = await h.call({ sessionId: "ping-1" });
    const conv = await h.run(h.agent.nextConversation());
    const pong = await h.run(conv.waitForMessage((m) => m.type === "pong"));
    expect(pong.event_id).toBe(1);
    await hangUpAndSettle(h, call, "ping-1");
  });

  test("no start within START_TIMEOUT_MS: the socket closes, the record says start_timeout, nothing is left", async () => {
    h = await startHarness({ env: { START_TIMEOUT_MS: "300" } });
    const call = await h.call({ sessionId: "nostart-1", sendStart: false });
    const closed = await h.run(call.closed);
    expect(closed.code).toBe(1008);
    expect(call.timeline.at(-1)!.atMs).toBeGreaterThanOrEqual(300); // not before START_TIMEOUT_MS of call time
    const { record } = await h.recordOf("nostart-1");
    expect(record.endReason).toBe("start_timeout");
    for (const conv of h.agent.conversations) await h.run(conv.closed);
    expect(h.manager.debugState()).toEqual({ calls: {}, agentConnectionsInUse: 0, waitingForAgent: 0 });
  });
});

describe("uplink", () => {
  test("caller audio sent before the agent is ready is held and flushed in order: nothing lost", async () => {
    const botDelayMs = 800;
    h = await startHarness({ botDelayMs });
    const call = await h.call({ sessionId: "up-1", audio: toneMulaw(CALLER_TONE_HZ, 1200) });
    const conv = await h.run(h.agent.nextConversation());
    await h.run(call.waitForTimeline("caller-audio-sent"));
    await h.clock.advance(200);
    const { record } = await hangUpAndSettle(h, call, "up-1");
    expect(record.agentConnectedAt! - record.startedAt).toBeGreaterThanOrEqual(botDelayMs); // the agent really was late
    const expectedBytes = call.framesSent * 20 * bytesPerMs("pcm_16000");
    expect(Math.abs(conv.userAudio.length - expectedBytes)).toBeLessThanOrEqual(bytesPerMs("pcm_16000")); // ≤ 1 ms
    const heard = agentHeard(conv.userAudio, "pcm_16000");
    expect(toneMs(heard, CALLER_TONE_HZ)).toBeGreaterThanOrEqual(1200 - 40);
    // In order: the tone starts at the very beginning of what the agent got.
    expect(toneMs(heard.subarray(0, 8 * 200), CALLER_TONE_HZ)).toBeGreaterThanOrEqual(160);
  });

  test("when the agent is later than the 5 s buffer, the caller's first words are the ones kept", async () => {
    h = await startHarness({ botDelayMs: 6500 });
    const firstWordsHz = 440;
    const laterHz = 880;
    const audio = concatBytes([toneMulaw(firstWordsHz, 1000), toneMulaw(laterHz, 6000)]);
    const call = await h.call({ sessionId: "up-late-1", audio });
    const conv = await h.run(h.agent.nextConversation(15_000), 15_000);
    await h.run(call.waitForTimeline("caller-audio-sent", 15_000), 15_000);
    await hangUpAndSettle(h, call, "up-late-1");
    const heard = agentHeard(conv.userAudio, "pcm_16000");
    // The first second the caller said reached the agent, at the very start of what it got.
    expect(toneMs(heard.subarray(0, 8 * 1000), firstWordsHz)).toBeGreaterThanOrEqual(900);
  });

  test("DTMF reaches the agent as user_message from DTMF_MESSAGE_TEMPLATE, and the digit stays out of info logs", async () => {
    h = await startHarness({ env: { DTMF_MESSAGE_TEMPLATE: "Caller key: {digit}" } });
    const call = await h.call({ sessionId: "dtmf-1", dtmf: [{ digit: "7", atMs: 300 }] });
    const conv = await h.run(h.agent.nextConversation());
    const message = await h.run(conv.waitForMessage((m) => m.type === "user_message"));
    expect(message.text).toBe("Caller key: 7");
    await hangUpAndSettle(h, call, "dtmf-1");
    expect(h.logLines.join("")).not.toContain('"digit"');
  });
});

describe("downlink", () => {
  test("playAudio is μ-law 8 kHz in PLAY_CHUNK_MS pieces, with a checkpoint at the end of each turn that Mcube acknowledges", async () => {
    h = await startHarness({ env: { PLAY_CHUNK_MS: "80" } });
    const call = await h.call({ sessionId: "down-1" });
    const conv = await h.run(h.agent.nextConversation());
    await h.run(call.waitForTimeline("playedStream"));
    await h.run(conv.speak({ durationMs: 700, toneHz: 660 }));
    await h.run(call.waitForTimeline("playedStream"));
    const plays = call.received.filter((f) => f.event === "playAudio");
    for (const p of plays) {
      expect(p.media.contentType).toBe("audio/x-mulaw");
      expect(p.media.sampleRate).toBe(8000);
      expect(p.streamId).toBe(call.streamId);
      expect(Buffer.from(p.media.payload, "base64").length).toBeLessThanOrEqual(80 * 8);
    }
    const checkpoints = call.received.filter((f) => f.event === "checkpoint");
    expect(checkpoints.length).toBe(2);
    expect(toneMs(call.heard, 660)).toBeGreaterThanOrEqual(700 - 40);
    expect(call.timeline.some((e) => e.event === "invalid")).toBe(false);
    await hangUpAndSettle(h, call, "down-1");
  });
});
