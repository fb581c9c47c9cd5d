/** Migration 004 (cluster database): the journal of live calls, so a crash leaves each cut call in the history. */
import type { Migration } from "./migration.ts";

/**
 * One row per live call, written when it starts and removed when its record is stored. A gateway that
 * restarts turns the rows of its INSTANCE_ID (from an earlier run) into records ending "interrupted".
 * A table apart from call_records: history queries and their indexes stay as they are (only finished
 * calls, ended_at NOT NULL), the journal stays as small as the number of live calls, and no large
 * call_records table needs an ALTER. Transcript turns go to call_transcripts as they are flushed.
 * `live_record` is the call's LiveRecord as JSON; times are epoch milliseconds.
 */
export const callJournalMigration: Migration = {
  id: "004-call-journal",
  target: "cluster",
  sqlite: [
    `CREATE TABLE IF NOT EXISTS call_journal (
      session_id TEXT NOT NULL PRIMARY KEY,
      instance_id TEXT NOT NULL,
      run_id TEXT NOT NULL,
      started_at INTEGER NOT NULL,
      last_seen_at INTEGER NOT NULL,
      live_record TEXT NOT NULL
    )`,
    "CREATE INDEX IF NOT EXISTS call_journal_instance ON call_journal (instance_id)",
    "CREATE INDEX IF NOT EXISTS call_journal_last_seen ON call_journal (last_seen_at)",
  ],
  mysql: [
    `CREATE TABLE IF NOT EXISTS call_journal (
      session_id VARCHAR(128) NOT NULL,
      instance_id VARCHAR(191) NOT NULL,
      run_id VARCHAR(64) NOT NULL,
      started_at BIGINT NOT NULL,
      last_seen_at BIGINT NOT NULL,
      live_record MEDIUMTEXT NOT NULL,
      PRIMARY KEY (session_id),
      KEY call_journal_instance (instance_id),
      KEY call_journal_last_seen (last_seen_at)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  ],
};

export default callJournalMigration;
