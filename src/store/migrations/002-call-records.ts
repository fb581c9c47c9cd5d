/** Migration 002 (cluster database): one row per finished call, and its transcript turns. */
import type { Migration } from "./migration.ts";

/**
 * Times are epoch milliseconds (BIGINT), as in CallRecord. session_id is the key that makes every write
 * idempotent: a replayed record or turn is ignored, never duplicated. Listing walks (ended_at, session_id).
 */
export const callRecordsMigration: Migration = {
  id: "002-call-records",
  target: "cluster",
  sqlite: [
    `CREATE TABLE IF NOT EXISTS call_records (
      session_id TEXT NOT NULL PRIMARY KEY,
      call_id TEXT, stream_id TEXT, did TEXT, bot_id TEXT, business_id TEXT, agent_id TEXT,
      conversation_id TEXT, customer_number TEXT,
      started_at INTEGER NOT NULL, agent_connected_at INTEGER, first_agent_audio_at INTEGER,
      ended_at INTEGER NOT NULL, duration_ms INTEGER NOT NULL,
      end_reason TEXT NOT NULL, transfer_to TEXT,
      frames_in INTEGER NOT NULL DEFAULT 0, frames_out INTEGER NOT NULL DEFAULT 0,
      interruptions INTEGER NOT NULL DEFAULT 0, error_detail TEXT,
      recorded_at INTEGER NOT NULL
    )`,
    "CREATE INDEX IF NOT EXISTS call_records_ended ON call_records (ended_at, session_id)",
    "CREATE INDEX IF NOT EXISTS call_records_did_ended ON call_records (did, ended_at)",
    "CREATE INDEX IF NOT EXISTS call_records_reason_ended ON call_records (end_reason, ended_at)",
    `CREATE TABLE IF NOT EXISTS call_transcripts (
      session_id TEXT NOT NULL,
      seq INTEGER NOT NULL,
      role TEXT NOT NULL,
      text TEXT NOT NULL,
      offset_ms INTEGER NOT NULL,
      event_id INTEGER,
      PRIMARY KEY (session_id, seq)
    )`,
  ],
  mysql: [
    `CREATE TABLE IF NOT EXISTS call_records (
      session_id VARCHAR(128) NOT NULL,
      call_id VARCHAR(128) NULL, stream_id VARCHAR(128) NULL, did VARCHAR(32) NULL,
      bot_id VARCHAR(64) NULL, business_id VARCHAR(64) NULL, agent_id VARCHAR(128) NULL,
      conversation_id VARCHAR(128) NULL, customer_number VARCHAR(32) NULL,
      started_at BIGINT NOT NULL, agent_connected_at BIGINT NULL, first_agent_audio_at BIGINT NULL,
      ended_at BIGINT NOT NULL, duration_ms BIGINT NOT NULL,
      end_reason VARCHAR(32) NOT NULL, transfer_to VARCHAR(32) NULL,
      frames_in BIGINT NOT NULL DEFAULT 0, frames_out BIGINT NOT NULL DEFAULT 0,
      interruptions INT NOT NULL DEFAULT 0, error_detail TEXT NULL,
      recorded_at BIGINT NOT NULL,
      PRIMARY KEY (session_id),
      KEY call_records_ended (ended_at, session_id),
      KEY call_records_did_ended (did, ended_at),
      KEY call_records_reason_ended (end_reason, ended_at)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
    `CREATE TABLE IF NOT EXISTS call_transcripts (
      session_id VARCHAR(128) NOT NULL,
      seq INT NOT NULL,
      role VARCHAR(8) NOT NULL,
      text MEDIUMTEXT NOT NULL,
      offset_ms BIGINT NOT NULL,
      event_id BIGINT NULL,
      PRIMARY KEY (session_id, seq)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  ],
};

export default callRecordsMigration;
