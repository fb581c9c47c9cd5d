/** Float64 filter history followed by the newest input: what every resampler kernel reads. */

/**
 * `history` zeros (the filter's memory) then appended input, preallocated for one block
 * (it only grows if a caller appends more than that); `discard` keeps just the tail the next
 * output needs.
 */
export class SampleBuffer {
  data: Float64Array;
  filled = 0;
  constructor(
    readonly history: number,
    blockSamples: number,
  ) {
    this.data = new Float64Array(history + blockSamples);
    this.clear();
  }
  clear(): void {
    this.data.fill(0, 0, this.history);
    this.filled = this.history;
  }
  append(input: Int16Array): Float64Array {
    const needed = this.filled + input.length;
    if (needed > this.data.length) {
      const grown = new Float64Array(needed);
      grown.set(this.data.subarray(0, this.filled));
      this.data = grown;
    }
    const data = this.data;
    for (let i = 0, j = this.filled; i < input.length; i++, j++) data[j] = input[i]!;
    this.filled = needed;
    return data;
  }
  /** Drop everything before `from`. */
  discard(from: number): void {
    this.data.copyWithin(0, from, this.filled);
    this.filled -= from;
  }
}
