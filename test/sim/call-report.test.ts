import { describe, expect, test } from "bun:test";
import { pcm16ToBytes } from "../../src/audio/pcm-bytes.ts";
import { writeWav } from "../../src/audio/wav.ts";
import { judgeCall, timelinePrinter } from "../../src/sim/call-report.ts";
import { parseDtmfPlan, parseDurationMs, wavToCallerAudio } from "../../src/sim/caller-audio.ts";
import type { TimelineEntry } from "../../src/sim/mcube-call.ts";
import { tonePcm16, toneMs } from "../../src/sim/tones.ts";

const heard: TimelineEntry = { atMs: 10, event: "playback-start", detail: { heardMs: 0 } };
const terminate = (queuedMs: number): TimelineEntry => ({ atMs: 900, event: "terminate", detail: { queuedMs } });
const normal = { code: 1000, reason: "" };

describe("judgeCall", () => {
  test("clean: audio heard, terminate after everything played, normal close", () => {
    expect(judgeCall([heard, terminate(0)], normal, false)).toEqual({ ok: true, reason: "the gateway ended the call (terminate)" });
  });

  test("each way a call can go wrong has its reason", () => {
    expect(judgeCall([heard, terminate(0)], normal, true).reason).toContain("did not end in time");
    expect(judgeCall([heard], { code: 1011, reason: "x" }, false).reason).toContain("without terminate or transfer");
    expect(judgeCall([heard, terminate(340)], normal, false).reason).toContain("340 ms of audio not yet played");
    expect(judgeCall([terminate(0)], normal, false).reason).toContain("heard nothing");
    expect(judgeCall([heard, terminate(0)], { code: 1006, reason: "" }, false).reason).toContain("closed with 1006");
    const wrongFormat: TimelineEntry = { atMs: 20, event: "invalid", detail: { reason: "playAudio is audio/x-mulaw at 8000 Hz but the call is audio/x-l16 at 16000 Hz" } };
    expect(judgeCall([heard, wrongFormat, wrongFormat, terminate(0)], normal, false).reason).toBe(
      "the gateway sent 2 invalid frame(s), the first: playAudio is audio/x-mulaw at 8000 Hz but the call is audio/x-l16 at 16000 Hz",
    );
  });
});

describe("timelinePrinter", () => {
  test("groups playAudio frames into bursts closed by call-control events", () => {
    const lines: string[] = [];
    const printer = timelinePrinter((l) => lines.push(l));
    for (const atMs of [0, 100, 200]) printer.onEvent({ atMs, event: "playAudio", detail: { ms: 100 } });
    printer.onEvent({ atMs: 250, event: "checkpoint", detail: { name: "t1", queuedMs: 300 } });
    printer.onEvent({ atMs: 5000, event: "playAudio", detail: { ms: 40 } });
    printer.flush();
    expect(lines.length).toBe(3);
    expect(lines[0]).toContain("playAudio burst 1: 3 frame(s), 300 ms");
    expect(lines[1]).toContain('checkpoint "t1"');
    expect(lines[2]).toContain("playAudio burst 2: 1 frame(s), 40 ms");
  });

  test("prints each kind of invalid frame once", () => {
    const lines: string[] = [];
    const printer = timelinePrinter((l) => lines.push(l));
    for (const atMs of [0, 20, 40]) printer.onEvent({ atMs, event: "invalid", detail: { reason: "playAudio without a payload" } });
    printer.onEvent({ atMs: 60, event: "invalid", detail: { reason: "frame without an event name" } });
    expect(lines.map((l) => l.trim().split(/\s+/).slice(1).join(" "))).toEqual([
      "INVALID from the gateway: playAudio without a payload",
      "INVALID from the gateway: frame without an event name",
    ]);
  });
});

describe("caller audio", () => {
  test("DTMF plans and durations", () => {
    expect(parseDtmfPlan("1@2s, #@6.5s,0@800ms")).toEqual([
      { digit: "1", atMs: 2000 },
      { digit: "#", atMs: 6500 },
      { digit: "0", atMs: 800 },
    ]);
    expect(parseDurationMs("3")).toBe(3000);
    expect(() => parseDtmfPlan("12@1s")).toThrow(/DIGIT@TIME/);
    expect(() => parseDtmfPlan("1")).toThrow(/DIGIT@TIME/);
  });

  for (const rate of [8000, 11_025, 16_000, 32_000, 48_000]) {
    test(`a WAV at ${rate} Hz becomes 8 kHz μ-law of the same length and tone`, () => {
      const wav = writeWav({ sampleRate: rate, encoding: "pcm16", data: pcm16ToBytes(tonePcm16(700, 1000, rate)) });
      const mulaw = wavToCallerAudio(wav);
      expect(Math.abs(mulaw.length - 8000)).toBeLessThanOrEqual(8);
      expect(toneMs(mulaw, 700)).toBeGreaterThanOrEqual(960);
    });
  }
});
