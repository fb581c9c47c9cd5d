/** Migration 006 (cluster database): a bot's recording override, and what the console shows of a finished call. */
import type { Migration } from "./migration.ts";

/**
 * bots.recording: NULL follows RECORDING, 1 records the bot's calls, 0 never does.
 * call_records.recorded: whether the call left a recording (NULL for calls stored before this).
 * call_records.timeline: the call's events as a JSON array of {atMs, kind, detail?}.
 * call_records (bot_id, ended_at): the console's history filter by bot.
 * MySQL cannot say IF NOT EXISTS here: the runner ignores "already exists" when a run is repeated.
 */
export const botRecordingMigration: Migration = {
  id: "006-bot-recording",
  target: "cluster",
  sqlite: [
    "ALTER TABLE bots ADD COLUMN recording INTEGER",
    "ALTER TABLE call_records ADD COLUMN recorded INTEGER",
    "ALTER TABLE call_records ADD COLUMN timeline TEXT",
    "CREATE INDEX IF NOT EXISTS call_records_bot_ended ON call_records (bot_id, ended_at)",
  ],
  mysql: [
    "ALTER TABLE bots ADD COLUMN recording TINYINT(1) NULL",
    "ALTER TABLE call_records ADD COLUMN recorded TINYINT(1) NULL",
    "ALTER TABLE call_records ADD COLUMN timeline MEDIUMTEXT NULL",
    "ALTER TABLE call_records ADD KEY call_records_bot_ended (bot_id, ended_at)",
  ],
};

export default botRecordingMigration;
