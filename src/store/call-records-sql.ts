/** SQL for call records: idempotent writes keyed by session_id, and the admin API's reads. */
import { END_REASONS, type CallRecord, type EndReason, type TranscriptTurn } from "../call/call-record.ts";
import { HomebookError } from "../base/errors.ts";
import { normalizePhoneNumber } from "../base/phone-number.ts";
import type { SqlDatabase } from "./sql.ts";
import type { WebhookStatus } from "../webhook/delivery-queue.ts";

/** Turns per INSERT statement (6 parameters each), well under both dialects' placeholder limits. */
const TRANSCRIPT_ROWS_PER_STATEMENT = 200;

const RECORD_COLUMNS = [
  ["session_id", "sessionId"],
  ["call_id", "callId"],
  ["stream_id", "streamId"],
  ["did", "did"],
  ["bot_id", "botId"],
  ["business_id", "businessId"],
  ["agent_id", "agentId"],
  ["conversation_id", "conversationId"],
  ["customer_number", "customerNumber"],
  ["started_at", "startedAt"],
  ["agent_connected_at", "agentConnectedAt"],
  ["first_agent_audio_at", "firstAgentAudioAt"],
  ["ended_at", "endedAt"],
  ["duration_ms", "durationMs"],
  ["end_reason", "endReason"],
  ["transfer_to", "transferTo"],
  ["frames_in", "framesIn"],
  ["frames_out", "framesOut"],
  ["interruptions", "interruptions"],
  ["error_detail", "errorDetail"],
  ["recorded", "recorded"],
  ["timeline", "timeline"],
  ["conversation_ids", "conversationIds"],
  ["reconnects", "reconnects"],
] as const satisfies readonly (readonly [string, keyof CallRecord])[];

const NUMERIC_FIELDS = new Set<keyof CallRecord>([
  "startedAt", "agentConnectedAt", "firstAgentAudioAt", "endedAt", "durationMs", "framesIn", "framesOut", "interruptions", "reconnects",
]);
const PHONE_FIELDS = new Set<keyof CallRecord>(["did", "customerNumber", "transferTo"]);
const BOOLEAN_FIELDS = new Set<keyof CallRecord>(["recorded"]);
/** Stored as JSON text. */
const JSON_FIELDS = new Set<keyof CallRecord>(["timeline", "conversationIds"]);
/** Column widths of the MySQL schema: longer text is cut rather than rejected. */
const MAX_CHARS: Partial<Record<keyof CallRecord, number>> = {
  sessionId: 128, callId: 128, streamId: 128, did: 32, botId: 64, businessId: 64, agentId: 128,
  conversationId: 128, customerNumber: 32, transferTo: 32, endReason: 32, errorDetail: 8000,
};

export function insertIgnore(db: SqlDatabase): string {
  return db.dialect === "mysql" ? "INSERT IGNORE INTO" : "INSERT OR IGNORE INTO";
}

function columnValue(record: Partial<CallRecord>, field: keyof CallRecord): unknown {
  let value = record[field];
  if (value === undefined || value === null) return null;
  if (JSON_FIELDS.has(field)) return JSON.stringify(value);
  if (PHONE_FIELDS.has(field)) value = normalizePhoneNumber(String(value)) ?? String(value);
  const max = MAX_CHARS[field];
  if (typeof value === "string" && max !== undefined && value.length > max) value = value.slice(0, max);
  return value;
}

/** A session id as its column stores it. */
export function sessionKey(sessionId: string): string {
  return columnValue({ sessionId }, "sessionId") as string;
}

/** One transcript row: turn `seq` (0-based, in call order) of a session. */
export interface TranscriptRow {
  sessionId: string;
  seq: number;
  turn: TranscriptTurn;
}

/** Writes transcript rows, replacing any with the same (session, seq): a turn flushed live and corrected later ends as corrected. */
export async function upsertTranscriptRows(db: SqlDatabase, rows: readonly TranscriptRow[]): Promise<void> {
  const update =
    db.dialect === "mysql"
      ? "ON DUPLICATE KEY UPDATE role = VALUES(role), text = VALUES(text), offset_ms = VALUES(offset_ms), event_id = VALUES(event_id)"
      : "ON CONFLICT (session_id, seq) DO UPDATE SET role = excluded.role, text = excluded.text, offset_ms = excluded.offset_ms, event_id = excluded.event_id";
  for (let start = 0; start < rows.length; start += TRANSCRIPT_ROWS_PER_STATEMENT) {
    const chunk = rows.slice(start, start + TRANSCRIPT_ROWS_PER_STATEMENT);
    const params: unknown[] = [];
    for (const { sessionId, seq, turn: t } of chunk) params.push(sessionKey(sessionId), seq, t.role, t.text, Math.max(0, Math.round(t.offsetMs)), t.eventId ?? null);
    await db.execute(
      `INSERT INTO call_transcripts (session_id, seq, role, text, offset_ms, event_id) VALUES ${chunk.map(() => "(?, ?, ?, ?, ?, ?)").join(", ")} ${update}`,
      params,
    );
  }
}

/** Inserts the call_records row unless one exists; false when it did. */
export async function insertRecordRow(db: SqlDatabase, record: CallRecord, recordedAt = Date.now()): Promise<boolean> {
  const columns = RECORD_COLUMNS.map(([column]) => column);
  const params = RECORD_COLUMNS.map(([, field]) => columnValue(record, field));
  const { affectedRows } = await db.execute(
    `${insertIgnore(db)} call_records (${columns.join(", ")}, recorded_at) VALUES (${columns.map(() => "?").join(", ")}, ?)`,
    [...params, recordedAt],
  );
  return affectedRows > 0;
}

/**
 * Writes one finished call and its transcript; returns false when the call was already stored (a
 * replay: nothing is changed). A record left "interrupted" by a restart is replaced by the real one.
 * The transcript goes first and replaces what the live journal flushed, so a record that is visible
 * always has its whole, corrected transcript.
 */
export async function insertCallRecord(db: SqlDatabase, record: CallRecord, transcript: readonly TranscriptTurn[]): Promise<boolean> {
  const sessionId = sessionKey(record.sessionId);
  const [existing] = await db.query<{ end_reason: unknown }>("SELECT end_reason FROM call_records WHERE session_id = ?", [sessionId]);
  if (existing && (existing.end_reason !== "interrupted" || record.endReason === "interrupted")) return false;
  await upsertTranscriptRows(db, transcript.map((turn, seq) => ({ sessionId: record.sessionId, seq, turn })));
  await db.execute("DELETE FROM call_transcripts WHERE session_id = ? AND seq >= ?", [sessionId, transcript.length]);
  if (existing) await db.execute("DELETE FROM call_records WHERE session_id = ? AND end_reason = 'interrupted'", [sessionId]);
  return insertRecordRow(db, record);
}

/** A finished call as the admin API returns it. */
export interface StoredCall extends CallRecord {
  transcript?: TranscriptTurn[];
  /** The post-call webhook's delivery, when one was queued. */
  webhook?: WebhookStatus;
}

function fieldValue(field: keyof CallRecord, value: unknown): unknown {
  if (NUMERIC_FIELDS.has(field)) return Number(value);
  if (BOOLEAN_FIELDS.has(field)) return Boolean(Number(value));
  if (!JSON_FIELDS.has(field)) return String(value);
  try {
    return JSON.parse(String(value));
  } catch {
    return undefined; // a damaged column hides that field, not the call
  }
}

function rowToRecord(row: Record<string, unknown>): CallRecord {
  const out: Record<string, unknown> = {};
  for (const [column, field] of RECORD_COLUMNS) {
    const value = row[column];
    if (value === null || value === undefined) continue;
    const parsed = fieldValue(field, value);
    if (parsed !== undefined) out[field] = parsed;
  }
  return out as unknown as CallRecord;
}

/** A session's stored transcript turns, in order. */
export async function selectTranscript(db: SqlDatabase, sessionId: string): Promise<TranscriptTurn[]> {
  const turns = await db.query<{ role: string; text: string; offset_ms: unknown; event_id: unknown }>(
    "SELECT role, text, offset_ms, event_id FROM call_transcripts WHERE session_id = ? ORDER BY seq",
    [sessionKey(sessionId)],
  );
  return turns.map((t) => ({
    role: t.role === "agent" ? "agent" : "user",
    text: String(t.text),
    offsetMs: Number(t.offset_ms),
    ...(t.event_id === null || t.event_id === undefined ? {} : { eventId: Number(t.event_id) }),
  }));
}

/** One finished call with its transcript, or undefined. */
export async function selectCall(db: SqlDatabase, sessionId: string): Promise<StoredCall | undefined> {
  const rows = await db.query(`SELECT * FROM call_records WHERE session_id = ?`, [sessionId]);
  if (rows.length === 0) return undefined;
  return { ...rowToRecord(rows[0]!), transcript: await selectTranscript(db, sessionId) };
}

export interface CallListFilter {
  /** Calls that ended at or after this epoch ms. */
  since?: number;
  /** Calls that ended before this epoch ms. */
  until?: number;
  /** 10-digit DID (any accepted spelling; normalized here). */
  did?: string;
  /**
   * What an operator types in one search field: a whole number (DID or customer number, any
   * spelling), the last 3–9 digits of one, or a session or call id.
   */
  search?: string;
  botId?: string;
  endReason?: EndReason;
  /** 1–500, default 50. */
  limit?: number;
  /** From a previous page's nextCursor. */
  cursor?: string;
}

export interface CallPage {
  calls: CallRecord[];
  /** Pass as `cursor` for the next (older) page; absent on the last page. */
  nextCursor?: string;
}

export const DEFAULT_LIST_LIMIT = 50;
export const MAX_LIST_LIMIT = 500;

/** An opaque cursor: the (ended_at, session_id) of the last call on a page. */
export function encodeCursor(endedAt: number, sessionId: string): string {
  return Buffer.from(JSON.stringify([endedAt, sessionId])).toString("base64url");
}

export function decodeCursor(cursor: string): { endedAt: number; sessionId: string } {
  try {
    const [endedAt, sessionId] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown[];
    if (typeof endedAt === "number" && Number.isFinite(endedAt) && typeof sessionId === "string") return { endedAt, sessionId };
  } catch {
    // fall through to the error below
  }
  throw new HomebookError("invalid_input", "cursor is not one this server returned: pass next_cursor from the previous page unchanged");
}

/** Last digits of a number: enough of them to mean one number rather than most. */
const TRAILING_DIGITS = /^\d{3,9}$/;

/** The WHERE clause of a search: numbers are stored as their 10 digits, so last digits are a suffix match. */
function searchCondition(raw: string): { sql: string; params: unknown[] } {
  const text = raw.trim();
  const number = normalizePhoneNumber(text);
  if (number) return { sql: "(did = ? OR customer_number = ?)", params: [number, number] };
  const digits = text.replace(/[\s\-().]/g, "");
  if (TRAILING_DIGITS.test(digits)) return { sql: "(did LIKE ? OR customer_number LIKE ?)", params: [`%${digits}`, `%${digits}`] };
  if (/^\d+$/.test(digits)) {
    throw new HomebookError("invalid_input", "search: give at least 3 digits of a number, a whole 10-digit number, or a session or call id");
  }
  return { sql: "(session_id = ? OR call_id = ?)", params: [text, text] };
}

/** Finished calls, newest first, one page at a time (keyset pagination: stable while calls are added). */
export async function selectCalls(db: SqlDatabase, filter: CallListFilter = {}): Promise<CallPage> {
  const limit = filter.limit ?? DEFAULT_LIST_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw new HomebookError("invalid_input", `limit must be a whole number from 1 to ${MAX_LIST_LIMIT}`);
  }
  if (filter.endReason !== undefined && !END_REASONS.includes(filter.endReason)) {
    throw new HomebookError("invalid_input", `end_reason must be one of ${END_REASONS.join(", ")}`);
  }
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.since !== undefined) {
    where.push("ended_at >= ?");
    params.push(filter.since);
  }
  if (filter.until !== undefined) {
    where.push("ended_at < ?");
    params.push(filter.until);
  }
  if (filter.did !== undefined) {
    const did = normalizePhoneNumber(filter.did);
    if (!did) throw new HomebookError("invalid_input", "did must be a 10-digit Indian phone number (+91, 91 or 0 prefixes are accepted)");
    where.push("did = ?");
    params.push(did);
  }
  if (filter.search !== undefined && filter.search.trim() !== "") {
    const search = searchCondition(filter.search);
    where.push(search.sql);
    params.push(...search.params);
  }
  if (filter.botId !== undefined) {
    where.push("bot_id = ?");
    params.push(filter.botId);
  }
  if (filter.endReason !== undefined) {
    where.push("end_reason = ?");
    params.push(filter.endReason);
  }
  if (filter.cursor !== undefined) {
    const after = decodeCursor(filter.cursor);
    where.push("(ended_at < ? OR (ended_at = ? AND session_id < ?))");
    params.push(after.endedAt, after.endedAt, after.sessionId);
  }
  // limit is a validated integer, inlined: MySQL 8 rejects a bound LIMIT in server-side prepared statements.
  const rows = await db.query(
    `SELECT * FROM call_records${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY ended_at DESC, session_id DESC LIMIT ${limit + 1}`,
    params,
  );
  const calls = rows.slice(0, limit).map(rowToRecord);
  const last = calls[calls.length - 1];
  return rows.length > limit && last ? { calls, nextCursor: encodeCursor(last.endedAt, last.sessionId) } : { calls };
}
