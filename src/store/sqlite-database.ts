/** The embedded store: one bun:sqlite file in WAL mode holding the master and cluster tables. */
import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { Logger } from "../log/logger.ts";
import type { Databases, SqlDatabase } from "./sql.ts";
import { bindableParams } from "./sql-values.ts";
import { migrate } from "./migrations/index.ts";
import { dbQueryDurationMs } from "./store-metrics.ts";

/** How long a writer waits for another process's lock (the CLI while the gateway runs) before failing. */
const BUSY_TIMEOUT_MS = 5000;

type Binding = string | number | bigint | boolean | null | Uint8Array;

/** Wraps an open bun:sqlite handle; statements are prepared once and cached by bun:sqlite. */
export function createSqliteDatabase(db: Database): SqlDatabase {
  const timed = <T>(run: () => T): T => {
    const started = performance.now();
    let outcome = "ok";
    try {
      return run();
    } catch (err) {
      outcome = "error";
      throw err;
    } finally {
      dbQueryDurationMs.observe({ dialect: "sqlite", database: "sqlite", outcome }, performance.now() - started);
    }
  };
  let closed = false;
  return {
    dialect: "sqlite",
    async query<T>(sql: string, params?: unknown[]) {
      return timed(() => db.query(sql).all(...(bindableParams(params) as Binding[])) as T[]);
    },
    async execute(sql: string, params?: unknown[]) {
      const result = timed(() => db.query(sql).run(...(bindableParams(params) as Binding[])));
      return { affectedRows: result.changes, insertId: Number(result.lastInsertRowid) };
    },
    async close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}

/** Opens (creating the directory and file if needed) and, unless told not to, migrates the SQLite store at `path`. */
export async function openSqliteDatabases(path: string, logger: Logger, { migrate: migrateOnOpen = true } = {}): Promise<Databases> {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { create: true });
  db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec("PRAGMA foreign_keys = ON");
  const sql = createSqliteDatabase(db);
  const dbs: Databases = { master: sql, cluster: sql, close: () => sql.close() };
  try {
    if (migrateOnOpen) await migrate(dbs, logger);
  } catch (err) {
    await sql.close();
    throw err;
  }
  return dbs;
}
