/** The webhook_deliveries table: the post-call webhook's durable queue (DeliveryQueue) and each call's delivery status. */
import type { DeliveryQueue, WebhookDelivery, WebhookStatus } from "../webhook/delivery-queue.ts";
import type { SqlDatabase } from "./sql.ts";
import { insertIgnore, sessionKey } from "./call-records-sql.ts";
import { isMissingSchemaError } from "./sql-values.ts";

const num = (v: unknown) => (v === null || v === undefined ? undefined : Number(v));

/** Queues one call's delivery; a second call for the same session changes nothing (replays are safe). */
export async function insertDelivery(db: SqlDatabase, sessionId: string, body: string, atMs: number): Promise<void> {
  await db.execute(
    `${insertIgnore(db)} webhook_deliveries (session_id, body, state, attempts, created_at, next_attempt_at) VALUES (?, ?, 'pending', 0, ?, ?)`,
    [sessionKey(sessionId), body, atMs, atMs],
  );
}

/** The delivery status of one call, or undefined (no webhook, or the table is not migrated yet). */
export async function selectDeliveryStatus(db: SqlDatabase, sessionId: string): Promise<WebhookStatus | undefined> {
  let rows: Record<string, unknown>[];
  try {
    rows = await db.query(
      "SELECT state, attempts, created_at, last_attempt_at, last_status, last_error, next_attempt_at, delivered_at FROM webhook_deliveries WHERE session_id = ?",
      [sessionKey(sessionId)],
    );
  } catch (err) {
    if (isMissingSchemaError(err)) return undefined;
    throw err;
  }
  const r = rows[0];
  if (!r) return undefined;
  const status = String(r.state) as WebhookStatus["status"];
  const out: WebhookStatus = { status, attempts: Number(r.attempts), queuedAt: Number(r.created_at) };
  const optional: [keyof WebhookStatus, unknown][] = [
    ["lastAttemptAt", num(r.last_attempt_at)],
    ["lastStatus", num(r.last_status)],
    ["lastError", r.last_error ?? undefined],
    ["nextAttemptAt", status === "pending" ? num(r.next_attempt_at) : undefined],
    ["deliveredAt", num(r.delivered_at)],
  ];
  for (const [key, value] of optional) if (value !== undefined) (out as unknown as Record<string, unknown>)[key] = value;
  return out;
}

/** The queue over the cluster database (either dialect). */
export function createDeliveryQueue(db: SqlDatabase): DeliveryQueue {
  return {
    async due(nowMs, limit) {
      // limit is an integer from the dispatcher, inlined: MySQL 8 rejects a bound LIMIT in prepared statements.
      const rows = await db.query<Record<string, unknown>>(
        `SELECT session_id, body, attempts, created_at, next_attempt_at FROM webhook_deliveries
         WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, session_id LIMIT ${Math.max(1, Math.floor(limit))}`,
        [nowMs],
      );
      return rows.map(
        (r): WebhookDelivery => ({
          sessionId: String(r.session_id),
          body: String(r.body),
          attempts: Number(r.attempts),
          createdAt: Number(r.created_at),
          nextAttemptAt: Number(r.next_attempt_at),
        }),
      );
    },

    async claim(d, leaseUntilMs) {
      const { affectedRows } = await db.execute(
        "UPDATE webhook_deliveries SET next_attempt_at = ? WHERE session_id = ? AND state = 'pending' AND next_attempt_at = ?",
        [leaseUntilMs, d.sessionId, d.nextAttemptAt],
      );
      return affectedRows > 0;
    },

    async settle(sessionId, s) {
      const error = s.state === "delivered" ? null : s.error.slice(0, 512);
      await db.execute(
        `UPDATE webhook_deliveries SET state = ?, attempts = ?, last_attempt_at = ?, last_status = ?, last_error = ?,
         next_attempt_at = ?, delivered_at = ?${s.state === "delivered" ? ", body = ''" : ""} WHERE session_id = ?`,
        [s.state, s.attempts, s.at, s.status ?? null, error, s.state === "pending" ? s.nextAttemptAt : s.at, s.state === "delivered" ? s.at : null, sessionId],
      );
    },

    async nextDueAt() {
      const [row] = await db.query<{ next: unknown }>("SELECT MIN(next_attempt_at) AS next FROM webhook_deliveries WHERE state = 'pending'");
      return num(row?.next);
    },

    async pending() {
      const [row] = await db.query<{ n: unknown }>("SELECT COUNT(*) AS n FROM webhook_deliveries WHERE state = 'pending'");
      return Number(row?.n ?? 0);
    },
  };
}
