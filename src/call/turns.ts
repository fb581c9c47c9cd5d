/**
 * Agent turns by event_id: which audio is stale after an interruption, and when a turn is over.
 *
 * A turn ends at the first of: audio with a new event_id, `agent_response_complete` for it, or
 * TURN_QUIET_MS without its audio. A spurious end only costs one extra checkpoint; a missed one is
 * covered by the next.
 */
import type { Clock, Timer } from "../base/clock.ts";

export const TURN_QUIET_MS = 300;

export interface TurnsOptions {
  clock: Clock;
  /** The turn with audio `eventId` is over: its last audio has been handed on. */
  onTurnEnd(eventId: number): void;
  quietMs?: number;
}

export class Turns {
  private lastInterruptId = Number.NEGATIVE_INFINITY;
  private turnId: number | undefined;
  private open = false;
  private quietTimer: Timer | undefined;
  private readonly clock: Clock;
  private readonly quietMs: number;
  /** Agent audio chunks dropped as stale (their turn was interrupted). */
  staleDropped = 0;

  constructor(private readonly options: TurnsOptions) {
    this.clock = options.clock;
    this.quietMs = options.quietMs ?? TURN_QUIET_MS;
  }

  /** The agent is in the middle of a turn (its audio arrived, its end has not). */
  get speaking(): boolean {
    return this.open;
  }

  get currentTurnId(): number | undefined {
    return this.turnId;
  }

  /**
   * Agent audio of turn `eventId` arrived: false when it is stale and must be dropped. Audio of a new
   * turn ends the previous one first.
   */
  accept(eventId: number): boolean {
    // `<=`, as the Python and Node SDKs do: an interruption's id is ≥ the interrupted turn's id.
    if (eventId <= this.lastInterruptId) {
      this.staleDropped++;
      return false;
    }
    if (this.open && eventId !== this.turnId) this.end();
    this.turnId = eventId;
    this.open = true;
    this.clock.clearTimer(this.quietTimer);
    this.quietTimer = this.clock.setTimer(() => this.end(), this.quietMs);
    return true;
  }

  /** agent_response_complete: the turn is over (if it is the one playing, or the event names none). */
  complete(eventId: number | undefined): void {
    if (eventId === undefined || eventId === this.turnId) this.end();
  }

  /** Barge-in: later audio up to `eventId` (else the current turn) is stale; the turn ends without a checkpoint. */
  interrupt(eventId: number | undefined): void {
    const interrupted = eventId ?? this.turnId ?? this.lastInterruptId;
    this.lastInterruptId = Math.max(this.lastInterruptId, interrupted);
    this.stop();
  }

  /** A new conversation (reconnect): its event ids start over. */
  reset(): void {
    this.stop();
    this.lastInterruptId = Number.NEGATIVE_INFINITY;
    this.turnId = undefined;
  }

  /** Ends the turn now (the agent's last words before a hang-up or transfer). */
  end(): void {
    this.clock.clearTimer(this.quietTimer);
    this.quietTimer = undefined;
    if (!this.open) return;
    this.open = false;
    this.options.onTurnEnd(this.turnId!);
  }

  /** Forgets the open turn without ending it (no checkpoint follows). */
  stop(): void {
    this.clock.clearTimer(this.quietTimer);
    this.quietTimer = undefined;
    this.open = false;
  }
}
