/** A startup check of the configured store that warns instead of failing: calls fall back to the default agent meanwhile. */
import type { Logger } from "../log/logger.ts";
import type { Databases, SqlDatabase } from "./sql.ts";
import { MIGRATIONS } from "./migrations/index.ts";
import { isMissingSchemaError } from "./sql-values.ts";

/**
 * Checks each database answers and has every migration applied; logs one warning per problem.
 * Returns true when all is well. Never throws: a gateway starts even while its database is down.
 */
export async function probeDatabases(dbs: Databases, logger: Logger): Promise<boolean> {
  const single = dbs.master === dbs.cluster;
  const roles: ["master" | "cluster", SqlDatabase][] = single ? [["master", dbs.master]] : [["master", dbs.master], ["cluster", dbs.cluster]];
  let healthy = true;
  for (const [role, db] of roles) {
    try {
      const applied = new Set((await db.query<{ id: unknown }>("SELECT id FROM schema_migrations")).map((r) => String(r.id)));
      const missing = MIGRATIONS.filter((m) => single || m.target === role).filter((m) => !applied.has(m.id));
      if (missing.length > 0) {
        healthy = false;
        logger.warn("store is not fully migrated: run 'homebook db migrate'", { role, missing: missing.map((m) => m.id) });
      }
    } catch (err) {
      healthy = false;
      if (isMissingSchemaError(err)) {
        logger.warn("store is not migrated: run 'homebook db migrate'", { role });
        continue;
      }
      logger.warn("store unavailable at startup: calls get the default agent until it answers", { role, dialect: db.dialect, error: err });
    }
  }
  return healthy;
}
