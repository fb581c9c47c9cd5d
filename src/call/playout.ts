/**
 * What the caller hears: agent audio sent to Mcube as it arrives (never held back for a later event),
 * checkpoints after turns, their acknowledgements, barge-in clears, and the "wait until the caller
 * heard it" drain an ending needs.
 */
import type { Clock, Timer } from "../base/clock.ts";

export type DrainResult = "played" | "cleared" | "timeout";

/** The Mcube commands playout uses. */
export interface PlayoutSink {
  playAudio(bytes: Uint8Array): boolean;
  checkpoint(name: string): void;
  clearAudio(): void;
}

export interface PlayoutOptions {
  sink: PlayoutSink;
  clock: Clock;
  /** Bytes per millisecond of the call's media format (playout time estimates). */
  bytesPerMs: number;
  /** PLAY_CHUNK_MS: the largest piece one playAudio carries. */
  maxPieceMs: number;
  /** Audio handed to Mcube (for a recording of what the caller heard). */
  onSent?(bytes: Uint8Array): void;
  /** Mcube was told to drop what it had queued. */
  onCleared?(): void;
}

interface Waiter {
  seq: number;
  resolve(result: DrainResult): void;
  timer: Timer | undefined;
  extraMs: number;
  deadlineMs: number;
}

export class Playout {
  private readonly sink: PlayoutSink;
  private readonly clock: Clock;
  private readonly maxPieceBytes: number;
  private readonly pending = new Map<string, number>();
  private seq = 0;
  private names = 0;
  private ackedSeq = 0;
  private audioSinceCheckpoint = false;
  private playoutEndsAtMs = 0;
  private waiter: Waiter | undefined;
  /** playAudio frames and bytes sent to Mcube. */
  piecesOut = 0;
  bytesOut = 0;
  /** clock.now() when the first agent audio went to the caller. */
  firstSentAtMs: number | undefined;
  /** clock.now() of the last agent audio sent. */
  lastSentAtMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: PlayoutOptions) {
    this.sink = options.sink;
    this.clock = options.clock;
    this.maxPieceBytes = Math.max(1, Math.round(options.maxPieceMs * options.bytesPerMs));
  }

  /** Agent audio in the call's media format: out at once, in pieces of at most PLAY_CHUNK_MS. */
  send(bytes: Uint8Array): void {
    for (let offset = 0; offset < bytes.length; offset += this.maxPieceBytes) {
      const piece = bytes.subarray(offset, offset + this.maxPieceBytes);
      if (!this.sink.playAudio(piece)) continue;
      this.options.onSent?.(piece);
      this.piecesOut++;
      this.bytesOut += piece.length;
      this.audioSinceCheckpoint = true;
      const now = this.clock.now();
      this.firstSentAtMs ??= now;
      this.lastSentAtMs = now;
      this.playoutEndsAtMs = Math.max(now, this.playoutEndsAtMs) + piece.length / this.options.bytesPerMs;
    }
    if (this.waiter) this.extendDrain();
  }

  /** A checkpoint after the audio sent since the last one (nothing when there is none). */
  checkpoint(label: string): void {
    if (!this.audioSinceCheckpoint) return;
    const name = `${label}-${++this.names}`;
    this.pending.set(name, ++this.seq);
    this.audioSinceCheckpoint = false;
    this.sink.checkpoint(name);
  }

  /** Mcube acknowledged a checkpoint: everything before it has been heard. */
  played(name: string): void {
    const seq = this.pending.get(name);
    if (seq === undefined) return;
    this.ackedSeq = Math.max(this.ackedSeq, seq);
    for (const [key, value] of this.pending) if (value <= seq) this.pending.delete(key);
    if (this.waiter && this.ackedSeq >= this.waiter.seq) this.finishDrain("played");
  }

  /** Barge-in: Mcube drops its queue; pending checkpoints will never be acknowledged. */
  clear(): void {
    this.sink.clearAudio();
    this.options.onCleared?.();
    this.pending.clear();
    this.audioSinceCheckpoint = false;
    this.playoutEndsAtMs = this.clock.now();
    this.finishDrain("cleared");
  }

  /** Estimated audio still queued at Mcube (sent, not yet played in real time). */
  get queuedMs(): number {
    return Math.max(0, this.playoutEndsAtMs - this.clock.now());
  }

  /** The caller is hearing agent audio now (by the playout estimate). */
  get playing(): boolean {
    return this.queuedMs > 0;
  }

  get pendingCheckpoints(): number {
    return this.pending.size;
  }

  /**
   * A checkpoint after what was sent, resolved once Mcube says it was played — or after the queued
   * audio + `extraMs` (at most `capMs` from now), or at a barge-in. Audio sent meanwhile moves the
   * checkpoint after it.
   */
  drain(extraMs: number, capMs = Number.POSITIVE_INFINITY): Promise<DrainResult> {
    this.checkpoint("end");
    if (this.pending.size === 0) return Promise.resolve("played");
    this.finishDrain("timeout");
    return new Promise((resolve) => {
      this.waiter = { seq: this.seq, resolve, timer: undefined, extraMs, deadlineMs: this.clock.now() + capMs };
      this.armDrainTimer();
    });
  }

  /** The call is over: a pending drain resolves, nothing more is sent. */
  close(): void {
    this.finishDrain("timeout");
    this.pending.clear();
  }

  private extendDrain(): void {
    this.checkpoint("end");
    this.waiter!.seq = this.seq;
    this.armDrainTimer();
  }

  private armDrainTimer(): void {
    const waiter = this.waiter!;
    this.clock.clearTimer(waiter.timer);
    const boundMs = Math.min(this.queuedMs + waiter.extraMs, waiter.deadlineMs - this.clock.now());
    waiter.timer = this.clock.setTimer(() => this.finishDrain("timeout"), boundMs);
  }

  private finishDrain(result: DrainResult): void {
    const waiter = this.waiter;
    if (!waiter) return;
    this.waiter = undefined;
    this.clock.clearTimer(waiter.timer);
    waiter.resolve(result);
  }
}
