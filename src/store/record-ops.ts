/** What the call recorder writes, in order: finished calls, the live-call journal, and closing what a crash left. One JSON line each in the outbox. */
import type { CallRecord, LiveRecord, TranscriptTurn } from "../call/call-record.ts";
import type { SqlDatabase } from "./sql.ts";
import { insertCallRecord, type TranscriptRow } from "./call-records-sql.ts";
import { closeInterrupted, journalBegin, journalEnd, journalTurns, type InterruptedCall, type JournalOwner } from "./call-journal-sql.ts";
import { insertDelivery } from "./webhook-deliveries.ts";

/** A finished call. Lines without `kind` (written before the journal existed) are finished calls too. */
export interface FinalOp {
  v: 1;
  kind?: "final";
  record: CallRecord;
  transcript: TranscriptTurn[];
  /** The post-call webhook body, built once: every delivery attempt sends these bytes. */
  webhook?: string;
}

/** A call started (or its live view changed). */
export interface BeginOp extends JournalOwner {
  v: 1;
  kind: "begin";
  call: LiveRecord;
  at: number;
}

/** Transcript turns of live calls, flushed together. */
export interface TurnsOp {
  v: 1;
  kind: "turns";
  rows: TranscriptRow[];
  at: number;
}

/** At start: close the journal rows earlier runs of this gateway left behind. */
export interface CloseInterruptedOp extends JournalOwner {
  v: 1;
  kind: "close_interrupted";
  at: number;
}

export type RecordOp = FinalOp | BeginOp | TurnsOp | CloseInterruptedOp;

/** What applying an op produced that others want to hear about. */
export interface OpOutcome {
  /** A finished call newly stored (false for a replay of one stored before). */
  stored?: boolean;
  /** Calls a restart closed as interrupted. */
  interrupted?: InterruptedCall[];
  /** Journal rows that could not be read (left in place). */
  unreadable?: number;
  /** Post-call webhook deliveries queued. */
  webhooks?: number;
}

/** Builds a finished call's post-call webhook body (absent: no webhook configured). */
export type WebhookBody = (record: CallRecord, transcript: readonly TranscriptTurn[]) => string;

export interface ApplyContext {
  /** Epoch ms now (when a webhook delivery is queued). */
  nowMs: number;
  webhookBody?: WebhookBody;
}

/** A session the op concerns, for logs. */
export function opSessionId(op: RecordOp): string | undefined {
  if (op.kind === "begin") return op.call.sessionId;
  if (op.kind === "turns" || op.kind === "close_interrupted") return undefined;
  return op.record?.sessionId;
}

/** True for finished calls (including lines written before the journal existed). */
export function isFinal(op: RecordOp): op is FinalOp {
  return op.kind === undefined || op.kind === "final";
}

/**
 * Applies one op to the store. Every op is idempotent: replaying it (from the outbox) changes nothing
 * more. A finished call's webhook delivery is queued before its record, so a stop in between cannot
 * leave a stored call without its delivery; calls closed as interrupted get one too.
 */
export async function applyOp(db: SqlDatabase, op: RecordOp, { nowMs, webhookBody }: ApplyContext): Promise<OpOutcome> {
  switch (op.kind) {
    case "begin":
      await journalBegin(db, op.call, op, op.at);
      return {};
    case "turns":
      await journalTurns(db, op.rows, op.at);
      return {};
    case "close_interrupted": {
      const { closed, unreadable } = await closeInterrupted(db, op, op.at);
      if (webhookBody) for (const call of closed) await insertDelivery(db, call.record.sessionId, webhookBody(call.record, call.transcript), nowMs);
      return { interrupted: closed, unreadable, webhooks: webhookBody ? closed.length : 0 };
    }
    default: {
      if (op.webhook !== undefined) await insertDelivery(db, op.record.sessionId, op.webhook, nowMs);
      const stored = await insertCallRecord(db, op.record, op.transcript);
      await journalEnd(db, op.record.sessionId);
      return { stored, webhooks: op.webhook === undefined ? 0 : 1 };
    }
  }
}
