/** What the store's admin commands share: opening the configured store, and turning its errors into one-line fixes. */
import type { Config } from "../config/index.ts";
import { HomebookError, UsageError } from "../base/errors.ts";
import { silentLogger } from "../log/logger.ts";
import { createBotAdmin, type BotAdmin } from "./bot-admin.ts";
import { normalizePhoneNumber } from "../base/phone-number.ts";
import { openDatabases } from "./open-databases.ts";
import { type Databases } from "./sql.ts";
import { isMissingSchemaError } from "./sql-values.ts";

/**
 * Runs `work` against the configured store and closes it. Bad input (unknown bot, taken DID) becomes
 * a UsageError (exit 2); a missing schema or an unreachable database an error that says what to do.
 */
export async function withBotAdmin<T>(config: Config, work: (admin: BotAdmin, dbs: Databases) => Promise<T>): Promise<T> {
  const dbs = await openDatabases(config, silentLogger).catch((err: unknown) => {
    throw storeError(err, config);
  });
  try {
    return await work(createBotAdmin(dbs), dbs);
  } catch (err) {
    throw storeError(err, config);
  } finally {
    await dbs.close();
  }
}

/** The error an admin command reports: one line with the fix; bad input as a UsageError (exit 2). */
export function storeError(err: unknown, config: Config): unknown {
  if (err instanceof UsageError) return err;
  if (err instanceof HomebookError) {
    const line = `${err.message}${err.fix ? `: ${err.fix}` : ""}`;
    return ["not_found", "conflict", "invalid_input"].includes(err.code) ? new UsageError(line) : new HomebookError(err.code, line, { cause: err });
  }
  if (isMissingSchemaError(err)) {
    const where = config.database.kind === "mysql" ? `MySQL databases ${config.database.masterName}/${config.database.name}` : config.database.sqlitePath;
    return new HomebookError("store_unavailable", `the bot tables are missing in ${where}: run 'homebook db migrate' first`, { cause: err });
  }
  return err;
}

/** Normalizes a number given on the command line, or throws a UsageError naming the option. */
export function phoneOption(option: string, value: string): string {
  const number = normalizePhoneNumber(value);
  if (!number) {
    throw new UsageError(`--${option} ${JSON.stringify(value)} is not a phone number: give 10 digits, optionally with +91, 91 or 0 in front`);
  }
  return number;
}
