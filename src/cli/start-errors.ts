/** Operating-system failures met while a command starts (port taken, store file unusable), as one line naming the setting to change. */
import { resolve, sep } from "node:path";
import type { Config } from "../config/index.ts";
import { HomebookError } from "../base/errors.ts";

/** Codes from mkdir/open that mean a directory or file cannot be created. */
const FILE_ERRORS = new Set(["ENOENT", "EACCES", "EPERM", "ENOTDIR", "EISDIR", "EEXIST", "EROFS"]);
/** Codes from bun:sqlite that mean the database file cannot be opened or written. */
const SQLITE_FILE_ERRORS = new Set(["SQLITE_CANTOPEN", "SQLITE_READONLY", "SQLITE_NOTADB", "SQLITE_PERM"]);

/** True when a file error names the SQLite file or one of the directories above it. */
function isSqlitePathError(code: string, path: unknown, sqlitePath: string): boolean {
  if (SQLITE_FILE_ERRORS.has(code)) return true;
  if (!FILE_ERRORS.has(code) || typeof path !== "string") return false;
  const file = resolve(sqlitePath);
  const failed = resolve(path);
  return file === failed || file.startsWith(failed + sep);
}

/**
 * Returns an error whose message says what failed and which setting fixes it, or `err` unchanged
 * when it is not one of these start-up failures. Bad settings (HOST, HOMEBOOK_DB_PATH) become
 * HomebookError("config") (exit 2); a port another process holds stays an error (exit 1).
 * @example throw explainStartError(err, config);
 */
export function explainStartError(err: unknown, config: Config): unknown {
  if (err instanceof HomebookError) return err;
  const e = err as { code?: unknown; syscall?: unknown; path?: unknown } | undefined;
  const code = typeof e?.code === "string" ? e.code : "";
  const address = `${config.host}:${config.port}`;
  if (code === "EADDRINUSE") {
    return new Error(`cannot listen on ${address}: another process is using port ${config.port}; stop it, or set PORT to a free port`, { cause: err });
  }
  if (code === "EADDRNOTAVAIL") {
    return new HomebookError("config", `cannot listen on ${address}: HOST ${config.host} is not an address of this machine`, {
      fix: "set HOST to 0.0.0.0 (every interface) or to one of this machine's addresses",
      cause: err,
    });
  }
  if (code === "EACCES" && e?.syscall === "listen") {
    return new HomebookError("config", `cannot listen on ${address}: ports below 1024 need extra privileges`, {
      fix: "set PORT to 1024 or above (the default is 7900)",
      cause: err,
    });
  }
  if (config.database.kind === "sqlite" && isSqlitePathError(code, e?.path, config.database.sqlitePath)) {
    const fix =
      code === "SQLITE_NOTADB"
        ? "that file is not a SQLite database: set HOMEBOOK_DB_PATH to the store's file or to a new file name"
        : "set HOMEBOOK_DB_PATH to a file in a directory this user can write, or set DATABASE_HOST to use MySQL";
    return new HomebookError("config", `cannot open the SQLite store ${config.database.sqlitePath} (${code})`, { fix, cause: err });
  }
  return err;
}
