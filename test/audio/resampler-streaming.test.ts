/** Streaming behaviour: chunk-size invariance, frame lengths, reset for barge-in, clamping, bad rates. */
import { describe, expect, test } from "bun:test";
import { createResampler, SUPPORTED_RATES } from "../../src/audio/resampler.ts";
import { concat, maxAbsDiff, processInChunks, randomChunks, seededRandom, tones } from "./signals.ts";

const AGENT_RATES = [16_000, 22_050, 24_000, 44_100, 48_000];
const PAIRS: [number, number][] = [
  [8000, 8000],
  ...AGENT_RATES.flatMap((rate): [number, number][] => [[8000, rate], [rate, 8000]]),
  // A 16 kHz L16 call with an agent at a higher rate.
  ...AGENT_RATES.filter((rate) => rate > 16_000).flatMap((rate): [number, number][] => [[16_000, rate], [rate, 16_000]]),
];

/** Speech-like test input: a few tones across the band plus seeded noise, 1 s. */
function testSignal(rate: number, seed = 7): Int16Array {
  const signal = tones(rate, [220, 1330, 3100, 5200], 1000, 6000);
  const random = seededRandom(seed);
  for (let i = 0; i < signal.length; i++) signal[i] = signal[i]! + Math.round((random() - 0.5) * 4000);
  return signal;
}

describe.each(PAIRS)("%i → %i Hz streaming", (inputRate, outputRate) => {
  const input = testSignal(inputRate);
  const oneShot = createResampler(inputRate, outputRate).process(input);

  test("20 ms pieces give exactly the one-shot output, one output frame per input frame", () => {
    const resampler = createResampler(inputRate, outputRate);
    const frameIn = inputRate / 50;
    const sizes = Array.from({ length: input.length / frameIn }, () => frameIn);
    const outputs = processInChunks(input, sizes, (chunk) => resampler.process(chunk));
    for (const frame of outputs) expect(frame.length).toBe(outputRate / 50);
    expect(maxAbsDiff(concat(outputs), oneShot)).toBe(0);
  });

  test("random chunk sizes (including empty and odd ones) stay within 1 LSB of one-shot", () => {
    for (const seed of [1, 2, 3]) {
      const resampler = createResampler(inputRate, outputRate);
      const sizes = randomChunks(input.length, 997, seed);
      const streamed = concat(processInChunks(input, sizes, (chunk) => resampler.process(chunk)));
      expect(maxAbsDiff(streamed, oneShot)).toBeLessThanOrEqual(1);
    }
  });

  test("single-sample chunks match too", () => {
    const resampler = createResampler(inputRate, outputRate);
    const part = input.subarray(0, inputRate / 10);
    const streamed = concat(processInChunks(part, Array.from({ length: part.length }, () => 1), (chunk) => resampler.process(chunk)));
    expect(maxAbsDiff(streamed, oneShot.subarray(0, outputRate / 10))).toBeLessThanOrEqual(1);
  });

  test("the returned samples belong to the caller (not overwritten by later calls)", () => {
    const resampler = createResampler(inputRate, outputRate);
    const frameIn = inputRate / 50;
    const first = resampler.process(input.subarray(0, frameIn));
    const copy = first.slice();
    resampler.process(input.subarray(frameIn, 2 * frameIn));
    expect(maxAbsDiff(first, copy)).toBe(0);
  });

  test("reset() forgets the previous speech: same output as a fresh resampler", () => {
    const resampler = createResampler(inputRate, outputRate);
    resampler.process(input.subarray(0, inputRate / 5));
    resampler.reset();
    const after = resampler.process(input.subarray(0, inputRate / 10));
    const fresh = createResampler(inputRate, outputRate).process(input.subarray(0, inputRate / 10));
    expect(maxAbsDiff(after, fresh)).toBe(0);
  });
});

describe("reset for barge-in", () => {
  test("without reset the filter tail of old audio leaks into the next frame; with reset it does not", () => {
    const loud = tones(16_000, [1000], 100, 16_000);
    const silence = new Int16Array(320);
    const kept = createResampler(16_000, 8000);
    kept.process(loud);
    const tail = kept.process(silence);
    expect(tail.some((v) => Math.abs(v) > 1000)).toBe(true);

    const reset = createResampler(16_000, 8000);
    reset.process(loud);
    reset.reset();
    expect(reset.process(silence).every((v) => v === 0)).toBe(true);
  });
});

describe("edge cases", () => {
  test("full-scale square waves clamp at the rails instead of wrapping around", () => {
    for (const [inputRate, outputRate] of PAIRS.filter(([a, b]) => a !== b)) {
      const period = inputRate / 500;
      const square = Int16Array.from({ length: inputRate / 5 }, (_, i) => (i % period < period / 2 ? 32767 : -32768));
      const output = createResampler(inputRate, outputRate).process(square);
      // A wrapped overshoot (+32768 → −32768) jumps by ~65,000 and back within a few samples. Only a wideband
      // pair (16 kHz ⇄ higher) may jump rail to rail at the square's own edges, half a period apart.
      const bigJumps: number[] = [];
      for (let i = 1; i < output.length; i++) if (Math.abs(output[i]! - output[i - 1]!) > 60_000) bigJumps.push(i);
      const quarterPeriod = outputRate / 500 / 4;
      const wrapped = bigJumps.some((at, k) => k > 0 && at - bigJumps[k - 1]! < quarterPeriod);
      expect({ inputRate, outputRate, wrapped }).toEqual({ inputRate, outputRate, wrapped: false });
      expect(output.includes(32767) && output.includes(-32768)).toBe(true);
    }
  });

  test("a long one-shot buffer (10 s) works and keeps its length ratio", () => {
    const input = tones(48_000, [440], 10_000, 8000);
    expect(createResampler(48_000, 8000).process(input).length).toBe(80_000);
    expect(createResampler(8000, 44_100).process(input.subarray(0, 80_000)).length).toBe(441_000);
  });

  test("an empty chunk gives an empty result", () => {
    for (const [inputRate, outputRate] of PAIRS) expect(createResampler(inputRate, outputRate).process(new Int16Array(0)).length).toBe(0);
  });

  test("unsupported rates are refused with the supported list", () => {
    expect(() => createResampler(8000, 11_025)).toThrow(/11025 Hz.*8000, 16000/);
    expect(SUPPORTED_RATES).toEqual([8000, 16000, 22050, 24000, 44100, 48000]);
  });

  test("the rates are reported", () => {
    const resampler = createResampler(8000, 22_050);
    expect([resampler.inputRate, resampler.outputRate]).toEqual([8000, 22_050]);
  });
});
