/** The SQL seam of the store: one small interface over bun:sqlite and mysql2 pools, and how to open them. */
import type { Config } from "../config/index.ts";
import type { Logger } from "../log/logger.ts";
import { openSqliteDatabases } from "./sqlite-database.ts";

export interface SqlDatabase {
  readonly dialect: "sqlite" | "mysql";
  /** '?' placeholders in both dialects. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  execute(sql: string, params?: unknown[]): Promise<{ affectedRows: number; insertId?: number }>;
  close(): Promise<void>;
}

/** The master database (DIDs, businesses) and the cluster database (bots). SQLite: master === cluster (one file). */
export interface Databases {
  master: SqlDatabase;
  cluster: SqlDatabase;
  close(): Promise<void>;
}

/**
 * Opens the configured store: MySQL pools when DATABASE_HOST is set (lazy: nothing connects until the
 * first query, so a database outage never stops the gateway from starting), else the SQLite file at
 * HOMEBOOK_DB_PATH, created and migrated on open.
 */
export async function openDatabases(config: Config, logger: Logger): Promise<Databases> {
  if (config.database.kind === "sqlite") return openSqliteDatabases(config.database.sqlitePath, logger);
  // mysql2 takes ~100 ms to load: only gateways that use MySQL pay for it.
  const { openMysqlDatabases } = await import("./mysql-database.ts");
  return openMysqlDatabases(config.database, logger);
}
