/** Mcube frames parsed leniently end to end: a numeric streamId (accepted in start) must not make later frames unusable. */
import { afterEach, describe, expect, test } from "bun:test";
import { parseMcubeFrame } from "../../src/telephony/mcube-protocol.ts";
import { startHarness, type Harness } from "./harness.ts";

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

describe("numbers where strings are expected", () => {
  test("with a numeric streamId, caller audio reaches the agent, checkpoints are acknowledged and stop ends the call", async () => {
    h = await startHarness({ agent: { inputFormat: "ulaw_8000" } });
    const received: any[] = [];
    const raw = new WebSocket(`${h.gateway.url.replace(/^http/, "ws")}/ws/num-stream-1`, { headers: { "X-DID": "8040001234" } } as any);
    raw.onmessage = (event) => received.push(JSON.parse(String(event.data)));
    const closed = new Promise<number>((resolve) => (raw.onclose = (event) => resolve(event.code)));
    await new Promise((resolve) => (raw.onopen = resolve));
    raw.send(JSON.stringify({ event: "start", sequenceNumber: 1, start: { callId: 9001, streamId: 4711 } }));
    const conv = await h.run(h.agent.nextConversation());
    await h.run(conv.init);

    const frame = new Uint8Array(160).fill(0x22);
    for (let i = 0; i < 5; i++) {
      raw.send(JSON.stringify({ event: "media", sequenceNumber: i + 2, streamId: 4711, media: { track: "inbound", payload: Buffer.from(frame).toString("base64") } }));
    }
    await h.until(() => conv.userAudio.filter((b) => b === 0x22).length === 5 * 160, 5000, "caller audio at the agent");

    // The greeting's checkpoint: acknowledged with the same numeric streamId, it is no longer pending.
    await h.until(() => received.some((f) => f.event === "checkpoint"), 10_000, "greeting checkpoint");
    const checkpoint = received.find((f) => f.event === "checkpoint");
    expect(checkpoint.streamId).toBe("4711");
    raw.send(JSON.stringify({ event: "playedStream", streamId: 4711, name: checkpoint.name }));
    await h.until(() => h!.manager.debugState().calls["num-stream-1"]?.pendingCheckpoints === 0, 5000, "checkpoint acknowledged");

    raw.send(JSON.stringify({ event: "stop", streamId: 4711 }));
    expect(await h.run(closed, 0, "the gateway's close")).toBe(1000); // the gateway ended the call on stop, without waiting for Mcube to close
    const { record } = await h.recordOf("num-stream-1");
    expect(record.endReason).toBe("caller_hangup");
    expect(record.framesIn).toBe(5);
  });

  test("null in a field the bridge does not need keeps the frame: start with null customParameters still starts the call", () => {
    const start = parseMcubeFrame(
      JSON.stringify({ event: "start", sequenceNumber: null, start: { callId: "c1", streamId: "s1", customParameters: null, mediaFormat: null, tracks: null }, extra_headers: null }),
    );
    expect(start.kind).toBe("start");
    expect(parseMcubeFrame(JSON.stringify({ event: "media", streamId: null, media: { track: null, timestamp: null, payload: "AAA=" } }))).toEqual({ kind: "media", payloadBase64: "AAA=", track: undefined });
    expect(parseMcubeFrame(JSON.stringify({ event: "stop", streamId: 5, reason: null }))).toEqual({ kind: "stop", reason: undefined });
  });
});
