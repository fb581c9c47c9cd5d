/** The transcript a call builds from user_transcript, agent_response and agent_response_correction. */
import type { TranscriptTurn } from "./call-record.ts";

export class TranscriptLog {
  readonly turns: TranscriptTurn[] = [];

  constructor(private readonly startedAtMs: number) {}

  /** Adds a line (`nowMs` is epoch ms on the call's clock) and returns it. */
  add(role: TranscriptTurn["role"], text: string, eventId: number | undefined, nowMs: number): TranscriptTurn {
    const turn: TranscriptTurn = { role, text, offsetMs: Math.max(0, nowMs - this.startedAtMs) };
    if (eventId !== undefined) turn.eventId = eventId;
    this.turns.push(turn);
    return turn;
  }

  /** The interrupted agent turn keeps only what the caller heard: matched by event_id, else by its original text. */
  correct(original: string, corrected: string, eventId: number | undefined): void {
    for (let i = this.turns.length - 1; i >= 0; i--) {
      const turn = this.turns[i]!;
      if (turn.role !== "agent") continue;
      if ((eventId !== undefined && turn.eventId === eventId) || turn.text === original) {
        turn.text = corrected;
        return;
      }
    }
  }
}
