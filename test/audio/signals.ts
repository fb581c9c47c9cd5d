/** Test signals and measurements for audio tests: tones, DFT/Goertzel levels, SNR, delay, chunking. */

export const FULL_SCALE = 32768;
/** −6 dBFS sine amplitude, the level the quality bar is stated at. */
export const MINUS_6_DBFS = FULL_SCALE / 2;

/** A sine tone (rounded to 16 bits) of `durationMs` at `rate`, starting at phase 0 at sample 0. */
export function tone(rate: number, hz: number, durationMs: number, amplitude = MINUS_6_DBFS): Int16Array {
  const samples = new Int16Array(Math.round((rate * durationMs) / 1000));
  for (let i = 0; i < samples.length; i++) samples[i] = Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / rate));
  return samples;
}

/** Sum of several tones (each at `amplitude`). */
export function tones(rate: number, hzList: number[], durationMs: number, amplitude: number): Int16Array {
  const samples = new Int16Array(Math.round((rate * durationMs) / 1000));
  for (let i = 0; i < samples.length; i++) {
    let v = 0;
    for (const hz of hzList) v += amplitude * Math.sin((2 * Math.PI * hz * i) / rate);
    samples[i] = Math.round(v);
  }
  return samples;
}

export interface Segment {
  /** First sample analysed (skip the filter's start-up transient). */
  start: number;
  /** Samples analysed; one second at the signal's rate makes every integer-Hz tone an exact bin. */
  length: number;
}

/** One second starting 100 ms in: every integer-Hz tone has a whole number of cycles. */
export function steadySecond(rate: number): Segment {
  return { start: Math.round(rate / 10), length: rate };
}

/**
 * Hann-windowed single-bin DFT (Goertzel-style direct sum) at `hz`. Returns the amplitude of
 * that component and its phase referred to sample 0 of the stream (for delay measurement).
 */
export function dftBin(samples: Int16Array, rate: number, hz: number, segment: Segment = steadySecond(rate)): { amplitude: number; phase: number } {
  const { start, length } = segment;
  if (start + length > samples.length) throw new Error(`signal too short: need ${start + length} samples, have ${samples.length}`);
  const w = (2 * Math.PI * hz) / rate;
  let re = 0;
  let im = 0;
  let windowSum = 0;
  for (let i = 0; i < length; i++) {
    const window = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / length);
    const v = samples[start + i]! * window;
    const angle = w * (start + i);
    re += v * Math.cos(angle);
    im -= v * Math.sin(angle);
    windowSum += window;
  }
  return { amplitude: (2 * Math.hypot(re, im)) / windowSum, phase: Math.atan2(im, re) };
}

/** Level of the `hz` component in dBFS (a full-scale sine is 0 dBFS; −6 dBFS tones read −6.02). */
export function levelDb(samples: Int16Array, rate: number, hz: number, segment?: Segment): number {
  return 20 * Math.log10(Math.max(dftBin(samples, rate, hz, segment).amplitude, 1e-9) / FULL_SCALE);
}

/** RMS level of a segment in dBFS relative to a full-scale sine (a full-scale sine reads 0). */
export function rmsDb(samples: Int16Array, segment: Segment): number {
  let sum = 0;
  for (let i = segment.start; i < segment.start + segment.length; i++) sum += samples[i]! * samples[i]!;
  const rms = Math.sqrt(sum / segment.length);
  return 20 * Math.log10(Math.max(rms, 1e-9) / (FULL_SCALE / Math.SQRT2));
}

/**
 * Signal-to-noise-and-distortion ratio in dB of a tone at `hz`: least-squares fit of the tone
 * (exact over a whole number of cycles) against everything else in the segment.
 */
export function snrDb(samples: Int16Array, rate: number, hz: number, segment: Segment = steadySecond(rate)): number {
  const { start, length } = segment;
  const w = (2 * Math.PI * hz) / rate;
  let c = 0;
  let s = 0;
  let mean = 0;
  for (let i = 0; i < length; i++) {
    const v = samples[start + i]!;
    c += v * Math.cos(w * i);
    s += v * Math.sin(w * i);
    mean += v;
  }
  c = (2 * c) / length;
  s = (2 * s) / length;
  mean /= length;
  let signal = 0;
  let residual = 0;
  for (let i = 0; i < length; i++) {
    const fit = c * Math.cos(w * i) + s * Math.sin(w * i);
    signal += fit * fit;
    const r = samples[start + i]! - fit - mean;
    residual += r * r;
  }
  return 10 * Math.log10(signal / Math.max(residual, 1e-12));
}

/**
 * Delay of a tone through a system in ms, from its phase at the output vs the input (both referred
 * to stream time 0). Unambiguous while the delay is shorter than one period of `hz`.
 */
export function toneDelayMs(input: Int16Array, inputRate: number, output: Int16Array, outputRate: number, hz: number): number {
  const phaseIn = dftBin(input, inputRate, hz).phase;
  const phaseOut = dftBin(output, outputRate, hz).phase;
  let lag = phaseIn - phaseOut;
  while (lag < 0) lag += 2 * Math.PI;
  while (lag >= 2 * Math.PI) lag -= 2 * Math.PI;
  return (lag / (2 * Math.PI * hz)) * 1000;
}

/** Frequency a tone at `hz` lands on after sampling at `rate` (folded into 0 … rate/2). */
export function foldHz(hz: number, rate: number): number {
  const r = hz % rate;
  return r > rate / 2 ? rate - r : r;
}

import { seededRandom } from "../../src/sim/agent-audio.ts";

export { seededRandom };

/** Split `length` into random chunk sizes between 0 and `maxChunk` (zero-length chunks included). */
export function randomChunks(length: number, maxChunk: number, seed: number): number[] {
  const random = seededRandom(seed);
  const sizes: number[] = [];
  for (let left = length; left > 0; ) {
    const size = Math.min(left, Math.floor(random() * (maxChunk + 1)));
    sizes.push(size);
    left -= size;
  }
  return sizes;
}

/** Concatenate typed arrays of one kind. */
export function concat<T extends Int16Array | Uint8Array>(parts: T[]): T {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const first = parts[0];
  const out = (first instanceof Uint8Array ? new Uint8Array(total) : new Int16Array(total)) as T;
  let offset = 0;
  for (const part of parts) {
    out.set(part as never, offset);
    offset += part.length;
  }
  return out;
}

/** Feed `input` through `process` in the given chunk sizes and concatenate the outputs. */
export function processInChunks<I extends Int16Array | Uint8Array, O extends Int16Array | Uint8Array>(
  input: I,
  sizes: number[],
  process: (chunk: I) => O,
): O[] {
  const outputs: O[] = [];
  let offset = 0;
  for (const size of sizes) {
    outputs.push(process(input.subarray(offset, offset + size) as I));
    offset += size;
  }
  if (offset !== input.length) throw new Error("chunk sizes do not cover the input");
  return outputs;
}

/** Largest absolute difference between two sample arrays (Infinity if lengths differ). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}
