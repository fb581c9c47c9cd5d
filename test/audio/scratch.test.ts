/** Per-call scratch arrays: reused between chunks, grown by doubling, never kept past their bound. */
import { describe, expect, test } from "bun:test";
import { Scratch } from "../../src/audio/scratch.ts";
import { createDownlinkTranscoder } from "../../src/audio/transcoder.ts";

describe("Scratch", () => {
  test("a chunk that fits reuses the same array; a larger one doubles it", () => {
    const scratch = new Scratch((n) => new Uint8Array(n), 1024, 16_384);
    const first = scratch.get(160);
    expect(scratch.get(1024)).toBe(first);
    const grown = scratch.get(1500);
    expect(grown.length).toBe(2048);
    expect(scratch.get(2000)).toBe(grown);
    expect(scratch.keptLength).toBe(2048);
  });

  test("growth stops at the bound; a chunk past it gets an array of its own that is not kept", () => {
    const scratch = new Scratch((n) => new Int16Array(n), 960, 8192);
    expect(scratch.get(7000).length).toBe(7000);
    const kept = scratch.get(7500); // doubling would give 14,000: the bound keeps 8192
    expect(kept.length).toBe(8192);
    const oneOff = scratch.get(24_000);
    expect(oneOff.length).toBe(24_000);
    expect(oneOff).not.toBe(kept);
    expect(scratch.keptLength).toBe(8192);
    expect(scratch.get(100)).toBe(kept);
  });
});

describe("a downlink transcoder after a long agent chunk", () => {
  test("a 1.5 s pcm_16000 chunk converts whole, and the frames after it come out as if fed in one piece", () => {
    const samples = new Int16Array(16_000 * 2);
    for (let i = 0; i < samples.length; i++) samples[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 16_000));
    const bytes = new Uint8Array(samples.buffer);
    const oneShot = createDownlinkTranscoder("pcm_16000").process(bytes).slice();
    const pieces = createDownlinkTranscoder("pcm_16000");
    const long = pieces.process(bytes.subarray(0, 48_000)).slice(); // 1.5 s: past what a call keeps
    const rest = pieces.process(bytes.subarray(48_000)).slice(); // 0.5 s: back in the kept scratch
    expect(long.length + rest.length).toBe(oneShot.length);
    expect([...long, ...rest]).toEqual([...oneShot]);
  });
});
