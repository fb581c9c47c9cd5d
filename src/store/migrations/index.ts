/** Versioned schema migrations: an ordered list, applied once each and recorded per database. */
import type { Logger } from "../../log/logger.ts";
import type { Databases, SqlDatabase } from "../sql.ts";
import type { Migration } from "./migration.ts";
import { botsTable, didNumbers } from "./001-bots.ts";
import { callRecordsMigration } from "./002-call-records.ts";
import { outboundMigration } from "./003-outbound.ts";
import { callJournalMigration } from "./004-call-journal.ts";
import { webhookDeliveriesMigration } from "./005-webhook-deliveries.ts";
import { botRecordingMigration } from "./006-bot-recording.ts";
import { botMcpApprovalMigration } from "./007-bot-mcp-approval.ts";
import { callReconnectsMigration } from "./008-call-reconnects.ts";

export type { Migration } from "./migration.ts";

/**
 * Every migration in the order it is applied. To add one: a file `NNN-name.ts` beside this one,
 * an import line above, and one entry below.
 */
export const MIGRATIONS: Migration[] = [
  didNumbers,
  botsTable,
  callRecordsMigration,
  outboundMigration,
  callJournalMigration,
  webhookDeliveriesMigration,
  botRecordingMigration,
  botMcpApprovalMigration,
  callReconnectsMigration,
];

const LEDGER_SQL = {
  sqlite: "CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT NOT NULL PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)",
  mysql:
    "CREATE TABLE IF NOT EXISTS schema_migrations (id VARCHAR(191) NOT NULL PRIMARY KEY, applied_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
};

/** MySQL errors of an ALTER whose column or key a cut-short earlier run already added. */
const ALREADY_APPLIED = new Set(["ER_DUP_FIELDNAME", "ER_DUP_KEYNAME"]);

function ignoreAlreadyApplied(err: unknown): void {
  if (!ALREADY_APPLIED.has(String((err as { code?: unknown })?.code ?? ""))) throw err;
}

async function appliedIds(db: SqlDatabase): Promise<Set<string>> {
  const rows = await db.query<{ id: string }>("SELECT id FROM schema_migrations");
  return new Set(rows.map((r) => String(r.id)));
}

/** Runs one migration; on SQLite inside an immediate transaction so two processes never both apply it. */
async function applyOne(db: SqlDatabase, migration: Migration): Promise<boolean> {
  const record = "INSERT INTO schema_migrations (id) VALUES (?)";
  if (db.dialect === "mysql") {
    // DDL commits implicitly in MySQL; statements are written to be repeatable instead.
    for (const statement of migration.mysql) await db.execute(statement).catch(ignoreAlreadyApplied);
    await db.execute("INSERT IGNORE INTO schema_migrations (id) VALUES (?)", [migration.id]);
    return true;
  }
  await db.execute("BEGIN IMMEDIATE");
  try {
    if ((await appliedIds(db)).has(migration.id)) {
      await db.execute("ROLLBACK");
      return false;
    }
    for (const statement of migration.sqlite) await db.execute(statement);
    await db.execute(record, [migration.id]);
    await db.execute("COMMIT");
    return true;
  } catch (err) {
    await db.execute("ROLLBACK").catch(() => undefined);
    throw err;
  }
}

/**
 * Applies pending migrations in order and returns their ids; running it again applies nothing.
 * Each database keeps its own `schema_migrations` ledger (SQLite: one, as master === cluster).
 */
export async function migrate(dbs: Databases, logger: Logger, migrations: readonly Migration[] = MIGRATIONS): Promise<string[]> {
  const ids = new Set<string>();
  for (const m of migrations) {
    if (ids.has(m.id)) throw new Error(`migration ${m.id} is listed twice`);
    ids.add(m.id);
  }
  const ready = new Map<SqlDatabase, Set<string>>();
  const applied: string[] = [];
  for (const migration of migrations) {
    const db = dbs[migration.target];
    let done = ready.get(db);
    if (!done) {
      await db.execute(LEDGER_SQL[db.dialect]);
      done = await appliedIds(db);
      ready.set(db, done);
    }
    if (done.has(migration.id)) continue;
    if (await applyOne(db, migration)) {
      applied.push(migration.id);
      logger.info("migration applied", { migration: migration.id, target: migration.target, dialect: db.dialect });
    }
    done.add(migration.id);
  }
  return applied;
}
