/**
 * The pure half of call recording: places the caller's audio (left) and what the caller heard (right)
 * on one 8 kHz timeline from the call's start, and hands out finished stereo blocks in order.
 */
import { SampleRing } from "./sample-ring.ts";

export const RECORDING_SAMPLE_RATE = 8000;
const SAMPLES_PER_MS = RECORDING_SAMPLE_RATE / 1000;

export interface HeardMixOptions {
  /** Receives each finished block: interleaved left/right samples, contiguous from time zero. */
  onBlock(interleaved: Int16Array): void;
  /** Size of the blocks handed out (the last one may be shorter). Default 250 ms. */
  blockMs?: number;
  /**
   * Caller frames arriving up to this much later than the audio before them would end are joined to
   * it (network jitter); a longer gap is kept as silence. Default 200 ms.
   */
  callerJitterMs?: number;
  /** Agent audio queued further ahead of the playout than this is not recorded (bounds memory). Default 30 s. */
  maxQueuedMs?: number;
}

/**
 * Heard-audio model. Mcube plays what it is sent in order, each piece from when it was queued or
 * when the piece before it ends, whichever is later; a clear drops everything not yet played. So
 * the right channel is final up to "now", the left channel once no late frame can land there, and
 * memory holds only that short window plus the agent audio still queued.
 *
 * `atMs` is milliseconds since the call's start, non-decreasing across calls (the call's clock).
 */
export class HeardMix {
  private readonly left: SampleRing;
  private readonly right: SampleRing;
  private readonly onBlock: (interleaved: Int16Array) => void;
  private readonly blockSamples: number;
  private readonly jitterSamples: number;
  /** How far behind "now" the caller channel is treated as final: a frame is placed at most this early. */
  private readonly commitLagSamples: number;
  /** The latest instant seen, in samples since the start. */
  private nowPos = 0;
  /** End of the caller audio placed so far. */
  private callerEnd = 0;
  /** End of the agent audio queued at Mcube (what is left of it after a clear). */
  private queueEnd = 0;
  private ended = false;
  /** Samples per channel handed out so far. */
  written = 0;
  /** Agent samples not recorded because they were queued more than maxQueuedMs ahead. */
  droppedSamples = 0;

  constructor({ onBlock, blockMs = 250, callerJitterMs = 200, maxQueuedMs = 30_000 }: HeardMixOptions) {
    this.onBlock = onBlock;
    this.blockSamples = Math.max(1, Math.round(blockMs * SAMPLES_PER_MS));
    this.jitterSamples = Math.round(callerJitterMs * SAMPLES_PER_MS);
    this.commitLagSamples = this.jitterSamples + 100 * SAMPLES_PER_MS;
    // The left ring spans the commit lag plus a burst of late frames; the right the playout queue.
    this.left = new SampleRing(this.commitLagSamples + 10 * RECORDING_SAMPLE_RATE, 4096);
    this.right = new SampleRing(Math.round(maxQueuedMs * SAMPLES_PER_MS) + this.commitLagSamples + this.blockSamples, 4096);
  }

  /** Samples both channels hold in memory now (for the "memory is bounded" check). */
  get heldSamples(): number {
    return this.left.capacity + this.right.capacity;
  }

  /** Caller audio received at `atMs` (the frame ends then). */
  caller(samples: Int16Array, atMs: number): void {
    if (this.ended || samples.length === 0) return;
    const at = this.advanceTo(atMs);
    const expected = at - samples.length;
    // Joined to the previous audio unless a real gap opened; never placed where blocks went out already.
    const land = Math.max(expected > this.callerEnd + this.jitterSamples ? expected : this.callerEnd, this.left.start);
    this.left.write(land, samples);
    this.callerEnd = land + samples.length;
    this.flush(false);
  }

  /** Agent audio queued at Mcube at `atMs`: it plays after what is already queued. */
  sent(samples: Int16Array, atMs: number): void {
    if (this.ended || samples.length === 0) return;
    const at = this.advanceTo(atMs);
    const from = Math.max(at, this.queueEnd);
    const kept = this.right.write(from, samples);
    this.droppedSamples += samples.length - kept;
    this.queueEnd = from + kept;
    this.flush(false);
  }

  /** Mcube dropped its queue at `atMs`: what had not played by then was never heard. */
  cleared(atMs: number): void {
    if (this.ended) return;
    const at = this.advanceTo(atMs);
    if (this.queueEnd > at) {
      this.right.truncate(at);
      this.queueEnd = at;
    }
    this.flush(false);
  }

  /** The call ended at `atMs`: hands out the rest (agent audio still queued was not heard). Returns samples per channel. */
  end(atMs: number): number {
    if (this.ended) return this.written;
    this.advanceTo(atMs);
    const at = this.nowPos;
    this.right.truncate(at);
    this.queueEnd = Math.min(this.queueEnd, at);
    this.ended = true;
    this.flush(true);
    return this.written;
  }

  /** The position of `atMs`; moves "now" forward to it. */
  private advanceTo(atMs: number): number {
    const at = Math.max(0, Math.round(atMs * SAMPLES_PER_MS));
    if (at > this.nowPos) this.nowPos = at;
    return at;
  }

  /** Hands out whole blocks up to the final position (all of it at the end). */
  private flush(all: boolean): void {
    const final = all ? Math.max(this.nowPos, this.callerEnd) : this.finalPosition();
    while (final - this.written >= this.blockSamples) this.emit(this.blockSamples);
    if (all && final > this.written) this.emit(final - this.written);
  }

  /**
   * Both channels are final before this position: the right up to now (a clear cannot reach back),
   * the left up to its last audio, or past it once a late frame could no longer land there.
   */
  private finalPosition(): number {
    const leftFinal = Math.max(this.callerEnd, this.nowPos - this.commitLagSamples);
    return Math.min(this.nowPos, leftFinal);
  }

  private emit(samples: number): void {
    const block = new Int16Array(samples * 2);
    this.left.consume(samples, block, 0, 2);
    this.right.consume(samples, block, 1, 2);
    this.written += samples;
    this.onBlock(block);
  }
}
