/** Step 1 and the teardown: admission, refusals, bad frames that must not end a call, and nothing left after a hang-up. */
import { afterEach, describe, expect, test } from "bun:test";
import { callRefusals, ignoredFrames } from "../../src/call/call-metrics.ts";
import { warnIfOpen } from "../../src/telephony/open-access-warning.ts";
import { createLogger } from "../../src/log/logger.ts";
import { FIRST_MESSAGE_TONE_HZ } from "../../src/sim/fake-agent-server.ts";
import { startMcubeCall } from "../../src/sim/mcube-call.ts";
import { toneMs, toneMulaw } from "../../src/sim/tones.ts";
import { testConfig } from "../helpers/env.ts";
import { startHarness, type Harness } from "./harness.ts";

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const NOTHING_LEFT = { calls: {}, agentConnectionsInUse: 0, waitingForAgent: 0 };

describe("admission", () => {
  test("at MAX_CONCURRENT_CALLS the next call is closed with 1013, counted, logged and recorded", async () => {
    h = await startHarness({ env: { MAX_CONCURRENT_CALLS: "1" } });
    const before = callRefusals.get({ reason: "capacity" });
    const first = await h.call({ sessionId: "cap-1" });
    const second = await h.call({ sessionId: "cap-2" });
    expect((await h.run(second.closed)).code).toBe(1013);
    expect(callRefusals.get({ reason: "capacity" })).toBe(before + 1);
    expect(h.logLines.some((l) => l.includes('"call refused"') && l.includes('"capacity"'))).toBe(true);
    expect((await h.recordOf("cap-2")).record.endReason).toBe("capacity_rejected");
    expect(h.manager.activeCount).toBe(1);
    first.hangup();
  });

  test("a second socket for a live session id is closed with 1008; the live call carries on", async () => {
    h = await startHarness();
    const first = await h.call({ sessionId: "dup-1" });
    const dup = await h.call({ sessionId: "dup-1" });
    expect((await h.run(dup.closed)).code).toBe(1008);
    await h.run(first.waitForTimeline("playedStream"));
    expect(toneMs(first.heard, FIRST_MESSAGE_TONE_HZ)).toBeGreaterThanOrEqual(1500 - 40);
    first.hangup();
    expect((await h.recordOf("dup-1")).record.endReason).toBe("caller_hangup");
  });

  test("with MCUBE_AUTH_TOKEN set, an upgrade without the token is refused before any call starts", async () => {
    const token = "mcube-token-0123456789abcdef";
    h = await startHarness({ env: { MCUBE_AUTH_TOKEN: token } });
    const clock = h.clock;
    const url = `${h.gateway.url.replace(/^http/, "ws")}/ws/auth-1`;
    await expect(startMcubeCall({ url, clock })).rejects.toThrow(/401/);
    expect(h.agent.conversations.length).toBe(0);
    const ok = await startMcubeCall({ url: `${url}?token=${token}`, upgradeHeaders: { "X-DID": "8040001234" }, clock });
    await h.run(ok.waitForTimeline("playback-start"));
    ok.hangup();
  });

  test("warnIfOpen warns once when neither MCUBE_AUTH_TOKEN nor MCUBE_ALLOWED_IPS is set", () => {
    const lines: string[] = [];
    const logger = createLogger({ stdout: "none", sink: (l) => lines.push(l) });
    expect(warnIfOpen(testConfig(), logger)).toBe(true);
    expect(warnIfOpen(testConfig({ MCUBE_AUTH_TOKEN: "mcube-token-0123456789abcdef" }), logger)).toBe(false);
    expect(warnIfOpen(testConfig({ MCUBE_ALLOWED_IPS: "10.0.0.0/8" }), logger)).toBe(false);
    expect(lines.length).toBe(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: "warn" });
    expect(lines[0]).toContain("open to anyone");
  });
});

describe("bad frames never end a healthy call", () => {
  test("malformed JSON, unknown events and invalid media are ignored, counted, and logged once per kind", async () => {
    h = await startHarness();
    const call = await h.call({ sessionId: "bad-1", audio: toneMulaw(1000, 600) });
    const conv = await h.run(h.agent.nextConversation());
    const before = ignoredFrames.get({ leg: "mcube", kind: "unknown_event" });
    for (let i = 0; i < 3; i++) {
      call.sendRaw("{not json");
      call.sendRaw(JSON.stringify({ event: "mystery", n: i }));
      call.sendRaw(JSON.stringify({ event: "media", media: { payload: 42 } }));
      call.sendRaw(JSON.stringify([1, 2]));
    }
    await h.run(call.waitForTimeline("playedStream"));
    expect(toneMs(call.heard, FIRST_MESSAGE_TONE_HZ)).toBeGreaterThanOrEqual(1500 - 40);
    expect(ignoredFrames.get({ leg: "mcube", kind: "unknown_event" })).toBe(before + 3);
    const warnings = h.logLines.filter((l) => l.includes("ignoring a frame"));
    expect(warnings.length).toBe(4); // one per kind: malformed_json, unknown_event:mystery, invalid_media, not_an_object
    await h.run(conv.speak({ durationMs: 500, toneHz: 660 }));
    await h.run(call.waitForTimeline("playedStream"));
    expect(toneMs(call.heard, 660)).toBeGreaterThanOrEqual(500 - 40);
    call.hangup();
    expect((await h.recordOf("bad-1")).record.endReason).toBe("caller_hangup");
  });

  test("a binary frame is raw caller audio", async () => {
    h = await startHarness({ agent: { inputFormat: "ulaw_8000" } });
    // The simulator sends JSON only; a raw socket sends the binary frame.
    const raw = new WebSocket(`${h.gateway.url.replace(/^http/, "ws")}/ws/bin-1`, { headers: { "X-DID": "8040001234" } } as any);
    await new Promise((resolve) => (raw.onopen = resolve));
    raw.send(JSON.stringify({ event: "start", start: { callId: "c1", streamId: "s1" } }));
    const conv = await h.run(h.agent.nextConversation());
    await h.run(conv.init);
    const marker = new Uint8Array(160).fill(0x11);
    raw.send(marker);
    await h.until(() => conv.userAudio.includes(0x11), 5000, "binary audio at the agent");
    raw.close();
    expect((await h.recordOf("bin-1")).record.framesIn).toBe(1);
  });
});

describe("hang-up", () => {
  test("after a hang-up (close or stop) no timer, socket, slot or Map entry is left", async () => {
    h = await startHarness();
    const a = await h.call({ sessionId: "gone-1" });
    const b = await h.call({ sessionId: "gone-2" });
    await h.run(a.waitForTimeline("playback-start"));
    await h.run(b.waitForTimeline("playback-start"));
    const live = h.manager.debugState().calls["gone-1"]!;
    expect(live.timers).toBeGreaterThan(0); // the turn timer of the greeting being played
    expect(live).toMatchObject({ agentOpen: true, holdsAgentSlot: true, mcubeOpen: true });
    a.hangup(true);
    b.hangup(false);
    await h.recordOf("gone-1");
    await h.recordOf("gone-2");
    for (const conv of h.agent.conversations) expect((await h.run(conv.closed)).code).toBe(1000);
    expect(h.manager.debugState()).toEqual(NOTHING_LEFT);
    expect(h.manager.activeCount).toBe(0);
    expect(h.clock.pending).toBe(0); // no timer of the gateway, the agent or the callers is left armed
  });

  test("a hang-up while the agent is still connecting releases everything too", async () => {
    h = await startHarness({ botDelayMs: 500 });
    const call = await h.call({ sessionId: "gone-early" });
    await h.clock.advance(100);
    call.hangup();
    await h.recordOf("gone-early");
    await h.clock.advance(700); // the slow bot lookup finishes after the caller left
    for (const conv of h.agent.conversations) await h.run(conv.closed);
    expect(h.agent.conversations.length).toBe(0); // the late lookup opened no conversation for a caller who left
    expect(h.manager.debugState()).toEqual(NOTHING_LEFT);
  });
});
