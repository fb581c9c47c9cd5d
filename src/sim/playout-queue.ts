/**
 * Mcube's playout queue, emulated: playAudio bytes play one 20 ms frame per tick (160 bytes of μ-law by
 * default); a checkpoint is acknowledged once everything queued before it has played; clearAudio drops
 * audio and checkpoints. Pure logic driven by tick(), so its ordering can be tested without a clock.
 */
import { MULAW_SILENCE } from "../audio/mulaw.ts";

/** One Mcube frame of the default format: 20 ms of 8 kHz μ-law. */
export const FRAME_BYTES = 160;
export const FRAME_MS = 20;

export interface PlayoutFormat {
  /** Bytes played per 20 ms tick. Default 160 (μ-law 8 kHz). */
  frameBytes?: number;
  /** Byte that pads a tick with silence. Default μ-law silence (0xFF). */
  silence?: number;
}

type Item = { kind: "audio"; bytes: Uint8Array; offset: number } | { kind: "checkpoint"; name: string };

export interface TickResult {
  /** What the caller hears during this tick (silence-padded to a whole frame). */
  frame: Uint8Array;
  /** How many of those bytes came from the queue. */
  playedBytes: number;
  /** Checkpoints whose audio had all been played when this tick began. */
  acked: string[];
}

export class PlayoutQueue {
  private readonly frameBytes: number;
  private readonly silence: number;
  private items: Item[] = [];
  private bytesQueued = 0;
  /** Checkpoints passed while taking the last tick's bytes: that audio ends as the tick ends. */
  private passed: string[] = [];

  constructor({ frameBytes = FRAME_BYTES, silence = MULAW_SILENCE }: PlayoutFormat = {}) {
    this.frameBytes = frameBytes;
    this.silence = silence;
  }

  enqueueAudio(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.items.push({ kind: "audio", bytes, offset: 0 });
    this.bytesQueued += bytes.length;
  }

  enqueueCheckpoint(name: string): void {
    this.items.push({ kind: "checkpoint", name });
  }

  /** Drops all queued audio and every unacknowledged checkpoint. */
  clear(): { droppedBytes: number; droppedCheckpoints: string[] } {
    const droppedCheckpoints = [...this.passed];
    for (const item of this.items) if (item.kind === "checkpoint") droppedCheckpoints.push(item.name);
    const droppedBytes = this.bytesQueued;
    this.items = [];
    this.passed = [];
    this.bytesQueued = 0;
    return { droppedBytes, droppedCheckpoints };
  }

  get queuedBytes(): number {
    return this.bytesQueued;
  }

  get queuedMs(): number {
    return (this.bytesQueued * FRAME_MS) / this.frameBytes;
  }

  get pendingCheckpoints(): number {
    return this.passed.length + this.items.filter((i) => i.kind === "checkpoint").length;
  }

  /** Plays the next 20 ms. */
  tick(): TickResult {
    const acked = this.passed;
    this.passed = [];
    for (let head = this.items[0]; head?.kind === "checkpoint"; head = this.items[0]) {
      acked.push(head.name);
      this.items.shift();
    }
    const frame = new Uint8Array(this.frameBytes).fill(this.silence);
    let filled = 0;
    while (filled < this.frameBytes && this.items.length > 0) {
      const head: Item = this.items[0]!;
      if (head.kind === "checkpoint") {
        this.passed.push(head.name);
        this.items.shift();
        continue;
      }
      const take = Math.min(this.frameBytes - filled, head.bytes.length - head.offset);
      frame.set(head.bytes.subarray(head.offset, head.offset + take), filled);
      head.offset += take;
      filled += take;
      if (head.offset === head.bytes.length) this.items.shift();
    }
    this.bytesQueued -= filled;
    return { frame, playedBytes: filled, acked };
  }
}
