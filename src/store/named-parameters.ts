/** Named parameters (`:did`) in operator-written SQL, rewritten to the '?' placeholders both drivers take. */
import { HomebookError } from "../base/errors.ts";

export interface NamedQuery {
  /** The statement with '?' in place of each named parameter. */
  sql: string;
  /** Parameter names in placeholder order (a name used twice appears twice). */
  names: string[];
  /** Positional values for `values`, in placeholder order. */
  bind(values: Record<string, unknown>): unknown[];
}

/**
 * Compiles `sql`, replacing `:name` outside quotes and comments; `::` and `:=` are left alone.
 * Throws a config error naming `setting` when the statement uses a name not in `allowed`.
 *
 * @example compileNamedQuery("SELECT bot_id FROM dids WHERE RIGHT(number, 10) = :did", ["did"], "BOT_DID_QUERY")
 */
export function compileNamedQuery(sql: string, allowed: readonly string[], setting: string): NamedQuery {
  const names: string[] = [];
  let out = "";
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    if (ch === "'" || ch === '"' || ch === "`") {
      const end = closingQuote(sql, i, ch);
      out += sql.slice(i, end);
      i = end;
    } else if (ch === "-" && sql[i + 1] === "-") {
      const end = sql.indexOf("\n", i);
      i = end === -1 ? sql.length : end;
    } else if (ch === "/" && sql[i + 1] === "*") {
      const end = sql.indexOf("*/", i + 2);
      i = end === -1 ? sql.length : end + 2;
    } else if (ch === ":" && sql[i - 1] !== ":" && /[A-Za-z_]/.test(sql[i + 1] ?? "")) {
      const name = /^[A-Za-z_]\w*/.exec(sql.slice(i + 1))![0];
      if (!allowed.includes(name)) {
        throw new HomebookError("config", `${setting} uses :${name}, which Homebook does not supply`, {
          fix: `use only ${allowed.map((n) => `:${n}`).join(", ")} in ${setting}`,
        });
      }
      names.push(name);
      out += "?";
      i += 1 + name.length;
    } else {
      out += ch;
      i++;
    }
  }
  return { sql: out, names, bind: (values) => names.map((n) => values[n] ?? null) };
}

/** Index just past the quote that closes the one at `start` (doubled quotes and backslashes escape). */
function closingQuote(sql: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === "\\" && quote !== "`") i += 2;
    else if (sql[i] === quote && sql[i + 1] === quote) i += 2;
    else if (sql[i] === quote) return i + 1;
    else i++;
  }
  return sql.length;
}
