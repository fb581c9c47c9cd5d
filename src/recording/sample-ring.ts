/** A growable ring of 16-bit samples addressed by absolute position: written anywhere ahead, consumed from the front. */

/**
 * Holds samples [start, end) of one channel. Cells outside that window are always zero, so a gap
 * between two writes reads as silence without being written. Grows by doubling up to `maxSamples`;
 * writes beyond that reach are cut off (the caller counts them), so memory stays bounded.
 */
export class SampleRing {
  private buf: Int16Array;
  private mask: number;
  /** Absolute position of the oldest sample held; everything before it was consumed. */
  start = 0;
  /** Absolute position just after the last sample written (never below `start`). */
  end = 0;

  constructor(
    private readonly maxSamples: number,
    initialSamples = 4096,
  ) {
    this.buf = new Int16Array(powerOfTwoAtLeast(Math.min(initialSamples, maxSamples)));
    this.mask = this.buf.length - 1;
  }

  /** Samples of memory this ring holds now (its capacity). */
  get capacity(): number {
    return this.buf.length;
  }

  /**
   * Writes `samples` from absolute position `pos`, replacing what is there. The part before `start`
   * or past `start + maxSamples` is dropped. Returns how many samples were kept.
   */
  write(pos: number, samples: Int16Array): number {
    let from = 0;
    if (pos < this.start) {
      from = this.start - pos;
      pos = this.start;
    }
    const limit = this.start + this.maxSamples;
    const to = Math.min(samples.length, from + Math.max(0, limit - pos));
    const count = to - from;
    if (count <= 0) return 0;
    this.ensure(pos + count - this.start);
    const buf = this.buf;
    const mask = this.mask;
    for (let i = 0; i < count; i++) buf[(pos + i) & mask] = samples[from + i]!;
    this.end = Math.max(this.end, pos + count);
    return count;
  }

  /** Silences [from, end) and moves `end` back to `from` (not below `start`). */
  truncate(from: number): void {
    const cut = Math.max(from, this.start);
    const mask = this.mask;
    for (let p = cut; p < this.end; p++) this.buf[p & mask] = 0;
    this.end = Math.max(this.start, Math.min(this.end, cut));
  }

  /** Moves [start, start + n) into `out[offset + i * stride]`, zeroes those cells and advances `start`. */
  consume(n: number, out: Int16Array, offset: number, stride: number): void {
    const buf = this.buf;
    const mask = this.mask;
    // Beyond `end` the cells are zero already; reading them gives the silence after the last write.
    for (let i = 0, p = this.start; i < n; i++, p++) {
      const index = p & mask;
      out[offset + i * stride] = buf[index]!;
      buf[index] = 0;
    }
    this.start += n;
    if (this.end < this.start) this.end = this.start;
  }

  private ensure(span: number): void {
    if (span <= this.buf.length) return;
    const grown = new Int16Array(powerOfTwoAtLeast(span));
    const mask = grown.length - 1;
    for (let p = this.start; p < this.end; p++) grown[p & mask] = this.buf[p & this.mask]!;
    this.buf = grown;
    this.mask = mask;
  }
}

function powerOfTwoAtLeast(n: number): number {
  let size = 1;
  while (size < n) size *= 2;
  return size;
}
