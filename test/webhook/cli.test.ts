/** `homebook webhook test` as a real process against a real local receiver: the answer printed, exit codes, clear errors for bad input. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { verifyWebhook } from "../../src/webhook/webhook-signature.ts";
import { tempDir } from "../helpers/env.ts";

const MAIN = join(import.meta.dir, "../../src/main.ts");
const SECRET = "whsec-cli-0123456789abcdef";

let receiver: ReturnType<typeof Bun.serve>;
const received: { path: string; verified: boolean; body: any }[] = [];

beforeAll(() => {
  receiver = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const raw = await req.text();
      const verified = verifyWebhook(SECRET, req.headers.get("homebook-signature"), raw, Date.now() / 1000);
      received.push({ path: new URL(req.url).pathname, verified, body: JSON.parse(raw) });
      if (new URL(req.url).pathname === "/broken") return new Response("database is down", { status: 503 });
      return new Response(verified ? "signature ok" : "bad signature", { status: verified ? 200 : 401 });
    },
  });
});
afterAll(() => receiver.stop(true));

/** Runs the real CLI in a clean directory with only the given environment. */
async function homebook(args: string[], env: Record<string, string> = {}) {
  const child = Bun.spawn([process.execPath, MAIN, ...args], {
    cwd: tempDir("homebook-webhook-cli-"),
    env: { PATH: process.env.PATH ?? "", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000); // bounded: a hang fails the test, never the run
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}

describe("homebook webhook test", () => {
  test("sends a signed sample to POST_CALL_WEBHOOK_URL and prints the receiver's answer; exit 0", async () => {
    const url = `http://127.0.0.1:${receiver.port}/hook`;
    const r = await homebook(["webhook", "test"], { POST_CALL_WEBHOOK_URL: url, POST_CALL_WEBHOOK_SECRET: SECRET });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`POST ${url}`);
    expect(r.stdout).toMatch(/Homebook-Signature: t=\d+,v1=[0-9a-f]{64}/);
    expect(r.stdout).toMatch(/answered 200 in \d+ ms/);
    expect(r.stdout).toContain("signature ok");
    const last = received.at(-1)!;
    expect(last.verified).toBe(true);
    expect(last.body).toMatchObject({ type: "call.ended", end_reason: "agent_end_call", transcript: [{ role: "agent" }, { role: "user" }] });
    expect(Object.keys(last.body)).toEqual(expect.arrayContaining(["session_id", "call_id", "did", "end_reason", "started_at", "ended_at", "transcript", "recording_url"]));
  });

  test("a receiver answering 503 is shown with its body; exit 1", async () => {
    const r = await homebook(["webhook", "test", "--url", `http://127.0.0.1:${receiver.port}/broken`], { POST_CALL_WEBHOOK_SECRET: SECRET });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("answered 503");
    expect(r.stdout).toContain("database is down");
  });

  test("a receiver that cannot be reached says so; exit 1", async () => {
    const closed = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
    const port = closed.port;
    closed.stop(true);
    const r = await homebook(["webhook", "test", "--url", `http://127.0.0.1:${port}/hook`], { POST_CALL_WEBHOOK_SECRET: SECRET });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("could not reach the receiver");
  });

  test("bad input: exit 2 with what is wrong and how to fix it", async () => {
    const cases: [string[], Record<string, string>, string][] = [
      [["webhook", "test"], {}, "POST_CALL_WEBHOOK_URL is not set"],
      [["webhook", "test", "--url", "http://127.0.0.1:1/hook"], {}, "POST_CALL_WEBHOOK_SECRET is not set"],
      [["webhook", "test", "--url", "ftp://example.com"], { POST_CALL_WEBHOOK_SECRET: SECRET }, "is not an http:// or https:// URL"],
      [["webhook", "test", "--timeout-ms", "5"], { POST_CALL_WEBHOOK_URL: "http://127.0.0.1:1/x", POST_CALL_WEBHOOK_SECRET: SECRET }, "--timeout-ms must be a whole number"],
      [["webhook", "send"], {}, "unknown subcommand 'send'"],
      [["webhook", "test"], { POST_CALL_WEBHOOK_URL: "http://127.0.0.1:1/x" }, "POST_CALL_WEBHOOK_SECRET is required when POST_CALL_WEBHOOK_URL is set"],
    ];
    for (const [args, env, problem] of cases) {
      const r = await homebook(args, env);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toContain(problem);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stderr).not.toContain(SECRET);
    }
  });
});
