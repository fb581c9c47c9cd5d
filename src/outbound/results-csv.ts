/** The campaign's results CSV: one row per CSV line (number, status, callid, refid, error, attempts). */
import { renameSync, writeFileSync } from "node:fs";
import type { CampaignState } from "./campaign-state.ts";
import type { ContactList } from "./contacts.ts";
import { csvLine } from "./csv.ts";

export const RESULT_COLUMNS = ["number", "status", "callid", "refid", "error", "attempts"] as const;

/**
 * Writes the results in CSV line order: dialed contacts with their state, "not_dialed" for those an
 * interruption left (with their refid when one was already recorded), "retrying" for those stopped between retries, "invalid" and "duplicate" for lines the validation dropped. Written to a temp
 * file then renamed, so a reader never sees half a file.
 */
export function writeResultsCsv(path: string, list: ContactList, state: CampaignState): void {
  const rows: { line: number; values: (string | number | undefined)[] }[] = [];
  for (const c of list.contacts) {
    const e = state.get(c.number);
    rows.push({
      line: c.line,
      // "pending": a refid was recorded but nothing sent before the run stopped.
      values: e ? [c.number, e.status === "pending" ? "not_dialed" : e.status, e.callid, e.refid, e.error, e.attempts] : [c.number, "not_dialed", "", "", "", 0],
    });
  }
  for (const bad of list.invalid) rows.push({ line: bad.line, values: [bad.value, "invalid", "", "", `line ${bad.line}: ${bad.reason}`, 0] });
  for (const dup of list.duplicates) {
    rows.push({ line: dup.line, values: [dup.number, "duplicate", "", "", `line ${dup.line}: same number as line ${dup.firstLine}`, 0] });
  }
  rows.sort((a, b) => a.line - b.line);
  const text = csvLine(RESULT_COLUMNS) + rows.map((r) => csvLine(r.values)).join("");
  const temp = `${path}.tmp-${process.pid}`;
  writeFileSync(temp, text);
  renameSync(temp, path);
}
