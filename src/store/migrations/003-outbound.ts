/** Migration 003 (cluster database): one row per outbound-call attempt, keyed by its refid. */
import type { Migration } from "./migration.ts";

/**
 * The refid is written before Mcube is asked to dial, so a retry reuses it and never places a second
 * call. Times are epoch milliseconds; variables is a JSON object of strings (the CSV's extra columns).
 * The dial_status … recording_filename columns hold the outcome Mcube posts to the status webhook.
 */
export const outboundMigration: Migration = {
  id: "003-outbound",
  target: "cluster",
  sqlite: [
    `CREATE TABLE IF NOT EXISTS outbound_attempts (
      refid TEXT NOT NULL PRIMARY KEY,
      campaign TEXT,
      did TEXT NOT NULL,
      number TEXT NOT NULL,
      name TEXT,
      variables TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(variables)),
      status TEXT NOT NULL,
      callid TEXT,
      error TEXT,
      attempts INTEGER NOT NULL DEFAULT 0,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      dial_status TEXT,
      call_direction TEXT,
      start_time TEXT,
      end_time TEXT,
      answered_time TEXT,
      recording_filename TEXT,
      outcome_at INTEGER
    )`,
    "CREATE INDEX IF NOT EXISTS outbound_attempts_callid ON outbound_attempts (callid)",
    "CREATE INDEX IF NOT EXISTS outbound_attempts_campaign ON outbound_attempts (campaign, created_at)",
    "CREATE INDEX IF NOT EXISTS outbound_attempts_number ON outbound_attempts (number, created_at)",
  ],
  mysql: [
    `CREATE TABLE IF NOT EXISTS outbound_attempts (
      refid VARCHAR(64) NOT NULL,
      campaign VARCHAR(128) NULL,
      did VARCHAR(20) NOT NULL,
      number VARCHAR(20) NOT NULL,
      name VARCHAR(255) NULL,
      variables TEXT NOT NULL,
      status VARCHAR(16) NOT NULL,
      callid VARCHAR(128) NULL,
      error VARCHAR(1024) NULL,
      attempts INT NOT NULL DEFAULT 0,
      created_at BIGINT NOT NULL,
      updated_at BIGINT NOT NULL,
      dial_status VARCHAR(32) NULL,
      call_direction VARCHAR(32) NULL,
      start_time VARCHAR(64) NULL,
      end_time VARCHAR(64) NULL,
      answered_time VARCHAR(64) NULL,
      recording_filename VARCHAR(512) NULL,
      outcome_at BIGINT NULL,
      PRIMARY KEY (refid),
      KEY outbound_attempts_callid (callid),
      KEY outbound_attempts_campaign (campaign, created_at),
      KEY outbound_attempts_number (number, created_at)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  ],
};

export default outboundMigration;
