/** The bot store suite on the embedded SQLite store, plus what only SQLite does (WAL, migrate on open). */
import { expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { loadConfig } from "../../src/config/index.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { openDatabases } from "../../src/store/open-databases.ts";
import { botStoreSuite } from "./bot-store-suite.ts";
import { sqliteTarget } from "./stores.ts";

botStoreSuite(sqliteTarget());

test("SQLite creates its directory, migrates on open and runs in WAL mode with one handle for both roles", async () => {
  const target = sqliteTarget();
  expect(existsSync(target.env.HOMEBOOK_DB_PATH!)).toBe(false);
  const dbs = await openDatabases(loadConfig(target.env), silentLogger);
  try {
    expect(existsSync(target.env.HOMEBOOK_DB_PATH!)).toBe(true);
    expect(dbs.master).toBe(dbs.cluster);
    const [mode] = await dbs.master.query<{ journal_mode: string }>("PRAGMA journal_mode");
    expect(mode?.journal_mode).toBe("wal");
    const tables = (await dbs.master.query<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")).map((t) => t.name);
    expect(tables).toEqual(expect.arrayContaining(["bots", "did_numbers", "businesses", "schema_migrations"]));
  } finally {
    await dbs.close();
  }
});
