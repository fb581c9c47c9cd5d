/** Turns campaign CSV records into contacts: numbers normalized, bad lines and duplicates reported. */
import { normalizePhoneNumber } from "../base/phone-number.ts";
import { UsageError } from "../base/errors.ts";
import type { CsvRecord } from "./csv.ts";

export interface Contact {
  /** CSV line the contact came from. */
  line: number;
  /** 10 national digits. */
  number: string;
  name?: string;
  /** Every other column, by header name: the agent's dynamic variables for this call. */
  variables: Record<string, string>;
}

export interface RejectedLine {
  line: number;
  /** What the CSV held, for the operator's report. */
  value: string;
  reason: string;
}

export interface DuplicateLine {
  line: number;
  /** Line of the first contact with the same number (the one kept). */
  firstLine: number;
  number: string;
}

export interface ContactList {
  contacts: Contact[];
  invalid: RejectedLine[];
  duplicates: DuplicateLine[];
  /** Header names that became dynamic variables. */
  variableNames: string[];
}

const NUMBER_HEADERS = ["number", "phone", "phone_number", "mobile", "custnumber"];
const NAME_HEADERS = ["name", "customer_name"];
/** ElevenLabs dynamic variable names: letters, digits and underscores. */
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function headerIndex(headers: string[], names: string[]): number {
  return headers.findIndex((h) => names.includes(h.toLowerCase()));
}

/**
 * Reads contacts from parsed CSV: the first record is the header; a `number` column is required,
 * `name` is optional, other columns become variables. Duplicated numbers keep their first line.
 * @throws UsageError when the header has no number column or a column name is unusable.
 */
export function readContacts(records: CsvRecord[]): ContactList {
  const [header, ...rows] = records;
  if (!header) throw new UsageError("outbound: the CSV is empty", "give a CSV whose first line is a header with a 'number' column");
  const headers = header.fields.map((h) => h.trim());
  const numberAt = headerIndex(headers, NUMBER_HEADERS);
  if (numberAt < 0) {
    throw new UsageError(
      `outbound: the CSV header has no 'number' column (found: ${headers.join(", ") || "nothing"})`,
      "make the first line a header naming the columns, like: number,name,city",
    );
  }
  const nameAt = headerIndex(headers, NAME_HEADERS);
  const variableAt: number[] = [];
  for (const [i, h] of headers.entries()) {
    if (i === numberAt || i === nameAt) continue;
    if (!VARIABLE_NAME.test(h)) {
      throw new UsageError(
        `outbound: CSV column ${i + 1} is named ${JSON.stringify(h)}, which cannot be a dynamic variable`,
        "name extra columns with letters, digits and underscores, like due_date",
      );
    }
    variableAt.push(i);
  }
  if (new Set(headers.map((h) => h.toLowerCase())).size !== headers.length) {
    throw new UsageError("outbound: the CSV header names a column twice", "give every column its own name");
  }

  const contacts: Contact[] = [];
  const invalid: RejectedLine[] = [];
  const duplicates: DuplicateLine[] = [];
  const firstLineOf = new Map<string, number>();
  for (const row of rows) {
    const raw = (row.fields[numberAt] ?? "").trim();
    if (row.fields.length > headers.length) {
      invalid.push({ line: row.line, value: raw, reason: `${row.fields.length} fields, the header has ${headers.length}` });
      continue;
    }
    const number = normalizePhoneNumber(raw);
    if (!number) {
      invalid.push({ line: row.line, value: raw, reason: raw === "" ? "no number" : "not a 10-digit Indian phone number" });
      continue;
    }
    const firstLine = firstLineOf.get(number);
    if (firstLine !== undefined) {
      duplicates.push({ line: row.line, firstLine, number });
      continue;
    }
    firstLineOf.set(number, row.line);
    const name = nameAt >= 0 ? row.fields[nameAt]?.trim() : undefined;
    const variables: Record<string, string> = {};
    for (const i of variableAt) variables[headers[i]!] = (row.fields[i] ?? "").trim();
    contacts.push({ line: row.line, number, name: name || undefined, variables });
  }
  return { contacts, invalid, duplicates, variableNames: variableAt.map((i) => headers[i]!) };
}
