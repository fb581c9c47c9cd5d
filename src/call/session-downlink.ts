/**
 * Agent → caller: audio transcoded to μ-law 8 kHz and sent as playAudio pieces of PLAY_CHUNK_MS,
 * a checkpoint at the end of each agent turn, barge-in, and the "wait until the caller heard it" drain.
 *
 * Turn end (when the checkpoint goes out) is the first of: audio with a new event_id arrives,
 * `agent_response_complete` for the turn, or TURN_QUIET_MS without audio. A spurious end only
 * costs one extra checkpoint; a missed one is covered by the next.
 */
import { MULAW_BYTES_PER_MS } from "../audio/mulaw.ts";
import { createDownlinkTranscoder, type Transcoder } from "../audio/transcoder.ts";
import { FrameBuffer } from "../audio/frame-buffer.ts";
import type { AgentAudioFormat } from "../audio/agent-format.ts";
import { checkpoint, clearAudio, playAudio } from "../telephony/mcube-protocol.ts";
import { addedLatency, audioBytes, audioFrames, droppedFrames } from "./call-metrics.ts";
import type { OwnedTimers } from "./owned-timers.ts";

export const TURN_QUIET_MS = 300;
/** A remainder shorter than this waits for more audio or the turn end instead of going out alone. */
const MIN_PIECE_BYTES = 160;

export type DrainResult = "played" | "cleared" | "timeout";

export interface DownlinkIo {
  /** Sends one command to Mcube (no-op once the socket is gone). */
  send(frame: object): void;
  timers: OwnedTimers;
  playChunkMs: number;
  /** The first agent audio went to the caller. */
  onFirstAudio(): void;
}

type Held = { audio: Uint8Array } | { checkpoint: string };

interface Waiter {
  seq: number;
  resolve(result: DrainResult): void;
  timer: ReturnType<typeof setTimeout> | undefined;
  extraMs: number;
  deadlineMs: number;
}

export class Downlink {
  private streamId: string | undefined;
  private transcoder: Transcoder | undefined;
  private readonly buffer = new FrameBuffer(MULAW_BYTES_PER_MS * 2000);
  private held: Held[] = [];
  private turnEventId: number | undefined;
  private turnHasAudio = false;
  private lastInterruptId = -Infinity;
  private quietTimer: ReturnType<typeof setTimeout> | undefined;
  private seq = 0;
  private names = 0;
  private ackedSeq = 0;
  private readonly pending = new Map<string, { seq: number; sentBytes: number }>();
  private audioSinceCheckpoint = false;
  private playoutEndsAtMs = 0;
  private waiter: Waiter | undefined;
  private readonly chunkBytes: number;
  framesOut = 0;
  bytesOut = 0;
  /** Bytes Mcube confirmed played (through the last acknowledged checkpoint). */
  confirmedBytes = 0;
  interruptions = 0;
  staleDropped = 0;
  /** performance.now() of the last agent audio accepted (for "has the agent gone quiet"). */
  lastAudioAtMs = 0;

  constructor(private readonly io: DownlinkIo) {
    this.chunkBytes = io.playChunkMs * MULAW_BYTES_PER_MS;
  }

  setFormat(outputFormat: AgentAudioFormat): void {
    this.transcoder = createDownlinkTranscoder(outputFormat);
  }

  get started(): boolean {
    return this.streamId !== undefined;
  }

  /** Mcube's start gave the streamId: audio held until now goes out in order. */
  start(streamId: string): void {
    this.streamId = streamId;
    const held = this.held;
    this.held = [];
    for (const item of held) {
      if ("audio" in item) this.sendPiece(item.audio);
      else this.sendCheckpointNamed(item.checkpoint);
    }
  }

  /** One agent `audio` event. Audio of an interrupted turn (event_id ≤ the interruption's) is dropped. */
  audio(audioBase64: string, eventId: number, receivedAtMs: number): void {
    audioFrames.inc({ leg: "agent", direction: "in" });
    // `<=`, as the Python and Node SDKs do: interruption ids are ≥ the interrupted turn's id.
    if (eventId <= this.lastInterruptId || !this.transcoder) {
      this.staleDropped++;
      droppedFrames.inc({ reason: "stale_audio" });
      return;
    }
    if (this.turnHasAudio && eventId !== this.turnEventId) this.endTurn();
    this.turnEventId = eventId;
    const bytes = Buffer.from(audioBase64, "base64");
    audioBytes.inc({ leg: "agent", direction: "in" }, bytes.length);
    const mulaw = this.transcoder.process(bytes);
    this.lastAudioAtMs = performance.now();
    if (mulaw.length === 0) return;
    this.buffer.push(mulaw);
    this.turnHasAudio = true;
    const sentBefore = this.framesOut;
    this.emit(false);
    if (this.framesOut > sentBefore) addedLatency.observe({ direction: "downlink" }, performance.now() - receivedAtMs);
    this.io.timers.cancel(this.quietTimer);
    this.quietTimer = this.io.timers.after(TURN_QUIET_MS, () => this.endTurn());
    if (this.waiter) this.extendDrain();
  }

  /** agent_response_complete: the turn is over (if it is the one playing). */
  turnComplete(eventId: number | undefined): void {
    if (eventId === undefined || eventId === this.turnEventId) this.endTurn();
  }

  /** Barge-in: clearAudio at once, forget queued audio and checkpoints, reset the resampler. */
  interrupt(eventId: number | undefined): void {
    this.interruptions++;
    const interrupted = eventId ?? this.turnEventId ?? this.lastInterruptId;
    this.lastInterruptId = Math.max(this.lastInterruptId, interrupted);
    if (this.streamId) this.io.send(clearAudio(this.streamId));
    this.held = [];
    this.buffer.clear();
    this.pending.clear();
    this.transcoder?.reset();
    this.io.timers.cancel(this.quietTimer);
    this.turnHasAudio = false;
    this.audioSinceCheckpoint = false;
    this.playoutEndsAtMs = performance.now();
    this.finishDrain("cleared");
  }

  /** Mcube acknowledged a checkpoint: everything before it has been heard. */
  played(name: string): void {
    const entry = this.pending.get(name);
    if (!entry) return;
    this.ackedSeq = Math.max(this.ackedSeq, entry.seq);
    this.confirmedBytes = Math.max(this.confirmedBytes, entry.sentBytes);
    for (const [key, value] of this.pending) if (value.seq <= entry.seq) this.pending.delete(key);
    if (this.waiter && this.ackedSeq >= this.waiter.seq) this.finishDrain("played");
  }

  /** Estimated audio still queued at Mcube (sent, not yet played in real time). */
  get queuedMs(): number {
    return Math.max(0, this.playoutEndsAtMs - performance.now());
  }

  get pendingCheckpoints(): number {
    return this.pending.size;
  }

  /**
   * Sends what is left, a checkpoint after it, and resolves once Mcube says it was played — or
   * after the queued audio + `extraMs` (at most `capMs`), or at a barge-in. Audio arriving
   * meanwhile moves the checkpoint after it.
   */
  drain(extraMs: number, capMs = Number.POSITIVE_INFINITY): Promise<DrainResult> {
    this.io.timers.cancel(this.quietTimer);
    this.flushRemainder();
    if (!this.started) return Promise.resolve("timeout");
    if (this.audioSinceCheckpoint) this.sendCheckpoint("end");
    if (this.pending.size === 0) return Promise.resolve("played");
    this.finishDrain("timeout");
    return new Promise((resolve) => {
      this.waiter = { seq: this.seq, resolve, timer: undefined, extraMs, deadlineMs: performance.now() + capMs };
      this.armDrainTimer();
    });
  }

  close(): void {
    this.io.timers.cancel(this.quietTimer);
    this.finishDrain("timeout");
    this.buffer.clear();
    this.held = [];
    this.pending.clear();
  }

  private endTurn(): void {
    this.io.timers.cancel(this.quietTimer);
    if (!this.turnHasAudio) return;
    this.flushRemainder();
    this.turnHasAudio = false;
    if (this.audioSinceCheckpoint) this.sendCheckpoint(`turn-${this.turnEventId}`);
  }

  private flushRemainder(): void {
    if (this.buffer.byteLength > 0) this.emit(true);
  }

  /** playAudio pieces of PLAY_CHUNK_MS; the remainder too when `all` or when it is long enough to stand alone. */
  private emit(all: boolean): void {
    while (this.buffer.byteLength >= this.chunkBytes) this.sendPiece(this.buffer.take(this.chunkBytes)!);
    if (all || this.buffer.byteLength >= MIN_PIECE_BYTES) {
      const rest = this.buffer.takeAll();
      if (rest.length > 0) this.sendPiece(rest);
    }
  }

  private sendPiece(mulaw: Uint8Array): void {
    if (!this.streamId) {
      this.held.push({ audio: mulaw });
      return;
    }
    if (this.framesOut === 0) this.io.onFirstAudio();
    this.io.send(playAudio(this.streamId, mulaw));
    this.framesOut++;
    this.bytesOut += mulaw.length;
    this.audioSinceCheckpoint = true;
    audioFrames.inc({ leg: "mcube", direction: "out" });
    audioBytes.inc({ leg: "mcube", direction: "out" }, mulaw.length);
    const now = performance.now();
    this.playoutEndsAtMs = Math.max(now, this.playoutEndsAtMs) + mulaw.length / MULAW_BYTES_PER_MS;
  }

  private sendCheckpoint(label: string): void {
    this.sendCheckpointNamed(`${label}-${++this.names}`);
  }

  private sendCheckpointNamed(name: string): void {
    if (!this.streamId) {
      this.held.push({ checkpoint: name });
      return;
    }
    this.seq++;
    this.pending.set(name, { seq: this.seq, sentBytes: this.bytesOut });
    this.audioSinceCheckpoint = false;
    this.io.send(checkpoint(this.streamId, name));
  }

  /** Audio came during a drain: checkpoint after it and wait for that one instead. */
  private extendDrain(): void {
    this.flushRemainder();
    if (this.audioSinceCheckpoint) this.sendCheckpoint("end");
    this.waiter!.seq = this.seq;
    this.armDrainTimer();
  }

  private armDrainTimer(): void {
    const waiter = this.waiter!;
    this.io.timers.cancel(waiter.timer);
    const boundMs = Math.min(this.queuedMs + waiter.extraMs, waiter.deadlineMs - performance.now());
    waiter.timer = this.io.timers.after(boundMs, () => this.finishDrain("timeout"));
  }

  private finishDrain(result: DrainResult): void {
    const waiter = this.waiter;
    if (!waiter) return;
    this.waiter = undefined;
    this.io.timers.cancel(waiter.timer);
    waiter.resolve(result);
  }
}
