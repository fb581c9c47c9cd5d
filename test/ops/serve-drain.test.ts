/**
 * `homebook serve` as a real process: SIGTERM drains live calls, the timeout transfers, a second signal exits at once.
 * Real time: the gateway is another process on the system clock. The drain's timing is asserted on call time
 * in drain.test.ts; here only that the shipped process wires it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { startFakeAgentServer, type FakeAgentServer } from "../../src/sim/fake-agent-server.ts";
import { until } from "./helpers.ts";
import { CUSTOMER, exitedWithin, serve as serveProcess } from "./serve-process.ts";

let agent: FakeAgentServer;
beforeAll(async () => {
  agent = await startFakeAgentServer({ firstMessage: null });
});
afterAll(async () => {
  await agent.stop();
});

/** `homebook serve` on the fake agent, with its files in `dir` (pass one to restart). */
function serve(env: Record<string, string>, dir?: string) {
  return serveProcess({ ELEVENLABS_BASE_URL: agent.baseUrl, ELEVENLABS_AGENT_ID: "agent_ops", ...env }, dir);
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
      expect((await fetch(`${s.base}/health`)).status).toBe(503); // still up, draining, while the call goes on

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
