import { afterEach, describe, expect, test } from "bun:test";
import { startMcubeCall, type McubeCall } from "../../src/sim/mcube-call.ts";
import { concatBytes, silenceMulaw, tonePcm16, toneMs, toneMulaw } from "../../src/sim/tones.ts";
import { convertMedia, MULAW_8K } from "../../src/sim/mcube-media.ts";
import { pcm16ToBytes } from "../../src/audio/pcm-bytes.ts";
import { TestClock } from "../helpers/test-clock.ts";
import { until } from "../helpers/wait.ts";
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
    const clock = new TestClock();
    gateway = startScriptedGateway();
    call = await startMcubeCall({ url: gateway.url("quiet"), sendStart: false, clock });
    const leg = await gateway.nextLeg();
    await clock.advance(10_000);
    expect(leg.frames).toEqual([]);
    expect(call.timeline.map((e) => e.event)).toEqual(["connected"]);
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

  test("terminate ends the stream: media stops at once, and the caller closes after endGraceMs if the gateway does not", async () => {
    const clock = new TestClock();
    const { call, leg, streamId } = await place({ endGraceMs: 100, clock });
    await clock.advance(200);
    leg.send({ event: "terminate", streamId });
    const terminate = await clock.run(call.waitForTimeline("terminate"), 100);
    const framesAtTerminate = leg.frames.length;
    expect((await clock.run(call.closed, 1000)).code).toBe(1000);
    expect(call.timeline.at(-1)!.atMs - terminate.atMs).toBe(100);
    await clock.advance(1000);
    expect(leg.frames.length).toBe(framesAtTerminate);
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
    await until(() => call.received.length === 2, 5000, "both playAudio frames");
    const a = await call.waitFor("playAudio");
    const b = await call.waitFor("playAudio");
    expect(Buffer.from(a.media.payload, "base64").length).toBe(160);
    expect(Buffer.from(b.media.payload, "base64").length).toBe(320);
    await expect(call.waitFor("playAudio", 50)).rejects.toThrow(/no frame "playAudio"/);
  });
});

describe("Mcube call simulator: media formats, tracks and sendDTMF", () => {
  const L16_8K = { encoding: "audio/x-l16", sampleRate: 8000 } as const;
  const L16_16K = { encoding: "audio/x-l16", sampleRate: 16000 } as const;
  const payloadOf = (f: any) => new Uint8Array(Buffer.from(f.media.payload, "base64"));
  const playL16 = (streamId: string, samples: Int16Array, sampleRate: number) => ({
    event: "playAudio",
    streamId,
    media: { contentType: "audio/x-l16", sampleRate, payload: Buffer.from(pcm16ToBytes(samples)).toString("base64") },
  });

  for (const format of [L16_8K, L16_16K]) {
    test(`${format.encoding} at ${format.sampleRate} Hz: start announces it; 20 ms frames of little-endian PCM carry the caller`, async () => {
      const clock = new TestClock();
      const marker = Int16Array.from([1000, -2, 0x1234]);
      const { leg, start } = await place({ clock, mediaFormat: format, audio: { pcm: marker, sampleRate: format.sampleRate } });
      expect(start.start.mediaFormat).toEqual(format);
      await clock.advance(200);
      const media = leg.frames.filter((f) => f.event === "media");
      expect(media.length).toBe(10);
      for (const f of media) expect(payloadOf(f).length).toBe(format.sampleRate / 25);
      expect([...payloadOf(media[0]).subarray(0, 6)]).toEqual([0xe8, 0x03, 0xfe, 0xff, 0x34, 0x12]);
      expect(payloadOf(media[1]).every((b) => b === 0)).toBe(true); // silence is zeros
    });
  }

  test("μ-law caller audio reaches an L16 16 kHz call as the same tone", async () => {
    const clock = new TestClock();
    const { leg } = await place({ clock, mediaFormat: L16_16K, audio: toneMulaw(440, 300) });
    await clock.advance(400);
    const sent = concatBytes(leg.frames.filter((f) => f.event === "media").map(payloadOf));
    expect(toneMs(convertMedia(sent, L16_16K, MULAW_8K), 440)).toBeGreaterThanOrEqual(280);
  });

  test("a 16 kHz L16 call plays its playAudio untouched: heardPcm holds the exact samples, heard the μ-law 8 kHz version", async () => {
    const clock = new TestClock();
    const { call, leg, streamId } = await place({ clock, mediaFormat: L16_16K });
    const wideband = tonePcm16(5000, 300, 16000); // above what an 8 kHz line carries
    const speech = tonePcm16(1000, 300, 16000);
    leg.send(playL16(streamId, wideband, 16000));
    leg.send(playL16(streamId, speech, 16000));
    leg.send({ event: "checkpoint", streamId, name: "both" });
    await clock.run(call.waitForTimeline("playedStream"), 2000);
    const startMs = (call.timeline.find((e) => e.event === "playback-start")!.detail as { heardMs: number }).heardMs;
    const at = startMs * 16;
    expect([...call.heardPcm.subarray(at, at + wideband.length)]).toEqual([...wideband]);
    expect([...call.heardPcm.subarray(at + wideband.length, at + wideband.length + speech.length)]).toEqual([...speech]);
    expect(call.heard.length).toBe(call.heardPcm.length / 2);
    expect(toneMs(call.heard, 1000)).toBeGreaterThanOrEqual(280);
    expect(call.timeline.filter((e) => e.event === "invalid")).toEqual([]);
    expect(call.timeline.find((e) => e.event === "playAudio")!.detail).toMatchObject({ bytes: 9600, ms: 300 });
  });

  test("a playAudio in another format than the call's is flagged invalid and played by its own format; an unknown one is dropped", async () => {
    const clock = new TestClock();
    const { call, leg, streamId } = await place({ clock });
    leg.send(playL16(streamId, tonePcm16(440, 300, 16000), 16000));
    leg.send({ event: "playAudio", streamId, media: { contentType: "audio/wav", sampleRate: 8000, payload: "AAAA" } });
    leg.send({ event: "checkpoint", streamId, name: "c" });
    await clock.run(call.waitForTimeline("playedStream"), 2000);
    const invalid = call.timeline.filter((e) => e.event === "invalid").map((e) => (e.detail as { reason: string }).reason);
    expect(invalid).toEqual(["playAudio is audio/x-l16 at 16000 Hz but the call is audio/x-mulaw at 8000 Hz", "playAudio in a format Mcube cannot play (dropped)"]);
    expect(toneMs(call.heard, 440)).toBeGreaterThanOrEqual(260);
    expect(call.timeline.filter((e) => e.event === "playAudio").length).toBe(1);
  });

  test("tracks inbound+outbound: outbound frames carry what the caller hears, numbered apart from the inbound ones", async () => {
    const clock = new TestClock();
    const { call, leg, start, streamId } = await place({ clock, tracks: ["inbound", "outbound"] });
    expect(start.start.tracks).toEqual(["inbound", "outbound"]);
    leg.send(playAudio(streamId, toneMulaw(660, 300)));
    leg.send({ event: "checkpoint", streamId, name: "c" });
    await clock.run(call.waitForTimeline("playedStream"), 2000);
    await clock.settle();
    const track = (name: string) => leg.frames.filter((f) => f.event === "media" && f.media.track === name);
    const outbound = track("outbound");
    const inbound = track("inbound");
    expect(outbound.length).toBe(inbound.length);
    expect(call.framesSent).toBe(inbound.length);
    expect(outbound.map((f) => f.media.chunk)).toEqual(inbound.map((f) => f.media.chunk));
    expect(toneMs(concatBytes(outbound.map(payloadOf)), 660)).toBeGreaterThanOrEqual(280);
    expect(toneMs(concatBytes(inbound.map(payloadOf)), 660)).toBe(0);
  });

  test("sendDTMF from the gateway is recorded with its digits; one without digits is flagged; neither ends the stream", async () => {
    const clock = new TestClock();
    const { call, leg, streamId } = await place({ clock, endGraceMs: 100 });
    leg.send({ event: "sendDTMF", dtmf: "12#" });
    leg.send({ event: "sendDTMF", streamId });
    const pressed = await clock.run(call.waitForTimeline("sendDTMF"), 1000);
    expect(pressed.detail).toEqual({ digits: "12#" });
    await clock.until(() => call.timeline.some((e) => e.event === "invalid"), 1000);
    expect((call.timeline.find((e) => e.event === "invalid")!.detail as { reason: string }).reason).toContain("sendDTMF without digits");
    const sentBefore = call.framesSent;
    await clock.advance(500);
    expect(call.framesSent).toBe(sentBefore + 25);
  });
});
