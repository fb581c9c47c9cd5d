/** `homebook serve` killed with SIGKILL mid-call: after a restart on the same files the cut call is in the history as interrupted, with its transcript. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startFakeAgentServer, type FakeAgentServer } from "../../src/sim/fake-agent-server.ts";
import { until } from "./helpers.ts";
import { exitedWithin, freePort, serve } from "./serve-process.ts";

const ADMIN_TOKEN = "crash-admin-token-0123456789";

let agent: FakeAgentServer;
beforeAll(async () => {
  agent = await startFakeAgentServer({ firstMessage: null });
});
afterAll(async () => {
  await agent.stop();
});

async function admin(base: string, path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  return { status: res.status, body: await res.json() };
}

describe("kill -9 and restart", () => {
  test("the live call comes back as interrupted, with its start time and the transcript flushed before the kill", async () => {
    const port = freePort(); // the same INSTANCE_ID (hostname:PORT) on both runs
    const env = { ELEVENLABS_BASE_URL: agent.baseUrl, ELEVENLABS_AGENT_ID: "agent_ops", ADMIN_TOKEN };
    const first = await serve(env, undefined, port);
    let second: Awaited<ReturnType<typeof serve>> | undefined;
    try {
      const call = await first.call("cut-1");
      const conv = await agent.nextConversation(5000);
      await conv.init;
      conv.userTranscript("I would like to book a table");
      await conv.speak({ text: "For how many people?", durationMs: 200 });
      const live = await admin(first.base, "/calls/cut-1");
      expect(live.body.status).toBe("live");
      const startedAt: number = live.body.call.started_at;

      // Both turns reach the journal within about a second, while the call is still live.
      await until(() => first.rows("SELECT seq FROM call_transcripts WHERE session_id = ?", "cut-1").length === 2, 5000, "the transcript to be flushed");
      expect(first.record("cut-1")).toBeNull();

      first.proc.kill("SIGKILL");
      expect(await exitedWithin(first.proc, 5000)).toBe(137);
      await call.closed;

      second = await serve(env, first.dir, port);
      const restarted = second;
      const found = await until(async () => {
        const res = await admin(restarted.base, "/calls/cut-1");
        return res.status === 200 && res.body.status === "finished" ? res.body.call : undefined;
      }, 5000, "the cut call in GET /calls/{id}");
      expect(found).toMatchObject({ session_id: "cut-1", call_id: "call-cut-1", end_reason: "interrupted", started_at: startedAt, did: "8040001234" });
      expect(found.ended_at).toBeGreaterThanOrEqual(startedAt);
      expect(found.transcript.map((t: { role: string; text: string }) => [t.role, t.text])).toEqual([
        ["user", "I would like to book a table"],
        ["agent", "For how many people?"],
      ]);
      const history = await admin(second.base, "/calls?end_reason=interrupted");
      expect(history.body.calls.map((c: { session_id: string }) => c.session_id)).toEqual(["cut-1"]);
      expect(second.rows("SELECT session_id FROM call_journal")).toEqual([]);

      second.proc.kill("SIGTERM");
      expect(await exitedWithin(second.proc, 10_000)).toBe(0);
    } finally {
      first.proc.kill("SIGKILL");
      second?.proc.kill("SIGKILL");
    }
  }, 40_000);
});
