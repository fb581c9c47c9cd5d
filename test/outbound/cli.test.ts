import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startFakeMcubeApi, type FakeMcubeApi } from "../../src/sim/fake-mcube-api.ts";
import { parseCsv } from "../../src/outbound/csv.ts";
import { tempDir } from "../helpers/env.ts";
import { requestsPerNumber } from "./helpers.ts";
import { loadConfig } from "../../src/config/index.ts";
import { ensureMysqlDatabases } from "../../src/store/mysql-database.ts";
import { mysqlTarget } from "../store/stores.ts";

const MAIN = join(import.meta.dir, "../../src/main.ts");
const TOKEN = "mcube-cli-secret-token-7f3a9c";

let mcube: FakeMcubeApi;
let dir: string;
beforeEach(async () => {
  mcube = await startFakeMcubeApi({ token: TOKEN });
  dir = tempDir("homebook-outbound-cli-");
});
afterEach(() => mcube.stop());

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    LOG_FILE: join(dir, "voicebot.log"),
    HOMEBOOK_DB_PATH: join(dir, "homebook.db"),
    MCUBE_API_URL: mcube.baseUrl,
    MCUBE_API_TOKEN: TOKEN,
    MCUBE_REFURL: "https://gw.example.com/mcube/refurl",
    ...extra,
  };
}

/** Starts the real CLI entry; the fake runs in this process, so the child must not be waited on synchronously. */
function spawn(args: string[], extraEnv: Record<string, string> = {}) {
  const child = Bun.spawn([process.execPath, MAIN, "outbound", ...args], { cwd: dir, env: env(extraEnv), stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const done = (async () => {
    const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
    return { code, stdout, stderr };
  })();
  return { child, done };
}

const run = (args: string[], extraEnv?: Record<string, string>) => spawn(args, extraEnv).done;

function writeContacts(name: string, rows: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, `\uFEFFnumber,name,city\r\n${rows.join("\r\n")}\r\n`);
  return path;
}

function numbers(n: number, start = 9_100_000_000): string[] {
  return Array.from({ length: n }, (_, i) => String(start + i));
}

function readResults(path: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(readFileSync(path, "utf8"));
  return rows.map((r) => Object.fromEntries(header!.fields.map((h, i) => [h, r.fields[i] ?? ""])));
}


describe("homebook outbound (real CLI entry)", () => {
  test("missing MCUBE_API_TOKEN or bad options: an error with the fix, exit 2, nothing dialed", async () => {
    writeContacts("c.csv", ["9876543210,Asha,Pune"]);
    const cases: [string[], Record<string, string>, string][] = [
      [["--csv", "c.csv", "--did", "8000000000"], { MCUBE_API_TOKEN: "" }, "MCUBE_API_TOKEN is not set"],
      [["--csv", "c.csv", "--did", "8000000000", "--rate", "fast"], {}, "--rate"],
      [["--csv", "c.csv", "--did", "8000000000", "--concurrency", "0"], {}, "--concurrency"],
      [["--did", "8000000000"], {}, "--csv is required"],
      [["--csv", "c.csv"], {}, "--did is required"],
      [["--csv", "c.csv", "--did", "123"], {}, "--did"],
      [["--csv", "missing.csv", "--did", "8000000000"], {}, "cannot read"],
      [["--csv", "c.csv", "--did", "8000000000", "--bogus"], {}, "--bogus"],
      [["--resume", "nothing.state.jsonl"], {}, "cannot read the state file"],
    ];
    for (const [args, extra, expected] of cases) {
      const r = await run(args, extra);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toContain(expected);
      expect(r.stderr.trim().split("\n").length).toBeLessThanOrEqual(2); // the problem, then the fix
    }
    writeFileSync(join(dir, "bad.csv"), "phone_no,name\n9876543210,x\n");
    const badHeader = await run(["--csv", "bad.csv", "--did", "8000000000"]);
    expect(badHeader.code).toBe(2);
    expect(badHeader.stderr).toContain("no 'number' column");
    expect(mcube.requests).toHaveLength(0);
    expect(existsSync(join(dir, "c.results.csv.state.jsonl"))).toBe(false);
  });

  test("--dry-run reports bad numbers with their line and duplicates, and dials nobody", async () => {
    writeContacts("c.csv", ["9876543210,Asha,Pune", "12345,Short,Delhi", "+91 98765 43210,Asha again,Pune", "9123456789,Ravi,Goa"]);
    const r = await run(["--csv", "c.csv", "--did", "8000000000", "--dry-run"], { MCUBE_API_TOKEN: "" });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("4 contact lines, 2 to dial");
    expect(r.stdout).toContain('line 3: "12345" not a 10-digit Indian phone number');
    expect(r.stdout).toContain("line 4: same number as line 2");
    expect(r.stdout).toContain("dry run: would dial 2 contacts");
    expect(mcube.requests).toHaveLength(0);
    expect(existsSync(join(dir, "c.results.csv.state.jsonl"))).toBe(false);
  });

  test("a campaign dials every valid contact once and writes the results CSV; the token is nowhere", async () => {
    mcube.setBusinessError("9100000003", "Customer is in DND");
    mcube.failNext(1, 503);
    const rows = [...numbers(5).map((n, i) => `${n},"Name, ${i}",City${i}`), "12345,Bad,X", "9100000001,Dup,Y"];
    writeContacts("contacts.csv", rows);
    const r = await run(["--csv", "contacts.csv", "--did", "8000000000", "--rate", "50/s", "--concurrency", "3", "--out", "results.csv"]);
    expect({ code: r.code, stderr: r.stderr.slice(0, 500) }).toMatchObject({ code: 0 });
    expect(r.stdout).toContain("7 contact lines, 5 to dial");
    expect(r.stderr).toContain("progress: 5/5 done");
    expect(r.stderr).not.toContain("\r"); // no bar redraws when not on a terminal

    const results = readResults(join(dir, "results.csv"));
    expect(results.map((x) => [x.number, x.status])).toEqual([
      ["9100000000", "placed"],
      ["9100000001", "placed"],
      ["9100000002", "placed"],
      ["9100000003", "rejected"],
      ["9100000004", "placed"],
      ["12345", "invalid"],
      ["9100000001", "duplicate"],
    ]);
    expect(results[3]!.error).toContain("Customer is in DND");
    expect(results.filter((x) => x.status === "placed").every((x) => x.callid && x.refid?.startsWith("hb-"))).toBe(true);
    expect(results.reduce((sum, x) => sum + Number(x.attempts), 0)).toBe(6); // one 503 was retried
    expect(Object.keys(results[0]!)).toEqual(["number", "status", "callid", "refid", "error", "attempts"]);

    const perNumber = requestsPerNumber(mcube);
    expect(perNumber.size).toBe(5);
    expect(mcube.calls).toHaveLength(4);
    expect(mcube.requests.every((q) => q.tokenMatched && q.body.exenumber === "8000000000" && q.body.refurl === "https://gw.example.com/mcube/refurl")).toBe(true);

    const files = [r.stdout, r.stderr, readFileSync(join(dir, "results.csv"), "utf8"), readFileSync(join(dir, "results.csv.state.jsonl"), "utf8"), readFileSync(join(dir, "voicebot.log"), "utf8")];
    for (const text of files) expect(text).not.toContain(TOKEN);
    // The log file is written (info lines) but masks customer numbers.
    expect(files[4]).toContain("outbound call placed");
    expect(files[4]).not.toContain("9100000002");
  });

  test("Ctrl-C stops after requests in flight; --resume dials the rest, nobody twice", async () => {
    mcube.setDelay(40);
    writeContacts("big.csv", numbers(30).map((n) => `${n},N,C`));
    const first = spawn(["--csv", "big.csv", "--did", "8000000000", "--rate", "10/s", "--concurrency", "2"]);
    for (let i = 0; i < 500 && mcube.calls.length < 5; i++) await Bun.sleep(10);
    first.child.kill("SIGINT");
    const stopped = await first.done;
    expect(stopped.code).toBe(130);
    const statePath = join(dir, "big.results.csv.state.jsonl");
    expect(stopped.stdout).toContain(`--resume ${statePath}`);
    expect(stopped.stderr).toContain("stopping: waiting for requests in flight");
    const partial = readResults(join(dir, "big.results.csv"));
    const dialedFirst = partial.filter((x) => x.status === "placed").length;
    expect(dialedFirst).toBe(mcube.calls.length); // every sent request finished and was recorded
    expect(dialedFirst).toBeLessThan(30);
    expect(partial.filter((x) => x.status === "not_dialed").length).toBe(30 - dialedFirst);

    mcube.setDelay(0);
    const resumed = await run(["--resume", statePath, "--rate", "100/s", "--concurrency", "4"]);
    expect({ code: resumed.code, stderr: resumed.stderr.slice(0, 300) }).toMatchObject({ code: 0 });
    expect(resumed.stdout).toContain(`${dialedFirst} already dialed in the earlier run`);
    const perNumber = requestsPerNumber(mcube);
    expect(perNumber.size).toBe(30);
    expect([...perNumber.values()].every((n) => n === 1)).toBe(true);
    expect(readResults(join(dir, "big.results.csv")).every((x) => x.status === "placed")).toBe(true);
  });

  test("a MySQL store without the outbound table: the fix is named, no state file, nobody dialed", async () => {
    const target = mysqlTarget("outbound_cli");
    await ensureMysqlDatabases(loadConfig(target.env).database); // databases exist, migrations not applied
    try {
      writeContacts("c.csv", ["9876543210,Asha,Pune"]);
      const r = await run(["--csv", "c.csv", "--did", "8000000000"], { ...target.env, LOG_FILE: join(dir, "voicebot.log") });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("homebook db migrate");
      expect(existsSync(join(dir, "c.results.csv.state.jsonl"))).toBe(false);
      expect(mcube.requests).toHaveLength(0);
    } finally {
      await target.destroy();
    }
  });

  test("a second run over the same results refuses to start afresh and points at --resume", async () => {
    writeContacts("c.csv", ["9876543210,Asha,Pune"]);
    expect((await run(["--csv", "c.csv", "--did", "8000000000"])).code).toBe(0);
    const again = await run(["--csv", "c.csv", "--did", "8000000000"]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("--resume");
    const resumed = await run(["--resume", join(dir, "c.results.csv.state.jsonl")]);
    expect(resumed.code).toBe(0);
    expect(mcube.requests).toHaveLength(1);
  });
});
