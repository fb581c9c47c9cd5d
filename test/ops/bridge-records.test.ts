/**
 * Real calls through the gateway (Mcube simulator → bridge → fake ElevenLabs) leave records and transcripts,
 * are visible live and finished in the admin API, move the metrics, and log session_id/call_id on every line.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { CallManager } from "../../src/call/call-manager.ts";
import { createMemoryBotResolver } from "../helpers/memory-bot-resolver.ts";
import { startGateway } from "../../src/http/server.ts";
import { adminRoutes } from "../../src/http/admin-routes.ts";
import { createLogger } from "../../src/log/logger.ts";
import { testConfig } from "../helpers/env.ts";
import { mysqlStore, sqliteStore } from "./helpers.ts";
import { ADMIN_TOKEN, CUSTOMER, admin, adminJson, call, metricValue, recorded, startHarness, stopHarness, type Harness } from "./harness.ts";

describe.each([
  ["sqlite", () => sqliteStore()],
  ["mysql", () => mysqlStore()],
] as const)("calls through the bridge on %s", (_name, openStore) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(openStore, { AGENT_RECONNECTS: "0" }); // a dropped agent goes straight to the fallback here (reconnects: test/call/reconnect.test.ts)
  });
  afterAll(async () => {
    await stopHarness(h);
  });

  test("caller_hangup: live in the admin API, then recorded with its transcript; metrics move", async () => {
    const endedBefore = await metricValue(h, 'homebook_calls_total{end_reason="caller_hangup"}');
    const storedBefore = await metricValue(h, 'homebook_call_records_total{outcome="stored"}');
    const mcube = await call(h, "hang-1");
    const conv = await h.run(h.agent.nextConversation());
    await h.run(conv.init);
    await h.run(conv.speak({ text: "Hello, welcome to the restaurant", durationMs: 300 }));
    conv.userTranscript("I would like a table for two");
    await h.run(mcube.waitFor("playAudio"));

    const live = await adminJson(h, "/calls");
    expect(live.live).toBe(true);
    expect(live.calls.map((c: any) => c.session_id)).toEqual(["hang-1"]);
    expect(live.calls[0].customer_number).toBe(CUSTOMER); // the operator is authenticated: numbers whole
    expect(live.calls[0].did).toBe("8040001234");
    const one = await adminJson(h, "/calls/hang-1");
    expect(one.status).toBe("live");
    expect(await metricValue(h, "homebook_active_calls")).toBe(1);
    expect(await metricValue(h, 'homebook_audio_frames_total{leg="mcube",direction="out"}')).toBeGreaterThan(0);

    mcube.hangup();
    await h.run(mcube.closed);
    const record = await recorded(h, "hang-1");
    expect(record.endReason).toBe("caller_hangup");
    expect(record.callId).toBe("call-hang-1");
    expect(record.customerNumber).toBe(CUSTOMER);
    expect(record.framesIn).toBeGreaterThan(0);
    expect(record.firstAgentAudioAt).toBeGreaterThanOrEqual(record.startedAt);
    expect(record.transcript!.map((t) => [t.role, t.text])).toEqual([
      ["agent", "Hello, welcome to the restaurant"],
      ["user", "I would like a table for two"],
    ]);

    const finished = await adminJson(h, "/calls/hang-1");
    expect(finished.status).toBe("finished");
    expect(finished.call.end_reason).toBe("caller_hangup");
    expect(finished.call.transcript[1]).toEqual(expect.objectContaining({ role: "user", text: "I would like a table for two" }));
    expect(await metricValue(h, "homebook_active_calls")).toBe(0);
    expect(await metricValue(h, 'homebook_calls_total{end_reason="caller_hangup"}')).toBe(endedBefore + 1);
    expect(await metricValue(h, 'homebook_call_records_total{outcome="stored"}')).toBeGreaterThan(storedBefore);

    // Every line about the call carries session_id and call_id; no line carries the customer's number.
    const callLines = h.logLines.map((l) => JSON.parse(l)).filter((l) => l.session_id === "hang-1");
    expect(callLines.length).toBeGreaterThan(2);
    // Mcube names the call in `start`; from then on every line has the call_id.
    const firstWithCallId = callLines.findIndex((l) => l.call_id === "call-hang-1");
    expect(firstWithCallId).toBeGreaterThanOrEqual(0);
    expect(callLines.slice(firstWithCallId).filter((l) => l.call_id !== "call-hang-1").map((l) => l.msg)).toEqual([]);
    expect(callLines.map((l) => l.msg)).toContain("call ended");
    expect(h.logLines.join("")).not.toContain(CUSTOMER);
    expect(h.logLines.join("")).not.toContain("table for two");
  });

  test("agent_end_call, transfer and fallback_transfer are recorded with their details", async () => {
    const ended = await call(h, "end-1");
    let conv = await h.run(h.agent.nextConversation());
    await h.run(conv.init);
    await h.run(conv.clientToolCall("end_call", {}));
    await h.run(ended.closed);
    expect((await recorded(h, "end-1")).endReason).toBe("agent_end_call");

    const moved = await call(h, "xfer-1");
    conv = await h.run(h.agent.nextConversation());
    await h.run(conv.init);
    await h.run(conv.clientToolCall("transfer_call", { phone_number: "+91 99887 76655" }));
    expect((await h.run(moved.waitFor("transfer"))).number).toBe("9988776655");
    await h.run(moved.closed);
    const transfer = await recorded(h, "xfer-1");
    expect(transfer.endReason).toBe("transfer");
    expect(transfer.transferTo).toBe("9988776655");

    const failed = await call(h, "fall-1");
    conv = await h.run(h.agent.nextConversation());
    await h.run(conv.init);
    conv.close(1011, "server error");
    expect((await h.run(failed.waitFor("transfer"))).number).toBe("7780787875"); // AGENT_PHONE_NUMBER
    await h.run(failed.closed);
    const fallback = await recorded(h, "fall-1");
    expect(fallback.endReason).toBe("fallback_transfer");
    expect(fallback.transferTo).toBe("7780787875");
    expect(fallback.errorDetail).toBeTruthy();
  });

  test("start_timeout and capacity_rejected are recorded", async () => {
    const silent = await call(h, "quiet-1", { sendStart: false });
    await h.run(silent.closed);
    expect((await recorded(h, "quiet-1")).endReason).toBe("start_timeout");

    const holding = await call(h, "hold-1");
    await h.run((await h.run(h.agent.nextConversation())).init);
    const refused = await call(h, "busy-1");
    expect((await h.run(refused.closed)).code).toBe(1013);
    expect((await recorded(h, "busy-1")).endReason).toBe("capacity_rejected");
    holding.hangup();
    await h.run(holding.closed);
    await recorded(h, "hold-1");
  });

  test("history: filters and pagination over the admin API", async () => {
    const byReason = await adminJson(h, "/calls?end_reason=transfer");
    expect(byReason.live).toBe(false);
    expect(byReason.calls.map((c: any) => c.session_id)).toEqual(["xfer-1"]);
    const byDid = await adminJson(h, "/calls?did=%2B918040001234&limit=500");
    expect(byDid.calls.length).toBeGreaterThanOrEqual(5);

    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 20; page++) {
      const body: any = await adminJson(h, `/calls?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      seen.push(...body.calls.map((c: any) => c.session_id));
      cursor = body.next_cursor;
      if (!cursor) break;
    }
    const all = (await h.recorder.list({ limit: 500 })).calls.map((c) => c.sessionId);
    expect(seen).toEqual(all);

    expect((await admin(h, "/calls?limit=0")).status).toBe(400);
    expect((await admin(h, "/calls?since=yesterday")).status).toBe(400);
    expect((await admin(h, "/calls?end_reason=bored")).status).toBe(400);
    expect((await admin(h, "/calls?cursor=abc")).status).toBe(400);
    expect((await admin(h, "/calls/never-was")).status).toBe(404);
  });
});

describe("admin auth", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(() => sqliteStore());
  });
  afterAll(async () => {
    await stopHarness(h);
  });

  test("a right token gets 200; a wrong or missing one 401, compared for every admin path", async () => {
    for (const path of ["/calls", "/calls/x", "/calls?limit=5", "/metrics"]) {
      expect((await admin(h, path, null)).status).toBe(401);
      expect((await admin(h, path, "wrong-token-0123456789")).status).toBe(401);
      expect((await admin(h, path, `${ADMIN_TOKEN}x`)).status).toBe(401);
      expect((await admin(h, path)).status).toBe(path === "/calls/x" ? 404 : 200);
    }
    const metrics = await admin(h, "/metrics");
    expect(metrics.headers.get("content-type")).toContain("text/plain");
    const text = await metrics.text();
    for (const name of ["homebook_active_calls", "homebook_agent_connections_in_use", "homebook_agent_connections_waiting", "homebook_process_resident_memory_bytes"]) {
      expect(text).toContain(`# TYPE ${name} gauge`);
    }
  });

  test("with ADMIN_TOKEN unset the admin API answers 503 saying how to turn it on", async () => {
    const config = testConfig({});
    const logger = createLogger({ level: "error", stdout: "none" });
    const manager = new CallManager({ config, logger, bots: createMemoryBotResolver(config) });
    const gateway = await startGateway({ config, logger, sockets: manager.socketHandler(), routes: [adminRoutes({ config, logger, calls: manager })] });
    try {
      for (const path of ["/calls", "/calls/x", "/metrics"]) {
        const res = await fetch(`${gateway.url}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
        expect(res.status).toBe(503);
        expect(((await res.json()) as { error: string }).error).toContain("set ADMIN_TOKEN");
      }
    } finally {
      await gateway.stop();
    }
  });
});
