/** Opens the configured store: MySQL pools or the embedded SQLite file. */
import type { Config } from "../config/index.ts";
import type { Logger } from "../log/logger.ts";
import type { Databases } from "./sql.ts";
import { openSqliteDatabases } from "./sqlite-database.ts";

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
