/** The report printed before a campaign dials: what will be called, and every line that will not. */
import type { ContactList } from "./contacts.ts";

/** Bad lines listed one by one up to this many; the results CSV holds them all. */
const MAX_LISTED = 50;

export function formatValidationReport(list: ContactList, csvPath: string): string {
  const out: string[] = [];
  const lines = list.contacts.length + list.invalid.length + list.duplicates.length;
  out.push(`${csvPath}: ${lines} contact line${lines === 1 ? "" : "s"}, ${list.contacts.length} to dial`);
  if (list.variableNames.length > 0) out.push(`  dynamic variables from columns: ${list.variableNames.join(", ")}`);
  if (list.invalid.length > 0) {
    out.push(`  ${list.invalid.length} bad number${list.invalid.length === 1 ? "" : "s"} (skipped):`);
    for (const bad of list.invalid.slice(0, MAX_LISTED)) out.push(`    line ${bad.line}: ${JSON.stringify(bad.value)} ${bad.reason}`);
    if (list.invalid.length > MAX_LISTED) out.push(`    … and ${list.invalid.length - MAX_LISTED} more (all are in the results CSV)`);
  }
  if (list.duplicates.length > 0) {
    out.push(`  ${list.duplicates.length} duplicate${list.duplicates.length === 1 ? "" : "s"} dropped (the first line is kept):`);
    for (const dup of list.duplicates.slice(0, MAX_LISTED)) out.push(`    line ${dup.line}: same number as line ${dup.firstLine}`);
    if (list.duplicates.length > MAX_LISTED) out.push(`    … and ${list.duplicates.length - MAX_LISTED} more (all are in the results CSV)`);
  }
  return `${out.join("\n")}\n`;
}
