/** Logs: PII masking, secrets, rotation by size, JSON lines vs one-line pretty output. */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { createLogger, type Logger } from "../../src/log/logger.ts";
import type { LogLevel } from "../../src/config/index.ts";
import { tempDir } from "../helpers/env.ts";

/** A logger whose JSON lines are kept: `raw` as written, `lines` parsed. */
function capture(level: LogLevel): { logger: Logger; raw: string[]; readonly lines: Record<string, any>[] } {
  const raw: string[] = [];
  const logger = createLogger({ level, stdout: "none", sink: (l) => raw.push(l) });
  return {
    logger,
    raw,
    get lines() {
      return raw.map((l) => JSON.parse(l));
    },
  };
}

const CUSTOMER = "+91 98765 43210";
const SECRET = "sk_live_0123456789abcdef";

describe("log masking", () => {
  test("phone numbers are masked to their last 4 digits at info, nested and in camelCase too", () => {
    const log = capture("info");
    const { logger, raw } = log;
    logger.info("call started", {
      customer_number: CUSTOMER,
      did: "08040001234",
      customerNumber: CUSTOMER,
      record: { transferTo: "7780787875", call: { "X-CustNumber": CUSTOMER } },
    });
    const line = log.lines[0]!;
    expect(line.customer_number).toBe("********3210");
    expect(line.did).toBe("*******1234");
    expect(line.customerNumber).toBe("********3210");
    expect(line.record.transferTo).toBe("******7875");
    expect(line.record.call["X-CustNumber"]).toBe("********3210");
    expect(raw.join("")).not.toContain("98765");
    expect(raw.join("")).not.toContain("43210");
  });

  test("transcripts and digits appear only on debug lines", () => {
    const info = capture("info");
    info.logger.info("agent said", { transcript: "my card number is 4111", digit: "7", session_id: "s1", nested: { user_transcript: "hello" } });
    expect(info.lines[0]).toEqual(expect.objectContaining({ msg: "agent said", session_id: "s1", nested: {} }));
    expect(info.raw[0]).not.toContain("4111");
    expect(info.raw[0]).not.toContain("hello");
    expect(info.raw[0]).not.toContain('"digit"');

    const debug = capture("debug");
    debug.logger.debug("agent said", { transcript: "my card number is 4111", digit: "7", did: "8040001234" });
    debug.logger.info("agent said", { transcript: "kept off info lines even at debug level" });
    expect(debug.lines[0]).toEqual(expect.objectContaining({ transcript: "my card number is 4111", digit: "7", did: "8040001234" }));
    expect(debug.raw[1]).not.toContain("kept off");
  });

  test("secrets never appear: secret keys, tokens in URLs, bearer headers, error messages", () => {
    const { logger, raw } = capture("debug");
    logger.debug("connecting", {
      api_key: SECRET,
      config: { elevenlabs: { apiKey: SECRET }, adminToken: SECRET, mcube: { authToken: SECRET } },
      url: `wss://agents.example/v1/convai/conversation?agent_id=a1&conversation_signature=${SECRET}`,
      upgrade: `/ws/s1?token=${SECRET}&x=1`,
      header: `Bearer ${SECRET}`,
    });
    logger.error("request failed", { err: new Error(`GET https://x.example/?token=${SECRET} failed`, { cause: new Error(`Bearer ${SECRET}`) }) });
    const text = raw.join("");
    expect(text).not.toContain(SECRET);
    expect(text).toContain("agent_id=a1&conversation_signature=[redacted]");
    expect(text).toContain("token=[redacted]&x=1");
    expect(JSON.parse(raw[1]!).err.cause.message).toBe("Bearer [redacted]");
  });

  test("every line of a child logger carries its session_id and call_id", () => {
    const log = capture("info");
    const { logger } = log;
    const call = logger.child({ session_id: "s-9", call_id: "c-9" });
    call.info("call started");
    call.child({ leg: "agent" }).warn("agent slow");
    expect(log.lines[0]).toEqual(expect.objectContaining({ session_id: "s-9", call_id: "c-9", level: "info" }));
    expect(log.lines[1]).toEqual(expect.objectContaining({ session_id: "s-9", call_id: "c-9", leg: "agent", level: "warn" }));
  });
});

describe("log rotation", () => {
  test("LOG_MAX_BYTES rotates the file and LOG_FILES bounds how many are kept", () => {
    const dir = tempDir();
    const file = join(dir, "logs", "voicebot.log");
    const logger = createLogger({ level: "info", stdout: "none", file, maxBytes: 1000, files: 2 });
    for (let i = 0; i < 60; i++) logger.info("line", { i, pad: "x".repeat(40) });
    logger.close();
    expect(existsSync(file)).toBe(true);
    expect(existsSync(`${file}.1`)).toBe(true);
    expect(existsSync(`${file}.2`)).toBe(true);
    expect(existsSync(`${file}.3`)).toBe(false);
    for (const f of [file, `${file}.1`, `${file}.2`]) expect(statSync(f).size).toBeLessThanOrEqual(1000);
    const index = (f: string) => readFileSync(f, "utf8").trim().split("\n").map((l) => JSON.parse(l).i as number);
    const [live, first, second] = [index(file), index(`${file}.1`), index(`${file}.2`)];
    expect(live.at(-1)).toBe(59);
    expect(first.at(-1)).toBe(live[0]! - 1); // .1 ends where the live file begins: no line lost in between
    expect(second.at(-1)).toBe(first[0]! - 1);
  });

  test("a restarted logger continues the existing file and still rotates at the limit", () => {
    const dir = tempDir();
    const file = join(dir, "voicebot.log");
    const first = createLogger({ level: "info", stdout: "none", file, maxBytes: 600, files: 1 });
    for (let i = 0; i < 5; i++) first.info("before", { i });
    first.close();
    const second = createLogger({ level: "info", stdout: "none", file, maxBytes: 600, files: 1 });
    for (let i = 0; i < 20; i++) second.info("after", { i });
    second.close();
    expect(statSync(file).size).toBeLessThanOrEqual(600);
    expect(existsSync(`${file}.1`)).toBe(true);
    expect(existsSync(`${file}.2`)).toBe(false);
  });
});

describe("stdout format", () => {
  const loggerPath = resolve(import.meta.dir, "../../src/log/logger.ts");
  async function stdoutOf(mode: "json" | "pretty"): Promise<string> {
    const script = `import { createLogger } from ${JSON.stringify(loggerPath)};
      const log = createLogger({ level: "info", stdout: ${JSON.stringify(mode)} });
      log.info("call started", { session_id: "s1", call_id: "c1", customer_number: "9876543210", note: "two words\\nand a break" });`;
    const proc = Bun.spawn([process.execPath, "-e", script], { stdout: "pipe", stderr: "pipe" });
    const [out, code] = [await new Response(proc.stdout).text(), await proc.exited];
    expect(code).toBe(0);
    return out;
  }

  test("json: one JSON object per line with time, level and msg", async () => {
    const out = await stdoutOf("json");
    const lines = out.trim().split("\n");
    expect(lines.length).toBe(1);
    const line = JSON.parse(lines[0]!);
    expect(line).toEqual(expect.objectContaining({ level: "info", msg: "call started", session_id: "s1", call_id: "c1", customer_number: "******3210" }));
    expect(Number.isNaN(Date.parse(line.time))).toBe(false);
  });

  test("pretty: one readable line per entry, masked, values with spaces quoted", async () => {
    const out = await stdoutOf("pretty");
    expect(out.split("\n").filter(Boolean).length).toBe(1);
    expect(out).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO  call started session_id=s1 call_id=c1 customer_number=\*{6}3210 note="two words\\nand a break"\n$/);
  });
});
