/** Migration 001: the bot store. Master: DIDs and businesses. Cluster: bots. */
import type { Migration } from "./migration.ts";

const MYSQL_TABLE = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";

/** did_numbers maps a normalized 10-digit DID to its bot and business; businesses names them. */
export const didNumbers: Migration = {
  id: "001-did-numbers",
  target: "master",
  sqlite: [
    `CREATE TABLE IF NOT EXISTS businesses (
      business_id TEXT NOT NULL PRIMARY KEY,
      name TEXT NOT NULL
    )`,
    `CREATE TABLE IF NOT EXISTS did_numbers (
      did TEXT NOT NULL PRIMARY KEY,
      bot_id TEXT NOT NULL,
      business_id TEXT
    )`,
    "CREATE INDEX IF NOT EXISTS did_numbers_bot_id ON did_numbers (bot_id)",
  ],
  mysql: [
    `CREATE TABLE IF NOT EXISTS businesses (
      business_id VARCHAR(64) NOT NULL PRIMARY KEY,
      name VARCHAR(255) NOT NULL
    ) ${MYSQL_TABLE}`,
    `CREATE TABLE IF NOT EXISTS did_numbers (
      did VARCHAR(20) NOT NULL PRIMARY KEY,
      bot_id VARCHAR(64) NOT NULL,
      business_id VARCHAR(64) NULL,
      KEY did_numbers_bot_id (bot_id)
    ) ${MYSQL_TABLE}`,
  ],
};

/** bots holds each bot's agent and overrides; dynamic_variables is a JSON object of strings. */
export const botsTable: Migration = {
  id: "001-bots",
  target: "cluster",
  sqlite: [
    `CREATE TABLE IF NOT EXISTS bots (
      bot_id TEXT NOT NULL PRIMARY KEY,
      name TEXT NOT NULL,
      agent_id TEXT NOT NULL,
      company_name TEXT,
      first_message TEXT,
      prompt TEXT,
      language TEXT,
      voice_id TEXT,
      transfer_number TEXT,
      fallback_number TEXT,
      dynamic_variables TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(dynamic_variables)),
      active INTEGER NOT NULL DEFAULT 1,
      updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
    )`,
  ],
  mysql: [
    `CREATE TABLE IF NOT EXISTS bots (
      bot_id VARCHAR(64) NOT NULL PRIMARY KEY,
      name VARCHAR(255) NOT NULL,
      agent_id VARCHAR(128) NOT NULL,
      company_name VARCHAR(255) NULL,
      first_message TEXT NULL,
      prompt MEDIUMTEXT NULL,
      language VARCHAR(16) NULL,
      voice_id VARCHAR(128) NULL,
      transfer_number VARCHAR(20) NULL,
      fallback_number VARCHAR(20) NULL,
      dynamic_variables JSON NULL,
      active TINYINT(1) NOT NULL DEFAULT 1,
      updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
    ) ${MYSQL_TABLE}`,
  ],
};
