/** Migration 008 (cluster database): every agent conversation of a call and its reconnect count. */
import type { Migration } from "./migration.ts";

/**
 * call_records.conversation_ids: the call's agent conversations in order, as a JSON array (more than one
 * after a reconnect; conversation_id stays the last one). call_records.reconnects: agent reconnects
 * during the call. Both NULL for calls stored before this.
 */
export const callReconnectsMigration: Migration = {
  id: "008-call-reconnects",
  target: "cluster",
  sqlite: ["ALTER TABLE call_records ADD COLUMN conversation_ids TEXT", "ALTER TABLE call_records ADD COLUMN reconnects INTEGER"],
  mysql: ["ALTER TABLE call_records ADD COLUMN conversation_ids TEXT NULL", "ALTER TABLE call_records ADD COLUMN reconnects INT NULL"],
};

export default callReconnectsMigration;
