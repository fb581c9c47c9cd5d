/** RFC 4180 CSV: a parser that keeps line numbers (quoted fields, "" escapes, BOM, CRLF) and a writer. */
import { HomebookError } from "../base/errors.ts";

export interface CsvRecord {
  /** 1-based line where the record starts in the file. */
  line: number;
  fields: string[];
}

/**
 * Parses CSV text into records. Quoted fields may hold commas, quotes ("") and line breaks;
 * a leading UTF-8 BOM is dropped; LF, CRLF and lone CR end records; blank lines are skipped.
 * @throws HomebookError("invalid_input") on an unterminated quote or a stray quote, naming the line.
 * @example parseCsv('number,name\r\n9876543210,"Rao, A"\r\n') // [{line:1,…}, {line:2, fields:["9876543210","Rao, A"]}]
 */
export function parseCsv(text: string): CsvRecord[] {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = "";
  let line = 1;
  let recordLine = 1;
  let quoted = false;
  let fieldStarted = false;
  let i = 0;

  const endField = () => {
    fields.push(field);
    field = "";
    fieldStarted = false;
  };
  const endRecord = () => {
    endField();
    if (!(fields.length === 1 && fields[0] === "")) records.push({ line: recordLine, fields });
    fields = [];
  };

  while (i < src.length) {
    const ch = src[i]!;
    if (quoted) {
      if (ch === '"') {
        if (src[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        const next = src[i];
        if (next !== undefined && next !== "," && next !== "\r" && next !== "\n") {
          throw new HomebookError("invalid_input", `CSV line ${line}: unexpected character after a closing quote`);
        }
        continue;
      }
      if (ch === "\n" || (ch === "\r" && src[i + 1] !== "\n")) line++;
      field += ch;
      i++;
      continue;
    }
    if (ch === '"' && !fieldStarted) {
      quoted = true;
      fieldStarted = true;
      i++;
    } else if (ch === '"') {
      throw new HomebookError("invalid_input", `CSV line ${line}: a quote inside an unquoted field (quote the whole field and double inner quotes)`);
    } else if (ch === ",") {
      endField();
      i++;
    } else if (ch === "\r" || ch === "\n") {
      endRecord();
      i += ch === "\r" && src[i + 1] === "\n" ? 2 : 1;
      line++;
      recordLine = line;
    } else {
      field += ch;
      fieldStarted = true;
      i++;
    }
  }
  if (quoted) throw new HomebookError("invalid_input", `CSV line ${recordLine}: a quoted field is never closed`);
  if (field !== "" || fields.length > 0) endRecord();
  return records;
}

/** One CSV field, quoted when it holds a comma, quote or line break (or leading/trailing space). */
export function csvField(value: string | number | undefined | null): string {
  const text = value === undefined || value === null ? "" : String(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A CSV line ending in CRLF, as RFC 4180 asks. */
export function csvLine(values: ReadonlyArray<string | number | undefined | null>): string {
  return `${values.map(csvField).join(",")}\r\n`;
}
