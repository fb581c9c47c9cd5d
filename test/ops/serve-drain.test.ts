/** `homebook serve` as a real process: SIGTERM drains live calls, the timeout transfers, a second signal exits at once. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { startFakeAgentServer, type FakeAgentServer } from "../../src/sim/fake-agent-server.ts";
import { startMcubeCall } from "../../src/sim/mcube-call.ts";
import { tempDir } from "../helpers/env.ts";
import { until } from "./helpers.ts";

const MAIN = resolve(import.meta.dir, "../../src/main.ts");
const CUSTOMER = "9876543210";

let agent: FakeAgentServer;
beforeAll(async () => {
  agent = await startFakeAgentServer({ firstMessage: null });
});
afterAll(async () => {
  await agent.stop();
});

function freePort(): number {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}

/** Starts `homebook serve` with its files in `dir` (a fresh one unless given: pass one to restart). */
async function serve(env: Record<string, string>, dir = tempDir("homebook-serve-")) {
  const port = freePort();
  const files = { log: join(dir, "voicebot.log"), db: join(dir, "homebook.db"), outbox: join(dir, "outbox.jsonl") };
  const proc = Bun.spawn([process.execPath, MAIN, "serve"], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? "",
      HOST: "127.0.0.1",
      PORT: String(port),
      LOG_FILE: files.log,
      HOMEBOOK_DB_PATH: files.db,
      OUTBOX_PATH: files.outbox,
      ELEVENLABS_BASE_URL: agent.baseUrl,
      ELEVENLABS_AGENT_ID: "agent_ops",
      ...env,
    },
    stdout: "ignore",
    stderr: "ignore",
  });
  const base = `http://127.0.0.1:${port}`;
  await until(() => fetch(`${base}/health`).then((r) => r.status === 200, () => false), 10_000, "serve to answer /health");
  const call = (sessionId: string) =>
    startMcubeCall({ url: `ws://127.0.0.1:${port}/ws/${sessionId}`, callId: `call-${sessionId}`, upgradeHeaders: { "X-DID": "8040001234", "X-CustNumber": CUSTOMER } });
  /** One row from the SQLite store the process writes (read-only, while it runs or after it exited). */
  const row = <T>(sql: string, sessionId: string): T | null => {
    const db = new Database(files.db, { readonly: true });
    try {
      return db.query(sql).get(sessionId) as T | null;
    } finally {
      db.close();
    }
  };
  const record = (sessionId: string) =>
    row<{ end_reason: string; transfer_to: string | null }>("SELECT end_reason, transfer_to FROM call_records WHERE session_id = ?", sessionId);
  const count = (sessionId: string) => row<{ n: number }>("SELECT COUNT(*) AS n FROM call_records WHERE session_id = ?", sessionId)!.n;
  return { proc, base, dir, files, call, record, count };
}

async function exitedWithin(proc: { exited: Promise<number> }, ms: number): Promise<number | "running"> {
  return Promise.race([proc.exited, Bun.sleep(ms).then(() => "running" as const)]);
}

describe("homebook serve drain", () => {
  test("SIGTERM with a live call: 503 draining, new calls 1013, the call goes on, then exit 0 with its record saved", async () => {
    const s = await serve({ DRAIN_TIMEOUT_MS: "60000" });
    try {
      const live = await s.call("live-1");
      const conv = await agent.nextConversation(5000);
      await conv.init;

      s.proc.kill("SIGTERM");
      await until(() => fetch(`${s.base}/health`).then((r) => r.status === 503, () => false), 5000, "/health 503");
      expect(((await (await fetch(`${s.base}/health`)).json()) as { status: string }).status).toBe("draining");
      expect((await (await s.call("late-1")).closed).code).toBe(1013);

      await conv.speak({ text: "Your table is booked", durationMs: 300 });
      await live.waitFor("playAudio", 5000);
      expect(await exitedWithin(s.proc, 300)).toBe("running");

      live.hangup();
      expect(await exitedWithin(s.proc, 15_000)).toBe(0);
      expect(s.record("live-1")?.end_reason).toBe("caller_hangup");
      expect(readFileSync(s.files.log, "utf8")).not.toContain(CUSTOMER);
    } finally {
      s.proc.kill("SIGKILL");
    }
  }, 40_000);

  test("DRAIN_TIMEOUT_MS: the caller still on the line is transferred to AGENT_PHONE_NUMBER, then exit 0", async () => {
    const s = await serve({ DRAIN_TIMEOUT_MS: "500", AGENT_PHONE_NUMBER: "9123456789" });
    try {
      const live = await s.call("stay-1");
      await (await agent.nextConversation(5000)).init;
      s.proc.kill("SIGTERM");
      expect((await live.waitFor("transfer", 10_000)).number).toBe("9123456789");
      expect(await exitedWithin(s.proc, 15_000)).toBe(0);
      expect(s.record("stay-1")).toEqual({ end_reason: "drain", transfer_to: "9123456789" });
    } finally {
      s.proc.kill("SIGKILL");
    }
  }, 40_000);

  test("a second signal exits at once (128 + signal); the cut-off call is saved to the outbox and stored on the next start", async () => {
    const s = await serve({ DRAIN_TIMEOUT_MS: "60000" });
    try {
      const live = await s.call("held-1");
      await (await agent.nextConversation(5000)).init;
      s.proc.kill("SIGTERM");
      await until(() => fetch(`${s.base}/health`).then((r) => r.status === 503, () => false), 5000, "/health 503");
      s.proc.kill("SIGINT");
      expect(await exitedWithin(s.proc, 5000)).toBe(130);
      await live.closed;
      // Durable in the outbox (it may also have reached the store in the last instant: replays are idempotent).
      expect(readFileSync(s.files.outbox, "utf8")).toContain('"sessionId":"held-1"');

      // The next start replays the outbox: the cut-off call is recorded once.
      const again = await serve({}, s.dir);
      try {
        await until(() => again.record("held-1") !== null, 10_000, "the outbox replay");
        expect(again.record("held-1")).toEqual({ end_reason: "drain", transfer_to: null });
        await until(() => readFileSync(s.files.outbox, "utf8") === "", 10_000, "the outbox to empty");
        expect(again.count("held-1")).toBe(1);
        again.proc.kill("SIGTERM");
        expect(await exitedWithin(again.proc, 10_000)).toBe(0);
      } finally {
        again.proc.kill("SIGKILL");
      }
    } finally {
      s.proc.kill("SIGKILL");
    }
  }, 40_000);
});
