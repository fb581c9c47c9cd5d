/** The live side of the call recorder: numbers each call's transcript turns and batches them under one timer per recorder. */
import type { Clock, Timer } from "../base/clock.ts";
import type { LiveRecord, TranscriptTurn } from "../call/call-record.ts";
import type { TranscriptRow } from "./call-records-sql.ts";
import type { BeginOp, TurnsOp } from "./record-ops.ts";
import type { JournalOwner } from "./call-journal-sql.ts";

export interface LiveJournalOptions {
  owner: JournalOwner;
  clock: Clock;
  /** Longest a transcript turn waits before its batch is handed on. */
  flushMs: number;
  /** Receives the ops to write, in order. */
  emit(op: BeginOp | TurnsOp): void;
}

/**
 * Turns begin/transcript calls into journal ops without touching any I/O: `begin` emits at once,
 * transcript turns wait (at most `flushMs`) and leave as one batch for every live call. Each call's
 * turns are numbered in order, so the row of a turn is the same when the finished record rewrites it.
 */
export class LiveJournal {
  private readonly nextSeq = new Map<string, number>();
  private pending: TranscriptRow[] = [];
  private timer: Timer | undefined;

  constructor(private readonly options: LiveJournalOptions) {}

  /** Live calls being journaled. */
  get size(): number {
    return this.nextSeq.size;
  }

  begin(call: LiveRecord): void {
    const { owner, clock, emit } = this.options;
    if (!this.nextSeq.has(call.sessionId)) this.nextSeq.set(call.sessionId, 0);
    emit({ v: 1, kind: "begin", call: { ...call }, ...owner, at: clock.epochMs() });
  }

  /** Turns added since the last call; ignored for a call that was not begun (its final record carries them). */
  transcript(sessionId: string, turns: readonly TranscriptTurn[]): void {
    let seq = this.nextSeq.get(sessionId);
    if (seq === undefined || turns.length === 0) return;
    for (const turn of turns) this.pending.push({ sessionId, seq: seq++, turn: { ...turn } });
    this.nextSeq.set(sessionId, seq);
    this.timer ??= this.options.clock.setTimer(() => {
      this.timer = undefined;
      this.flush();
    }, this.options.flushMs);
  }

  /** The call finished: its final record carries the whole transcript, so its waiting turns are dropped. */
  end(sessionId: string): void {
    if (!this.nextSeq.delete(sessionId)) return;
    this.pending = this.pending.filter((r) => r.sessionId !== sessionId);
  }

  /** Hands on every waiting turn now (shutdown, fast exit). */
  flush(): void {
    this.options.clock.clearTimer(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const rows = this.pending;
    this.pending = [];
    this.options.emit({ v: 1, kind: "turns", rows, at: this.options.clock.epochMs() });
  }

  stop(): void {
    this.options.clock.clearTimer(this.timer);
    this.timer = undefined;
  }
}
