/** Migration 005 (cluster database): the durable queue of post-call webhook deliveries, one per call. */
import type { Migration } from "./migration.ts";

/**
 * Kept with the call records, so a delivery survives restarts whatever the working directory. `body` holds
 * the exact bytes every attempt sends (cleared once delivered). state: pending, delivered or failed.
 * A gateway takes a pending delivery for one attempt by moving next_attempt_at forward (a lease), so
 * gateways sharing one database never send the same attempt twice. Times are epoch milliseconds.
 */
export const webhookDeliveriesMigration: Migration = {
  id: "005-webhook-deliveries",
  target: "cluster",
  sqlite: [
    `CREATE TABLE IF NOT EXISTS webhook_deliveries (
      session_id TEXT NOT NULL PRIMARY KEY,
      body TEXT NOT NULL,
      state TEXT NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      created_at INTEGER NOT NULL,
      next_attempt_at INTEGER NOT NULL,
      last_attempt_at INTEGER,
      last_status INTEGER,
      last_error TEXT,
      delivered_at INTEGER
    )`,
    "CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at)",
  ],
  mysql: [
    `CREATE TABLE IF NOT EXISTS webhook_deliveries (
      session_id VARCHAR(128) NOT NULL,
      body MEDIUMTEXT NOT NULL,
      state VARCHAR(16) NOT NULL,
      attempts INT NOT NULL DEFAULT 0,
      created_at BIGINT NOT NULL,
      next_attempt_at BIGINT NOT NULL,
      last_attempt_at BIGINT NULL,
      last_status INT NULL,
      last_error VARCHAR(512) NULL,
      delivered_at BIGINT NULL,
      PRIMARY KEY (session_id),
      KEY webhook_deliveries_due (state, next_attempt_at)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  ],
};

export default webhookDeliveriesMigration;
