/** What happened when in one call, for the operator console: a bounded list of timed events. */
import type { CallEvent, CallEventKind } from "./call-record.ts";

/** A call that barges in every second for an hour still keeps a readable timeline. */
const MAX_EVENTS = 500;

export class CallTimeline {
  private readonly list: CallEvent[] = [];

  /** `now` is the call's clock; `zeroMs` its reading at the call's start (set when start arrives). */
  constructor(private readonly now: () => number, private zeroMs: number) {}

  /** Time zero is Mcube's start: earlier entries keep their offsets from the socket's opening. */
  startAt(zeroMs: number): void {
    this.zeroMs = zeroMs;
  }

  add(kind: CallEventKind, detail?: string): void {
    // The last slot is kept for "end".
    if (this.list.length >= MAX_EVENTS - 1 && kind !== "end") return;
    const event: CallEvent = { atMs: Math.max(0, Math.round(this.sinceStartMs())), kind };
    if (detail !== undefined) event.detail = detail;
    this.list.push(event);
  }

  /** Milliseconds since time zero. */
  sinceStartMs(): number {
    return this.now() - this.zeroMs;
  }

  /** How many events of `kind` happened. */
  count(kind: CallEventKind): number {
    let n = 0;
    for (const event of this.list) if (event.kind === kind) n++;
    return n;
  }

  get events(): CallEvent[] {
    return [...this.list];
  }
}
