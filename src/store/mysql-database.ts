/** The MySQL store: one bounded mysql2 pool per database (master, cluster) with connect and query deadlines. */
import mysql from "mysql2/promise";
import type { Config } from "../config/index.ts";
import type { Logger } from "../log/logger.ts";
import { HomebookError } from "../base/errors.ts";
import type { Databases, SqlDatabase } from "./sql.ts";
import { bindableParams } from "./sql-values.ts";
import { dbQueryDurationMs } from "./store-metrics.ts";

type DatabaseSettings = Config["database"];
type Role = "master" | "cluster";

/** Pending requests a pool queues before refusing more: bounded, so an outage cannot grow memory. */
const QUEUE_PER_CONNECTION = 100;

/** Driver errors that mean the connection is gone or unusable (not a bad statement). */
const CONNECTION_ERRORS = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENOTFOUND",
  "EPIPE",
  "PROTOCOL_CONNECTION_LOST",
  "PROTOCOL_SEQUENCE_TIMEOUT",
  "POOL_ENQUEUELIMIT",
  "POOL_CLOSED",
  // Refused logins make the store unusable the same way, with their own fix (FIXES below).
  "ER_ACCESS_DENIED_ERROR",
  "ER_ACCESS_DENIED_NO_PASSWORD_ERROR",
  "ER_DBACCESS_DENIED_ERROR",
]);

function isConnectionError(err: unknown): boolean {
  const e = err as { code?: unknown; fatal?: unknown } | undefined;
  return e?.fatal === true || CONNECTION_ERRORS.has(String(e?.code ?? ""));
}

/** What to check for each way MySQL refuses us; the default covers an unreachable server. */
const FIXES: Record<string, string> = {
  ER_ACCESS_DENIED_ERROR: "check DATABASE_USER and DATABASE_PASSWORD",
  ER_ACCESS_DENIED_NO_PASSWORD_ERROR: "check DATABASE_USER and DATABASE_PASSWORD",
  ER_DBACCESS_DENIED_ERROR: "grant DATABASE_USER access to DATABASE_NAME and DATABASE_MASTER_NAME",
  ER_BAD_DB_ERROR: "run 'homebook db migrate' (it creates the databases), or check DATABASE_NAME and DATABASE_MASTER_NAME",
};

function unavailable(role: Role, err: unknown): HomebookError {
  const code = String((err as { code?: unknown })?.code ?? "");
  return new HomebookError("store_unavailable", `MySQL ${role} database unavailable${code ? ` (${code})` : ""}`, {
    retryable: true,
    fix: FIXES[code] ?? "check DATABASE_HOST, DATABASE_PORT and that MySQL is up",
    cause: err,
  });
}

/** Options shared by pools and the one-off admin connection. */
function connectionOptions(settings: DatabaseSettings) {
  return {
    host: settings.host,
    port: settings.port,
    user: settings.user,
    password: settings.password,
    charset: settings.charset,
    connectTimeout: settings.connectTimeoutMs,
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
  } satisfies mysql.ConnectionOptions;
}

/**
 * One pool. Every statement is a prepared statement (`execute`) bounded twice: mysql2's per-query
 * timeout, and an overall deadline (connect + query timeout) that also covers waiting for the pool,
 * the handshake and the prepare. A connection that timed out is destroyed, never returned to the pool.
 */
export function createMysqlDatabase(settings: DatabaseSettings, database: string, role: Role, logger: Logger): SqlDatabase {
  const pool = mysql.createPool({
    ...connectionOptions(settings),
    database,
    connectionLimit: settings.poolSize,
    maxIdle: settings.poolSize,
    idleTimeout: 60_000,
    queueLimit: settings.poolSize * QUEUE_PER_CONNECTION,
    waitForConnections: true,
    enableKeepAlive: true,
  });
  // Idle connections that die emit on the pool; without a listener that would be an uncaught error.
  pool.pool.on("error" as never, (err: unknown) => logger.warn("MySQL pool connection error", { role, error: err }));
  const deadlineMs = settings.connectTimeoutMs + settings.queryTimeoutMs;
  let closed = false;

  async function run(sql: string, params: unknown[] | undefined): Promise<unknown> {
    if (closed) throw unavailable(role, Object.assign(new Error("pool closed"), { code: "POOL_CLOSED" }));
    const started = performance.now();
    let outcome = "ok";
    let abandoned = false;
    let conn: mysql.PoolConnection | undefined;
    const attempt = (async () => {
      const c = await pool.getConnection();
      if (abandoned) {
        c.destroy();
        throw new Error("abandoned");
      }
      conn = c;
      try {
        const [result] = await c.execute({ sql, timeout: settings.queryTimeoutMs }, bindableParams(params) as mysql.ExecuteValues[]);
        c.release();
        return result;
      } catch (err) {
        if (isConnectionError(err)) c.destroy();
        else c.release();
        throw err;
      } finally {
        conn = undefined;
      }
    })();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abandoned = true;
        conn?.destroy();
        reject(Object.assign(new Error(`no answer within ${deadlineMs} ms`), { code: "PROTOCOL_SEQUENCE_TIMEOUT" }));
      }, deadlineMs);
    });
    attempt.catch(() => undefined); // settled by the race below; a late rejection is expected after a timeout
    try {
      return await Promise.race([attempt, deadline]);
    } catch (err) {
      const timedOut = String((err as { code?: unknown })?.code) === "PROTOCOL_SEQUENCE_TIMEOUT";
      outcome = timedOut ? "timeout" : "error";
      throw isConnectionError(err) ? unavailable(role, err) : err;
    } finally {
      clearTimeout(timer);
      dbQueryDurationMs.observe({ dialect: "mysql", database: role, outcome }, performance.now() - started);
    }
  }

  return {
    dialect: "mysql",
    async query<T>(sql: string, params?: unknown[]) {
      return (await run(sql, params)) as T[];
    },
    async execute(sql: string, params?: unknown[]) {
      const result = (await run(sql, params)) as { affectedRows?: number; insertId?: number };
      return { affectedRows: result.affectedRows ?? 0, insertId: result.insertId || undefined };
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.end().catch(() => undefined);
    },
  };
}

/** Lazy pools for the master (DATABASE_MASTER_NAME) and cluster (DATABASE_NAME) databases on one host. */
export async function openMysqlDatabases(settings: DatabaseSettings, logger: Logger): Promise<Databases> {
  const master = createMysqlDatabase(settings, settings.masterName, "master", logger);
  const cluster = createMysqlDatabase(settings, settings.name, "cluster", logger);
  return {
    master,
    cluster,
    async close() {
      await Promise.all([master.close(), cluster.close()]);
    },
  };
}

function quoteIdentifier(name: string): string {
  return `\`${name.replace(/`/g, "``")}\``;
}

/**
 * Creates the master and cluster databases when they are missing (`homebook db migrate`).
 * Returns the names created; a user without the CREATE right gets a clear error only if a database is missing.
 */
export async function ensureMysqlDatabases(settings: DatabaseSettings): Promise<string[]> {
  let conn: mysql.Connection;
  try {
    conn = await mysql.createConnection(connectionOptions(settings));
  } catch (err) {
    throw unavailable("master", err);
  }
  try {
    const rows = (await conn.query("SHOW DATABASES"))[0] as { Database: string }[];
    const existing = new Set(rows.map((r) => r.Database));
    const created: string[] = [];
    const charset = settings.charset.includes("_") ? `COLLATE ${settings.charset}` : `CHARACTER SET ${settings.charset}`;
    for (const name of [...new Set([settings.masterName, settings.name])]) {
      if (existing.has(name)) continue;
      try {
        await conn.query(`CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(name)} ${charset}`);
        created.push(name);
      } catch (err) {
        throw new HomebookError("store_unavailable", `cannot create MySQL database ${name}: ${(err as Error).message}`, {
          fix: `create it as an administrator (CREATE DATABASE ${quoteIdentifier(name)}), then run 'homebook db migrate' again`,
          cause: err,
        });
      }
    }
    return created;
  } finally {
    await conn.end().catch(() => undefined);
  }
}
