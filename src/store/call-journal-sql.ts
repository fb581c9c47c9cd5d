/** SQL for the live-call journal: a row per live call, its transcript flushed as it grows, and closing what a crash left behind. */
import type { CallRecord, LiveRecord, TranscriptTurn } from "../call/call-record.ts";
import type { SqlDatabase } from "./sql.ts";
import { insertRecordRow, selectTranscript, sessionKey, upsertTranscriptRows, type TranscriptRow } from "./call-records-sql.ts";

/** A journal row not touched for this long is closed by any gateway that starts (its own gateway is gone). */
export const ORPHAN_AFTER_MS = 24 * 60 * 60 * 1000;

/** Rows closed per pass at start: bounded, the rest wait for the next pass. */
const CLOSE_BATCH = 500;

/** Who journals: the gateway (INSTANCE_ID) and this run of it (a fresh id per process). */
export interface JournalOwner {
  instance: string;
  run: string;
}

/** Writes (or refreshes) the live row of a call. Its start time stays that of the first write. */
export async function journalBegin(db: SqlDatabase, call: LiveRecord, owner: JournalOwner, atMs: number): Promise<void> {
  const update =
    db.dialect === "mysql"
      ? "ON DUPLICATE KEY UPDATE live_record = VALUES(live_record), last_seen_at = VALUES(last_seen_at), instance_id = VALUES(instance_id), run_id = VALUES(run_id)"
      : "ON CONFLICT (session_id) DO UPDATE SET live_record = excluded.live_record, last_seen_at = excluded.last_seen_at, instance_id = excluded.instance_id, run_id = excluded.run_id";
  await db.execute(
    `INSERT INTO call_journal (session_id, instance_id, run_id, started_at, last_seen_at, live_record) VALUES (?, ?, ?, ?, ?, ?) ${update}`,
    [sessionKey(call.sessionId), owner.instance, owner.run, call.startedAt, atMs, JSON.stringify(call)],
  );
}

/** Transcript turns of live calls, and the time they were seen (what an interrupted call's ended_at becomes). */
export async function journalTurns(db: SqlDatabase, rows: readonly TranscriptRow[], atMs: number): Promise<void> {
  if (rows.length === 0) return;
  await upsertTranscriptRows(db, rows);
  const sessions = [...new Set(rows.map((r) => sessionKey(r.sessionId)))];
  await db.execute(`UPDATE call_journal SET last_seen_at = ? WHERE session_id IN (${sessions.map(() => "?").join(", ")})`, [atMs, ...sessions]);
}

/** The call is finished (its record is stored): its live row goes. */
export async function journalEnd(db: SqlDatabase, sessionId: string): Promise<void> {
  await db.execute("DELETE FROM call_journal WHERE session_id = ?", [sessionKey(sessionId)]);
}

/** A finished call as a restart found it: the record and what was flushed of its transcript. */
export interface InterruptedCall {
  record: CallRecord;
  transcript: TranscriptTurn[];
}

function interruptedRecord(row: { live_record: unknown; started_at: unknown; last_seen_at: unknown }): CallRecord {
  const live = JSON.parse(String(row.live_record)) as LiveRecord;
  const startedAt = Number(row.started_at);
  const endedAt = Math.max(startedAt, Number(row.last_seen_at));
  return {
    ...live,
    startedAt,
    endedAt,
    durationMs: endedAt - startedAt,
    endReason: "interrupted",
    framesIn: live.framesIn ?? 0,
    framesOut: live.framesOut ?? 0,
    interruptions: live.interruptions ?? 0,
    errorDetail: "the gateway stopped while the call was live; ended_at is the last time it wrote anything for the call",
  };
}

/**
 * Closes the live rows left by earlier runs of `owner.instance` (never those of `owner.run`), and any
 * row no gateway touched for ORPHAN_AFTER_MS: each becomes a record ending "interrupted" with its start
 * time and the transcript flushed before the stop. Returns the calls closed (for post-call webhooks)
 * and how many rows could not be read (left in place).
 */
export async function closeInterrupted(db: SqlDatabase, owner: JournalOwner, atMs: number): Promise<{ closed: InterruptedCall[]; unreadable: number }> {
  const rows = await db.query<{ session_id: unknown; live_record: unknown; started_at: unknown; last_seen_at: unknown }>(
    `SELECT session_id, live_record, started_at, last_seen_at FROM call_journal
     WHERE (instance_id = ? AND run_id <> ?) OR last_seen_at < ? ORDER BY started_at LIMIT ${CLOSE_BATCH}`,
    [owner.instance, owner.run, atMs - ORPHAN_AFTER_MS],
  );
  const closed: InterruptedCall[] = [];
  let unreadable = 0;
  for (const row of rows) {
    const sessionId = String(row.session_id);
    let record: CallRecord;
    try {
      record = interruptedRecord(row);
    } catch {
      unreadable++;
      continue;
    }
    if (await insertRecordRow(db, record)) closed.push({ record, transcript: await selectTranscript(db, sessionId) });
    await db.execute("DELETE FROM call_journal WHERE session_id = ?", [sessionId]);
  }
  return { closed, unreadable };
}
