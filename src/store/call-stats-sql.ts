/** Aggregates over finished calls for the console's overview: calls per minute and end reasons in a time window. */
import type { EndReason } from "../call/call-record.ts";
import type { SqlDatabase } from "./sql.ts";

export const MINUTE_MS = 60_000;

export interface CallStats {
  sinceMs: number;
  untilMs: number;
  /** Minutes (epoch ms of the minute's start) that had calls ending in them, oldest first. */
  perMinute: { minuteMs: number; calls: number }[];
  /** Calls by end reason, most frequent first. */
  endReasons: { endReason: EndReason; calls: number }[];
  total: number;
}

/** Calls that ended in [sinceMs, untilMs), by minute and by end reason (two indexed range scans). */
export async function selectCallStats(db: SqlDatabase, sinceMs: number, untilMs: number): Promise<CallStats> {
  // Integer division: SQLite's `/` on INTEGER columns, MySQL's DIV.
  const minute = db.dialect === "mysql" ? `ended_at DIV ${MINUTE_MS}` : `ended_at / ${MINUTE_MS}`;
  const range = "ended_at >= ? AND ended_at < ?";
  const minutes = await db.query<{ minute: unknown; calls: unknown }>(
    `SELECT ${minute} AS minute, COUNT(*) AS calls FROM call_records WHERE ${range} GROUP BY minute ORDER BY minute`,
    [sinceMs, untilMs],
  );
  const reasons = await db.query<{ end_reason: unknown; calls: unknown }>(
    `SELECT end_reason, COUNT(*) AS calls FROM call_records WHERE ${range} GROUP BY end_reason`,
    [sinceMs, untilMs],
  );
  const endReasons = reasons
    .map((r) => ({ endReason: String(r.end_reason) as EndReason, calls: Number(r.calls) }))
    .sort((a, b) => b.calls - a.calls || a.endReason.localeCompare(b.endReason));
  return {
    sinceMs,
    untilMs,
    perMinute: minutes.map((m) => ({ minuteMs: Number(m.minute) * MINUTE_MS, calls: Number(m.calls) })),
    endReasons,
    total: endReasons.reduce((n, r) => n + r.calls, 0),
  };
}
