/** Shared driver for the resampler kernels: filters long inputs in bounded blocks. */

import type { StreamResampler } from "./stream-resampler.ts";

/**
 * Longest piece a kernel filters at once. Agent chunks can be 1.5 s (72,000 samples at 48 kHz);
 * filtering them in blocks keeps every call's history buffer at history + 1024 samples (8 KiB) for the
 * life of the call instead of growing to the largest chunk ever seen.
 */
export const BLOCK_SAMPLES = 1024;

/**
 * Room a kernel's history buffer starts with: a 20 ms frame at 48 kHz. It grows to the largest piece
 * a call actually feeds (at most BLOCK_SAMPLES), so a call that only ever sees 20 ms frames keeps a
 * few KiB per direction instead of a whole block's 32 KiB.
 */
export const INITIAL_BLOCK_SAMPLES = 960;

export abstract class BlockResampler implements StreamResampler {
  abstract readonly inputRate: number;
  abstract readonly outputRate: number;
  abstract reset(): void;

  /** How many output samples the next `inputLength` input samples complete. */
  protected abstract outputCount(inputLength: number): number;

  /** Filter one block (≤ BLOCK_SAMPLES) into `output` from `offset`; returns the new offset. */
  protected abstract filterBlock(block: Int16Array, output: Int16Array, offset: number): number;

  process(input: Int16Array, into?: Int16Array): Int16Array {
    const count = this.outputCount(input.length);
    const output = into && into.length >= count ? into.subarray(0, count) : new Int16Array(count);
    if (input.length <= BLOCK_SAMPLES) {
      this.filterBlock(input, output, 0);
      return output;
    }
    let offset = 0;
    for (let start = 0; start < input.length; start += BLOCK_SAMPLES) {
      offset = this.filterBlock(input.subarray(start, start + BLOCK_SAMPLES), output, offset);
    }
    return output;
  }
}
