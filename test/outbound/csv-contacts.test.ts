import { describe, expect, test } from "bun:test";
import { csvLine, parseCsv } from "../../src/outbound/csv.ts";
import { readContacts } from "../../src/outbound/contacts.ts";
import { formatValidationReport } from "../../src/outbound/validation-report.ts";
import { HomebookError, UsageError } from "../../src/base/errors.ts";

describe("RFC 4180 CSV parser", () => {
  test("quoted fields keep commas, doubled quotes and line breaks; BOM and CRLF are handled", () => {
    const text = '\uFEFFnumber,name,note\r\n9876543210,"Rao, Asha","said ""call me"" at\r\n5pm"\r\n9123456789,Ravi,\r\n';
    const records = parseCsv(text);
    expect(records).toEqual([
      { line: 1, fields: ["number", "name", "note"] },
      { line: 2, fields: ["9876543210", "Rao, Asha", 'said "call me" at\r\n5pm'] },
      { line: 4, fields: ["9123456789", "Ravi", ""] },
    ]);
  });

  test("LF-only files, blank lines and a missing final newline", () => {
    expect(parseCsv("number\n\n9876543210\n9123456789")).toEqual([
      { line: 1, fields: ["number"] },
      { line: 3, fields: ["9876543210"] },
      { line: 4, fields: ["9123456789"] },
    ]);
  });

  test("an unterminated quote and a stray quote are errors naming the line", () => {
    expect(() => parseCsv('number,name\n9876543210,"Asha\n')).toThrow(/line 2: a quoted field is never closed/);
    expect(() => parseCsv('number,name\n98765"43210,Asha\n')).toThrow(HomebookError);
    expect(() => parseCsv('number,name\n9876543210,"Asha"x\n')).toThrow(/line 2/);
  });

  test("the writer quotes what needs quoting and round-trips through the parser", () => {
    const values = ["plain", "a,b", 'say "hi"', "two\nlines", " padded", ""];
    const line = csvLine(values);
    expect(line.endsWith("\r\n")).toBe(true);
    expect(parseCsv(line)[0]!.fields).toEqual(values);
  });
});

describe("campaign contacts", () => {
  const csv = [
    "Number,Name,city,due_date",
    "+91 98765-43210,Asha,Pune,2025-02-01",
    "12345,Short,Delhi,",
    "09876543210,Asha again,Pune,",
    ",Nobody,,",
    "919123456789,,Chennai,2025-03-01",
    "9000000001,Extra,Goa,x,unexpected",
  ].join("\n");

  test("numbers are normalized, bad ones reported with their line, duplicates dropped (first kept)", () => {
    const list = readContacts(parseCsv(csv));
    expect(list.contacts.map((c) => [c.line, c.number, c.name])).toEqual([
      [2, "9876543210", "Asha"],
      [6, "9123456789", undefined],
    ]);
    expect(list.contacts[0]!.variables).toEqual({ city: "Pune", due_date: "2025-02-01" });
    expect(list.invalid.map((b) => [b.line, b.value])).toEqual([
      [3, "12345"],
      [5, ""],
      [7, "9000000001"],
    ]);
    expect(list.duplicates).toEqual([{ line: 4, firstLine: 2, number: "9876543210" }]);
    expect(list.variableNames).toEqual(["city", "due_date"]);

    const report = formatValidationReport(list, "contacts.csv");
    expect(report).toContain("6 contact lines, 2 to dial");
    expect(report).toContain('line 3: "12345" not a 10-digit Indian phone number');
    expect(report).toContain("line 5: \"\" no number");
    expect(report).toContain("line 4: same number as line 2");
    expect(report).toContain("dynamic variables from columns: city, due_date");
  });

  test("a header without a number column, or with an unusable column name, is a usage error", () => {
    expect(() => readContacts(parseCsv("phone_no,name\n9876543210,A\n"))).toThrow(UsageError);
    expect(() => readContacts(parseCsv("number,due date\n9876543210,x\n"))).toThrow(/cannot be a dynamic variable/);
    expect(() => readContacts(parseCsv("number,city,City\n9876543210,a,b\n"))).toThrow(/twice/);
    expect(() => readContacts([])).toThrow(/empty/);
  });
});
