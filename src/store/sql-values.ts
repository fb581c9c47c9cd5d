/** Small helpers shared by both SQL drivers: parameter binding and error classification. */

/** Values as both drivers bind them: undefined → NULL, booleans → 0/1. */
export function bindableParams(params: unknown[] | undefined): unknown[] {
  if (!params) return [];
  return params.map((p) => (p === undefined ? null : typeof p === "boolean" ? (p ? 1 : 0) : p));
}

/** True for a primary-key or unique-key violation in either dialect. */
export function isDuplicateKeyError(err: unknown): boolean {
  const e = err as { code?: unknown; errno?: unknown } | undefined;
  const code = String(e?.code ?? "");
  return code === "ER_DUP_ENTRY" || e?.errno === 1062 || code.startsWith("SQLITE_CONSTRAINT_PRIMARYKEY") || code.startsWith("SQLITE_CONSTRAINT_UNIQUE");
}

/** True when the database, a table or a column is missing: the fix is `homebook db migrate`. */
export function isMissingSchemaError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  const code = String(e?.code ?? "");
  return ["ER_BAD_DB_ERROR", "ER_NO_SUCH_TABLE", "ER_BAD_FIELD_ERROR"].includes(code) || /no such (table|column)/i.test(String(e?.message ?? ""));
}

/** The UTC time as both dialects store it in DATETIME/TEXT columns: "2025-01-31 23:59:59". */
export function sqlTimestamp(date = new Date()): string {
  return date.toISOString().slice(0, 19).replace("T", " ");
}

/** SQLite errors that mean the file cannot be used right now (locked, unreadable, disk full), not a bad statement. */
const SQLITE_OUTAGE = /^SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN|FULL|NOMEM)/;

/**
 * True when the store itself failed (unreachable, refused, hung, locked), as opposed to a bad row or
 * statement: what a circuit breaker should count. MySQL connection errors arrive as store_unavailable.
 */
export function isStoreOutageError(err: unknown): boolean {
  const e = err as { code?: unknown } | undefined;
  const code = String(e?.code ?? "");
  return code === "store_unavailable" || SQLITE_OUTAGE.test(code);
}
