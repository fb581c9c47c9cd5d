/** What an operator sees on bad input and failed starts: the problem, then the fix; exit 2 for bad input, 1 otherwise. */
import { describe, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../helpers/env.ts";

const MAIN = join(import.meta.dir, "../../src/main.ts");

/** Runs the real CLI entry in a clean directory with only the given environment. */
async function homebook(args: string[], env: Record<string, string> = {}, cwd = tempDir("homebook-bad-input-")) {
  const child = Bun.spawn([process.execPath, MAIN, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? "", HOST: "127.0.0.1", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000); // bounded: a hang fails the test, never the run
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  clearTimeout(timer);
  return { code, stdout, stderr, cwd };
}

/** A loopback port nobody listens on (taken, then released). */
function closedPort(): number {
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
  const port = server.port!;
  server.stop(true);
  return port;
}

/** Bad input: exit 2, stderr says what is wrong then how to fix it, no stack trace. */
function expectUsage(r: { code: number; stderr: string }, problem: string, fix?: string) {
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 2, stderr: expect.stringContaining(problem) });
  if (fix) expect(r.stderr).toContain(fix);
  expect(r.stderr.trim().split("\n").length).toBeLessThanOrEqual(2);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe("option errors are one line plus the fix", () => {
  test("an option given without its value names the option", async () => {
    expectUsage(await homebook(["call", "--seconds"]), "call: --seconds needs a value", "homebook call --help");
  });

  test("a value that looks like an option (a negative number) is one line, not node's three", async () => {
    expectUsage(await homebook(["agent", "--port", "-1"]), "--port needs a value", "homebook agent --help");
  });

  test("outbound without options asks for --csv before any setting", async () => {
    expectUsage(await homebook(["outbound"]), "outbound: --csv is required");
  });

  test("agent --port with an empty value is refused instead of picking a random port", async () => {
    expectUsage(await homebook(["agent", "--port="]), 'agent: --port "" is not a port number');
  });
});

describe("homebook call checks its input before dialing", () => {
  test("a tone the 8 kHz line cannot carry is refused", async () => {
    expectUsage(await homebook(["call", "--tone", "5000"]), "--tone 5000 Hz cannot be carried", "below 4000 Hz");
  });

  test("an hour of tone is refused at once instead of being generated", async () => {
    expectUsage(await homebook(["call", "--seconds", "3600"]), "--seconds 3600 is longer than 600", "--wav");
  });

  test("an unwritable --record fails before the call, not after it", async () => {
    const r = await homebook(["call", "--url", `ws://127.0.0.1:${closedPort()}/ws/x`, "--record", "no-such-dir/heard.wav"]);
    expectUsage(r, "--record no-such-dir/heard.wav cannot be written (ENOENT)", "--record heard.wav");
    expect(r.stdout).not.toContain("calling");
  });

  test("nobody listening: exit 1 with what to check", async () => {
    const r = await homebook(["call", "--url", `ws://127.0.0.1:${closedPort()}/ws/x`, "--seconds", "1"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("could not connect");
    expect(r.stderr).toContain("start one with 'homebook serve', or pass its address with --url");
  });
});

describe("failed starts name the setting to change", () => {
  test("did list for a bot that does not exist is an error, like bots list", async () => {
    const r = await homebook(["did", "list", "--bot-id", "bot_typo"]);
    expectUsage(r, "no bot with id bot_typo", "homebook bots list");
  });

  test("an unusable HOMEBOOK_DB_PATH: serve and bots say so and exit 2", async () => {
    const cwd = tempDir("homebook-bad-db-");
    writeFileSync(join(cwd, "a-file"), "not a directory");
    const env = { PORT: "0", HOMEBOOK_DB_PATH: "a-file/homebook.db" };
    for (const args of [["serve"], ["bots", "list"], ["db", "migrate"]]) {
      const r = await homebook(args, env, cwd);
      expectUsage(r, "cannot open the SQLite store a-file/homebook.db (", "set HOMEBOOK_DB_PATH");
    }
    expect(await Bun.file(join(cwd, "logs/voicebot.log")).text()).toContain('"msg":"cannot start"');
  });

  test("an unwritable OUTBOX_PATH stops serve at once (exit 2) instead of failing during the first store outage", async () => {
    const cwd = tempDir("homebook-bad-outbox-");
    writeFileSync(join(cwd, "a-file"), "not a directory");
    const r = await homebook(["serve"], { PORT: "0", OUTBOX_PATH: "a-file/outbox.jsonl" }, cwd);
    expectUsage(r, "OUTBOX_PATH a-file/outbox.jsonl is not writable", "set OUTBOX_PATH");
  });

  test("with RECORDING=on an unwritable RECORDINGS_PATH stops serve at once (exit 2); with it off, nothing is checked", async () => {
    const cwd = tempDir("homebook-bad-recordings-");
    writeFileSync(join(cwd, "a-file"), "not a directory");
    const r = await homebook(["serve"], { PORT: "0", RECORDING: "on", RECORDINGS_PATH: "a-file/recordings" }, cwd);
    expectUsage(r, "RECORDINGS_PATH a-file/recordings is not a writable directory", "set RECORDINGS_PATH");
  });

  test("a port another process holds: exit 1 naming PORT; the log file says why", async () => {
    const holder = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
    try {
      const r = await homebook(["serve"], { PORT: String(holder.port) });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`cannot listen on 127.0.0.1:${holder.port}: another process is using port ${holder.port}; stop it, or set PORT to a free port`);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      const log = await Bun.file(join(r.cwd, "logs/voicebot.log")).text();
      expect(log).toContain('"msg":"cannot start"');
      expect(log).not.toContain('"stack"');
    } finally {
      holder.stop(true);
    }
  });

  test("a HOST that is not this machine's: exit 2 naming HOST", async () => {
    // 192.0.2.1 is TEST-NET-1: never assigned to a machine, so binding fails with no traffic sent.
    const r = await homebook(["serve"], { HOST: "192.0.2.1", PORT: "0" });
    expectUsage(r, "HOST 192.0.2.1 is not an address of this machine", "set HOST to 0.0.0.0");
    expect(existsSync(join(r.cwd, "logs/voicebot.log"))).toBe(true);
  });
});
