import { afterEach, describe, expect, test } from "bun:test";
import { startMcubeCall, type McubeCall } from "../../src/sim/mcube-call.ts";
import { concatBytes, silenceMulaw, toneMs, toneMulaw } from "../../src/sim/tones.ts";
import { playAudio, startScriptedGateway, type ScriptedGateway } from "./scripted-gateway.ts";

let gateway: ScriptedGateway | undefined;
let call: McubeCall | undefined;
afterEach(async () => {
  call?.hangup(false);
  call = undefined;
  await gateway?.stop();
  gateway = undefined;
});

async function place(options: Partial<Parameters<typeof startMcubeCall>[0]> = {}) {
  gateway = startScriptedGateway();
  call = await startMcubeCall({ url: gateway.url("test-1"), ...options });
  const leg = await gateway.nextLeg();
  const start = await leg.waitFor((f) => f.event === "start");
  return { call, leg, start, streamId: start.start.streamId as string };
}

describe("Mcube call simulator: what it sends", () => {
  test("start carries the call context in the upgrade headers, customParameters and extra_headers", async () => {
    const { leg, start } = await place({
      callId: "call-1",
      streamId: "stream-1",
      upgradeHeaders: { "X-DID": "8000000001", "X-CustNumber": "9876543210" },
      customParameters: { "X-BID": "42" },
      extraHeaders: "X-CustName=Asha;X-Agent-id=7",
    });
    expect(leg.sessionId).toBe("test-1");
    expect(leg.headers.get("x-did")).toBe("8000000001");
    expect(leg.frames[0]).toBe(start);
    expect(start).toEqual({
      event: "start",
      sequenceNumber: 1,
      start: {
        callId: "call-1",
        streamId: "stream-1",
        accountId: "homebook-sim",
        tracks: ["inbound"],
        mediaFormat: { encoding: "audio/x-mulaw", sampleRate: 8000 },
        customParameters: { "X-BID": "42" },
      },
      extra_headers: "X-CustName=Asha;X-Agent-id=7",
    });
  });

  test("media: 20 ms frames of 160 μ-law bytes, numbered, the caller's audio first, then silence", async () => {
    const audio = toneMulaw(440, 200);
    const { leg } = await place({ audio });
    await leg.waitFor((f) => f.event === "media" && f.media.chunk === 15);
    const media = leg.frames.filter((f) => f.event === "media").slice(0, 15);
    for (const [i, f] of media.entries()) {
      expect(f.media.payload.length).toBe(216);
      expect(f.sequenceNumber).toBe(i + 2);
      expect(f.media.chunk).toBe(i + 1);
      expect(f.media.timestamp).toBe(String(i * 20));
      expect(f.media.track).toBe("inbound");
    }
    const sent = concatBytes(media.map((f) => new Uint8Array(Buffer.from(f.media.payload, "base64"))));
    expect([...sent.subarray(0, audio.length)]).toEqual([...audio]);
    expect(sent.subarray(audio.length).every((b) => b === 0xff)).toBe(true);
  });

  test("DTMF goes out at its time; hangup sends stop then closes 1000", async () => {
    const { call, leg } = await place({ dtmf: [{ digit: "#", atMs: 60 }] });
    const dtmf = await leg.waitFor((f) => f.event === "dtmf");
    expect(dtmf.dtmf.digit).toBe("#");
    call.hangup();
    expect((await leg.closed).code).toBe(1000);
    expect(leg.frames.at(-1).event).toBe("stop");
  });

  test("trailingSilenceMs: the caller hangs up after the audio and that much silence", async () => {
    const { call, leg } = await place({ audio: toneMulaw(440, 100), trailingSilenceMs: 100 });
    expect((await call.closed).code).toBe(1000);
    expect(leg.frames.at(-1).event).toBe("stop");
    const media = leg.frames.filter((f) => f.event === "media");
    expect(media.length).toBeGreaterThanOrEqual(10);
    expect(media.length).toBeLessThanOrEqual(12);
  });

  test("without sendStart the socket stays open and quiet", async () => {
    gateway = startScriptedGateway();
    call = await startMcubeCall({ url: gateway.url("quiet"), sendStart: false });
    const leg = await gateway.nextLeg();
    await Bun.sleep(100);
    expect(leg.frames).toEqual([]);
  });

  test("a refused handshake rejects with the HTTP status", async () => {
    gateway = startScriptedGateway({ requireToken: "0123456789abcdef" });
    await expect(startMcubeCall({ url: gateway.url("x") })).rejects.toThrow(/401/);
  });
});

describe("Mcube call simulator: the playout queue", () => {
  test("a checkpoint is acknowledged only after all audio queued before it has been heard", async () => {
    const { call, leg, streamId } = await place();
    leg.send(playAudio(streamId, toneMulaw(440, 500)));
    leg.send({ event: "checkpoint", streamId, name: "first" });
    leg.send(playAudio(streamId, toneMulaw(880, 500)));
    leg.send({ event: "checkpoint", streamId, name: "second" });
    const first = await leg.waitFor((f) => f.event === "playedStream");
    expect(first).toEqual({ event: "playedStream", streamId, name: "first" });
    expect(toneMs(call.heard, 440)).toBeGreaterThanOrEqual(480); // all of it, heard before the ack
    expect(leg.frames.some((f) => f.event === "playedStream" && f.name === "second")).toBe(false);
    await leg.waitFor((f) => f.event === "playedStream" && f.name === "second");
    expect(toneMs(call.heard, 880)).toBeGreaterThanOrEqual(480);
    const acks = call.timeline.filter((e) => e.event === "playedStream").map((e) => (e.detail as { name: string }).name);
    expect(acks).toEqual(["first", "second"]);
  });

  test("the caller hears the audio in real time from start, silence where nothing played", async () => {
    const { call, leg, streamId } = await place();
    leg.send(playAudio(streamId, toneMulaw(440, 300)));
    leg.send({ event: "checkpoint", streamId, name: "c" });
    await call.waitForTimeline("playedStream");
    const start = call.timeline.find((e) => e.event === "playback-start")!;
    const end = call.timeline.find((e) => e.event === "playback-end")!;
    const heardMs = (end.detail as { heardMs: number }).heardMs - (start.detail as { heardMs: number }).heardMs;
    expect(heardMs).toBe(300);
    expect(toneMs(call.heard, 440)).toBeGreaterThanOrEqual(280);
  });

  test("clearAudio drops the queue and the pending checkpoint, and is answered with clearedAudio", async () => {
    const { call, leg, streamId } = await place();
    leg.send(playAudio(streamId, toneMulaw(440, 3000)));
    leg.send({ event: "checkpoint", streamId, name: "never" });
    await call.waitForTimeline("playback-start");
    leg.send({ event: "clearAudio", streamId });
    expect(await leg.waitFor((f) => f.event === "clearedAudio")).toEqual({ event: "clearedAudio", streamId });
    const cleared = call.timeline.find((e) => e.event === "clearAudio")!.detail as { droppedMs: number; droppedCheckpoints: string[] };
    expect(cleared.droppedMs).toBeGreaterThan(2000);
    expect(cleared.droppedCheckpoints).toEqual(["never"]);
    // Audio sent after the clear plays; the dropped checkpoint is never acknowledged.
    leg.send(playAudio(streamId, toneMulaw(660, 100)));
    leg.send({ event: "checkpoint", streamId, name: "after" });
    await leg.waitFor((f) => f.event === "playedStream");
    expect(leg.frames.filter((f) => f.event === "playedStream").map((f) => f.name)).toEqual(["after"]);
    expect(toneMs(call.heard, 440)).toBeLessThan(1000);
    expect(toneMs(call.heard, 660)).toBeGreaterThanOrEqual(80);
  });

  test("terminate ends the stream: media stops, and the caller closes if the gateway does not", async () => {
    const { call, leg, streamId } = await place({ endGraceMs: 100 });
    leg.send({ event: "terminate", streamId });
    expect((await call.closed).code).toBe(1000);
    expect(call.timeline.map((e) => e.event)).toContain("terminate");
    const framesAtClose = leg.frames.length;
    await Bun.sleep(60);
    expect(leg.frames.length).toBe(framesAtClose);
  });

  test("transfer is recorded with its number; the gateway closing ends the call", async () => {
    const { call, leg, streamId } = await place({ endGraceMs: 5000 });
    leg.send({ event: "transfer", streamId, number: "9876543210" });
    const entry = await call.waitForTimeline("transfer");
    expect(entry.detail).toEqual({ number: "9876543210", queuedMs: 0 });
    leg.close(1000, "transferred");
    expect(await call.closed).toEqual({ code: 1000, reason: "transferred" });
  });

  test("waitFor hands out frames of one event in order, including ones that already arrived", async () => {
    const { call, leg, streamId } = await place();
    leg.send(playAudio(streamId, silenceMulaw(20)));
    leg.send(playAudio(streamId, silenceMulaw(40)));
    await leg.waitFor((f) => f.event === "media");
    await Bun.sleep(50);
    const a = await call.waitFor("playAudio");
    const b = await call.waitFor("playAudio");
    expect(Buffer.from(a.media.payload, "base64").length).toBe(160);
    expect(Buffer.from(b.media.payload, "base64").length).toBe(320);
    await expect(call.waitFor("playAudio", 50)).rejects.toThrow(/no frame "playAudio"/);
  });
});
