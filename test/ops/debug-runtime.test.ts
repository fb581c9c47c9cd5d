/** GET /debug/runtime on `homebook serve`: behind ADMIN_TOKEN, a live call's timers and sockets show, and after the call the process is back to its idle counts. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startFakeAgentServer, type FakeAgentServer } from "../../src/sim/fake-agent-server.ts";
import { until } from "./helpers.ts";
import { serve } from "./serve-process.ts";

const ADMIN_TOKEN = "debug-admin-token-0123456789";
let agent: FakeAgentServer;
beforeAll(async () => {
  agent = await startFakeAgentServer({ firstMessage: null });
});
afterAll(async () => {
  await agent.stop();
});

describe("GET /debug/runtime", () => {
  test("needs the admin token; shows a live call's timers and socket; gc only when idle; after the hang-up timers and sockets are back to idle", async () => {
    const s = await serve({ ELEVENLABS_BASE_URL: agent.baseUrl, ELEVENLABS_AGENT_ID: "agent_ops", ADMIN_TOKEN });
    const runtime = async (query = "") => {
      const res = await fetch(`${s.base}/debug/runtime${query}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      return { status: res.status, body: (await res.json()) as any };
    };
    try {
      expect((await fetch(`${s.base}/debug/runtime`)).status).toBe(401);
      const idle = await runtime("?gc=1");
      expect(idle).toMatchObject({ status: 200, body: { gc: true, active_calls: 0, mcube_sockets: 0, calls: {} } });
      expect(idle.body.armed_timers).toBeGreaterThan(0); // the process's own (store probe, retention sweep, monitors)

      const call = await s.call("debug-1");
      await (await agent.nextConversation(5000)).init;
      await until(async () => (await runtime()).body.calls["debug-1"]?.state === "live", 5000, "the call live");
      const live = await runtime();
      expect(live.body).toMatchObject({ active_calls: 1, mcube_sockets: 1, agent_connections_in_use: 1 });
      expect(live.body.calls["debug-1"]).toMatchObject({ agentOpen: true, mcubeOpen: true, holdsAgentSlot: true });
      expect(live.body.calls["debug-1"].timers).toBeGreaterThan(0);
      expect(live.body.armed_timers).toBeGreaterThan(idle.body.armed_timers);
      expect((await runtime("?gc=1")).status).toBe(409); // a full collection would pause the live call

      call.hangup();
      await call.closed;
      // Four more calls: a leak per call would leave at least five agent WebSocket objects behind.
      for (const id of ["debug-2", "debug-3", "debug-4", "debug-5"]) {
        const more = await s.call(id);
        await (await agent.nextConversation(5000)).init;
        await until(async () => (await runtime()).body.calls[id]?.state === "live", 5000, `${id} live`);
        more.hangup();
        await more.closed;
      }
      await until(async () => (await runtime()).body.active_calls === 0, 5000, "the calls to end");
      // The collector scans stacks conservatively and may keep a closed socket or two alive for a while;
      // what must not happen is one left per call.
      const after = await until(async () => {
        const snapshot = await runtime("?gc=1");
        return snapshot.body.armed_timers === idle.body.armed_timers && snapshot.body.websocket_objects <= idle.body.websocket_objects + 2 ? snapshot : undefined;
      }, 5000, "timers back to their idle count and no WebSocket object left per call");
      expect(after!.body).toMatchObject({ mcube_sockets: 0, agent_connections_in_use: 0, calls: {} });
    } finally {
      s.proc.kill("SIGKILL");
    }
  }, 30_000);
});
