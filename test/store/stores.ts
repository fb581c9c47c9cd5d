/** Test stores for the bot store suite: a temp SQLite file, or fresh uniquely named MariaDB databases. */
import mysql from "mysql2/promise";
import { join } from "node:path";
import { loadConfig, type Config } from "../../src/config/index.ts";
import { createLogger, silentLogger, type Logger } from "../../src/log/logger.ts";
import { ensureMysqlDatabases } from "../../src/store/mysql-database.ts";
import { migrate } from "../../src/store/migrations/index.ts";
import { openDatabases } from "../../src/store/open-databases.ts";
import { type Databases, type SqlDatabase } from "../../src/store/sql.ts";
import { tempDir } from "../helpers/env.ts";

export const MARIADB = { host: "127.0.0.1", port: 3306, user: "root" } as const;

/** Where a suite's store lives: the environment to reach it and how to remove it afterwards. */
export interface StoreTarget {
  dialect: "sqlite" | "mysql";
  env: Record<string, string>;
  /** Creates the database(s) and applies the migrations. */
  prepare(): Promise<void>;
  destroy(): Promise<void>;
}

export function sqliteTarget(): StoreTarget {
  const dir = tempDir("homebook-store-");
  return {
    dialect: "sqlite",
    env: { HOMEBOOK_DB_PATH: join(dir, "nested", "homebook.db"), LOG_FILE: join(dir, "voicebot.log"), OUTBOX_PATH: join(dir, "outbox.jsonl") },
    async prepare() {
      const dbs = await openDatabases(loadConfig(this.env), silentLogger);
      await dbs.close();
    },
    async destroy() {},
  };
}

/** Unique master and cluster databases on the local MariaDB; destroy() drops both. */
export function mysqlTarget(label: string): StoreTarget {
  const name = `hb_store_${label}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const dir = tempDir("homebook-store-");
  return {
    dialect: "mysql",
    env: {
      DATABASE_HOST: MARIADB.host,
      DATABASE_PORT: String(MARIADB.port),
      DATABASE_USER: MARIADB.user,
      DATABASE_NAME: `${name}_c`,
      DATABASE_MASTER_NAME: `${name}_m`,
      LOG_FILE: join(dir, "voicebot.log"),
      OUTBOX_PATH: join(dir, "outbox.jsonl"),
    },
    async prepare() {
      const config = loadConfig(this.env);
      await ensureMysqlDatabases(config.database);
      const dbs = await openDatabases(config, silentLogger);
      await migrate(dbs, silentLogger).finally(() => dbs.close());
    },
    async destroy() {
      await mysqlAdmin(`DROP DATABASE IF EXISTS \`${name}_c\``, `DROP DATABASE IF EXISTS \`${name}_m\``);
    },
  };
}

/** Runs statements as root on the local MariaDB, outside any database. */
export async function mysqlAdmin(...statements: string[]): Promise<void> {
  const conn = await mysql.createConnection({ ...MARIADB, multipleStatements: true });
  try {
    for (const s of statements) await conn.query(s);
  } finally {
    await conn.end();
  }
}

/** A logger that keeps its JSON lines for assertions. */
export function capturingLogger(level: "debug" | "info" = "info"): Logger & { lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level, stdout: "none", sink: (line) => lines.push(JSON.parse(line)) });
  return Object.assign(logger, { lines });
}

/** The same databases, counting the statements that reach them (how many lookups really ran). */
export function countingDatabases(dbs: Databases): Databases & { queries: () => number } {
  let count = 0;
  const wrap = (db: SqlDatabase): SqlDatabase => ({
    dialect: db.dialect,
    query: (sql, params) => {
      count++;
      return db.query(sql, params);
    },
    execute: (sql, params) => db.execute(sql, params),
    close: () => db.close(),
  });
  const master = wrap(dbs.master);
  const cluster = dbs.master === dbs.cluster ? master : wrap(dbs.cluster);
  return { master, cluster, close: () => dbs.close(), queries: () => count };
}

/** Databases whose target can be swapped mid-test: the healthy store, then one in an outage. */
export function switchableDatabases(initial: Databases): Databases & { use(next: Databases): void } {
  let current = initial;
  const role = (pick: (d: Databases) => SqlDatabase): SqlDatabase => ({
    get dialect() {
      return pick(current).dialect;
    },
    query: (sql, params) => pick(current).query(sql, params),
    execute: (sql, params) => pick(current).execute(sql, params),
    close: async () => {},
  });
  return {
    master: role((d) => d.master),
    cluster: role((d) => d.cluster),
    close: async () => {},
    use(next) {
      current = next;
    },
  };
}

export function configFor(target: StoreTarget, extra: Record<string, string> = {}): Config {
  return loadConfig({ HOST: "127.0.0.1", PORT: "0", ELEVENLABS_AGENT_ID: "agent_default", COMPANY_NAME: "Default Co", ...target.env, ...extra });
}
