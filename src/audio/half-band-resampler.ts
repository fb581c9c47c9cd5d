/**
 * 2:1 resamplers (8 kHz ↔ 16 kHz) built on one half-band FIR: every other tap is zero and the
 * rest are symmetric, so each output costs HALF_BAND_PAIRS multiplies instead of 2·pairs·2.
 */

import { designLowpass, KAISER_BETA, toInt16 } from "./filter-design.ts";
import { BlockResampler, INITIAL_BLOCK_SAMPLES } from "./block-resampler.ts";
import { SampleBuffer } from "./sample-buffer.ts";

/**
 * Nonzero symmetric tap pairs. 20 pairs = 79 taps at 16 kHz: with Kaiser β for 90 dB this keeps
 * 0–3.4 kHz flat to 0.001 dB and holds ≥ 89 dB from 4.6 kHz on; delay (79 − 1) / 2 = 39 samples
 * at 16 kHz = 2.44 ms. 19 pairs only reaches 77 dB at 4.6 kHz. The kernels below run four
 * pairs per loop step, so this must stay a multiple of 4.
 */
export const HALF_BAND_PAIRS = 20;
export const HALF_BAND_LENGTH = 4 * HALF_BAND_PAIRS - 1;
if (HALF_BAND_PAIRS % 4 !== 0) throw new Error("HALF_BAND_PAIRS must be a multiple of 4");

let cachedPairs: Float64Array | undefined;

/**
 * The odd-offset taps h[±1], h[±3], … h[±(2·pairs − 1)] of the half-band prototype (DC gain 1),
 * scaled so they sum to ½ per side pair set: the center tap is exactly ½ and both polyphase
 * branches have DC gain exactly ½, so an 8 → 16 kHz upsampler passes every input sample through.
 */
export function halfBandPairs(): Float64Array {
  if (cachedPairs) return cachedPairs;
  const prototype = designLowpass({ sampleRate: 16_000, cutoffHz: 4000, length: HALF_BAND_LENGTH, beta: KAISER_BETA, gain: 1 });
  const center = (HALF_BAND_LENGTH - 1) / 2;
  const pairs = new Float64Array(HALF_BAND_PAIRS);
  let sum = 0;
  for (let j = 0; j < HALF_BAND_PAIRS; j++) {
    pairs[j] = prototype[center + 1 + 2 * j]!;
    sum += 2 * pairs[j]!;
  }
  for (let j = 0; j < HALF_BAND_PAIRS; j++) pairs[j] = (pairs[j]! * 0.5) / sum;
  cachedPairs = pairs;
  return pairs;
}

/** The full half-band impulse (for design checks): center ½, even offsets 0. */
export function halfBandImpulse(): Float64Array {
  const pairs = halfBandPairs();
  const taps = new Float64Array(HALF_BAND_LENGTH);
  const center = (HALF_BAND_LENGTH - 1) / 2;
  taps[center] = 0.5;
  for (let j = 0; j < HALF_BAND_PAIRS; j++) {
    taps[center + 1 + 2 * j] = pairs[j]!;
    taps[center - 1 - 2 * j] = pairs[j]!;
  }
  return taps;
}

/** 8 kHz → 16 kHz: each input sample yields one filtered sample and one delayed copy. */
export class HalfBandUpsampler extends BlockResampler {
  readonly inputRate = 8000;
  readonly outputRate = 16_000;
  private readonly gains: Float64Array;
  private readonly buffer = new SampleBuffer(2 * HALF_BAND_PAIRS - 1, INITIAL_BLOCK_SAMPLES);

  constructor() {
    super();
    const pairs = halfBandPairs();
    this.gains = pairs.map((h) => 2 * h); // interpolation gain 2
  }

  reset(): void {
    this.buffer.clear();
  }

  protected outputCount(inputLength: number): number {
    return 2 * inputLength;
  }

  protected filterBlock(input: Int16Array, output: Int16Array, offset: number): number {
    const pairs = HALF_BAND_PAIRS;
    const g = this.gains;
    const history = this.buffer.history;
    const x = this.buffer.append(input);
    for (let n = 0, newest = history, out = offset; n < input.length; n++, newest++, out += 2) {
      // y[2n] = Σ g_j (x[n−K+1+j] + x[n−K−j]); y[2n+1] = x[n−K+1] (center tap ½ × gain 2).
      const hi = newest - pairs + 1;
      let sum0 = 0;
      let sum1 = 0;
      for (let j = 0, a = hi, b = hi - 1; j < pairs; j += 4, a += 4, b -= 4) {
        sum0 += g[j]! * (x[a]! + x[b]!) + g[j + 2]! * (x[a + 2]! + x[b - 2]!);
        sum1 += g[j + 1]! * (x[a + 1]! + x[b - 1]!) + g[j + 3]! * (x[a + 3]! + x[b - 3]!);
      }
      output[out] = toInt16(sum0 + sum1);
      output[out + 1] = x[hi]!;
    }
    this.buffer.discard(input.length);
    return offset + 2 * input.length;
  }
}

/** 16 kHz → 8 kHz: one output per two inputs; the center tap is ½, the pairs touch one parity. */
export class HalfBandDownsampler extends BlockResampler {
  readonly inputRate = 16_000;
  readonly outputRate = 8000;
  private readonly pairs = halfBandPairs();
  private readonly buffer = new SampleBuffer(HALF_BAND_LENGTH - 1, INITIAL_BLOCK_SAMPLES);
  /** Buffer index of the newest input the next output uses. */
  private position = HALF_BAND_LENGTH - 1;

  reset(): void {
    this.buffer.clear();
    this.position = HALF_BAND_LENGTH - 1;
  }

  protected outputCount(inputLength: number): number {
    const last = this.buffer.filled + inputLength - 1;
    return this.position <= last ? ((last - this.position) >> 1) + 1 : 0;
  }

  protected filterBlock(input: Int16Array, output: Int16Array, offset: number): number {
    const pairs = HALF_BAND_PAIRS;
    const h = this.pairs;
    const count = this.outputCount(input.length);
    const x = this.buffer.append(input);
    let center = this.position - (2 * pairs - 1);
    for (let n = offset; n < offset + count; n++, center += 2) {
      let sum0 = 0.5 * x[center]!;
      let sum1 = 0;
      for (let j = 0, a = center + 1, b = center - 1; j < pairs; j += 4, a += 8, b -= 8) {
        sum0 += h[j]! * (x[a]! + x[b]!) + h[j + 2]! * (x[a + 4]! + x[b - 4]!);
        sum1 += h[j + 1]! * (x[a + 2]! + x[b - 2]!) + h[j + 3]! * (x[a + 6]! + x[b - 6]!);
      }
      output[n] = toInt16(sum0 + sum1);
    }
    const next = this.position + 2 * count;
    const keepFrom = next - (HALF_BAND_LENGTH - 1);
    this.buffer.discard(keepFrom);
    this.position = next - keepFrom;
    return offset + count;
  }
}
