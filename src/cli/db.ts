/** `homebook db migrate`: creates (MySQL: if allowed) and migrates the configured store. */
import { loadConfig, type Config } from "../config/index.ts";
import { UsageError } from "../base/errors.ts";
import { silentLogger } from "../log/logger.ts";
import { migrate } from "../store/migrations/index.ts";
import { ensureMysqlDatabases, openMysqlDatabases } from "../store/mysql-database.ts";
import { openSqliteDatabases } from "../store/sqlite-database.ts";
import { storeError } from "../store/admin-session.ts";
import { parseCommandArgs } from "./args.ts";
import { explainStartError } from "./start-errors.ts";

export const usage = `Usage: homebook db migrate [--json]

Applies pending schema migrations. MySQL (DATABASE_HOST set): creates DATABASE_MASTER_NAME and
DATABASE_NAME when missing and the user may, then migrates both. SQLite (HOMEBOOK_DB_PATH) also
migrates itself whenever Homebook opens it. Safe to run again: applied migrations are skipped.`;

async function migrateCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs("db migrate", argv, { json: { type: "boolean" }, help: { type: "boolean", short: "h" } });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const config = loadConfig();
  const { created, applied } = await migrateStore(config).catch((err: unknown) => {
    throw explainStartError(storeError(err, config), config);
  });
  const where = config.database.kind === "mysql" ? `MySQL ${config.database.host}:${config.database.port}` : config.database.sqlitePath;
  if (values.json) console.log(JSON.stringify({ store: config.database.kind, createdDatabases: created, applied }));
  else {
    for (const name of created) console.log(`created database ${name}`);
    console.log(applied.length ? `applied ${applied.join(", ")} on ${where}` : `${where} is up to date`);
  }
  return 0;
}

async function migrateStore(config: Config): Promise<{ created: string[]; applied: string[] }> {
  const mysql = config.database.kind === "mysql";
  const created = mysql ? await ensureMysqlDatabases(config.database) : [];
  const dbs = mysql
    ? await openMysqlDatabases(config.database, silentLogger)
    : await openSqliteDatabases(config.database.sqlitePath, silentLogger, { migrate: false });
  try {
    return { created, applied: await migrate(dbs, silentLogger) };
  } finally {
    await dbs.close();
  }
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "--help" || sub === "-h" || sub === "help") {
    console.log(usage);
    return 0;
  }
  if (sub !== "migrate") throw new UsageError(`db: unknown subcommand '${sub}': use migrate`);
  return migrateCommand(rest);
}
