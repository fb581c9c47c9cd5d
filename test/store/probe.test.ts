/** The startup probe: a warning that says what to do, never an exception. */
import { afterAll, expect, test } from "bun:test";
import { silentLogger } from "../../src/log/logger.ts";
import { openDatabases } from "../../src/store/open-databases.ts";
import { probeDatabases } from "../../src/store/store-probe.ts";
import { capturingLogger, configFor, mysqlTarget, sqliteTarget } from "./stores.ts";

const mysql = mysqlTarget("probe");
afterAll(() => mysql.destroy());

test("a migrated store passes; an unmigrated one and an unreachable one are warnings saying what to do", async () => {
  const sqlite = await openDatabases(configFor(sqliteTarget()), silentLogger);
  expect(await probeDatabases(sqlite, silentLogger)).toBe(true);
  await sqlite.close();

  const logger = capturingLogger();
  const bare = await openDatabases(configFor(mysql), silentLogger);
  expect(await probeDatabases(bare, logger)).toBe(false);
  expect(logger.lines.map((l) => l.msg)).toEqual(["store is not migrated: run 'homebook db migrate'", "store is not migrated: run 'homebook db migrate'"]);
  await bare.close();

  await mysql.prepare();
  const migrated = await openDatabases(configFor(mysql), silentLogger);
  expect(await probeDatabases(migrated, silentLogger)).toBe(true);
  await migrated.close();

  const downLogger = capturingLogger();
  const down = await openDatabases(configFor(mysql, { DATABASE_PORT: "1" }), silentLogger);
  expect(await probeDatabases(down, downLogger)).toBe(false);
  expect(downLogger.lines[0]).toMatchObject({ level: "warn", msg: "store unavailable at startup: calls get the default agent until it answers", role: "master" });
  await down.close();
});
