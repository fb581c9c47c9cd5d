import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startGateway, type Gateway } from "../../src/http/server.ts";
import { createLogger } from "../../src/log/logger.ts";
import { startFakeMcubeApi, type FakeMcubeApi } from "../../src/sim/fake-mcube-api.ts";
import { outboundRoutes } from "../../src/outbound/routes.ts";
import type { McubeApiClient } from "../../src/outbound/mcube-api-client.ts";
import { testConfig } from "../helpers/env.ts";
import { clientFor, openTestStore, type TestStore } from "./helpers.ts";
import { holdSocket } from "../helpers/hold-socket.ts";

const ADMIN = "admin-token-0123456789abcdef";
const MCUBE_TOKEN = "mcube-api-token-do-not-print-42";

interface Setup {
  gw: Gateway;
  mcube: FakeMcubeApi;
  t: TestStore;
  logs: string[];
  stop(): Promise<void>;
}

/** A gateway with the outbound routes, a fake Mcube whose calls post back to this gateway's webhook. */
async function setup(env: Record<string, string> = {}): Promise<Setup> {
  const mcube = await startFakeMcubeApi({ token: MCUBE_TOKEN });
  const t = await openTestStore("sqlite");
  const logs: string[] = [];
  const logger = createLogger({ level: "info", stdout: "none", sink: (l) => logs.push(l) });
  const config = testConfig({ MCUBE_API_URL: mcube.baseUrl, MCUBE_API_TOKEN: MCUBE_TOKEN, ADMIN_TOKEN: ADMIN, ...t.target.env, ...env });
  // The refurl names this gateway's port, known only once it listens.
  let client: McubeApiClient | undefined;
  const lateClient: McubeApiClient = { endpoint: "", dial: (r, s) => client!.dial(r, s) };
  const gw = await startGateway({ config, logger, sockets: holdSocket(logger), routes: [outboundRoutes({ config, logger, store: t.store, client: config.mcube.apiToken ? lateClient : undefined })] });
  client = clientFor(mcube, { refUrl: `${gw.url}/mcube/refurl` });
  return {
    gw,
    mcube,
    t,
    logs,
    async stop() {
      await gw.stop();
      await mcube.stop();
      await t.close();
    },
  };
}

function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) });
}

const auth = { authorization: `Bearer ${ADMIN}` };

describe("single-call API and status webhook", () => {
  let s: Setup;
  beforeAll(async () => {
    s = await setup({ PUBLIC_WS_BASE_URL: "wss://bot.example.com/" });
  });
  afterAll(() => s.stop());

  test("POST /api/outbound needs the admin bearer token", async () => {
    const body = { did: "8000000000", number: "9876543210" };
    expect((await post(`${s.gw.url}/api/outbound`, body)).status).toBe(401);
    expect((await post(`${s.gw.url}/api/outbound`, body, { authorization: "Bearer wrong-token-wrong-token" })).status).toBe(401);
    expect(s.mcube.requests).toHaveLength(0);
  });

  test("POST /api/outbound places one call with normalized numbers and returns refid and callid", async () => {
    const res = await post(`${s.gw.url}/api/outbound`, { did: "+91 80000 00000", number: "098765-43210", name: "Asha", variables: { city: "Pune", amount: 1200, vip: true } }, auth);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { refid: string; callid: string; status: string; attempts: number };
    expect(body).toMatchObject({ status: "placed", attempts: 1 });
    const request = s.mcube.requests.at(-1)!;
    expect(request.body).toMatchObject({ exenumber: "8000000000", custnumber: "9876543210", refid: body.refid, refurl: `${s.gw.url}/mcube/refurl` });
    expect(body.callid).toBe(request.callid!);
    expect(await s.t.store.findByRefid(body.refid)).toMatchObject({ status: "placed", callid: body.callid, name: "Asha", variables: { city: "Pune", amount: "1200", vip: "true" } });
  });

  test("a business error comes back as 422 with Mcube's msg; bad bodies are 400 and dial nobody", async () => {
    s.mcube.setBusinessError("9123456789", "Number is in DND registry");
    const res = await post(`${s.gw.url}/api/outbound`, { did: "8000000000", number: "9123456789" }, auth);
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: string; status: string; refid: string };
    expect(body.status).toBe("rejected");
    expect(body.error).toContain("Number is in DND registry");

    const before = s.mcube.requests.length;
    for (const bad of [{ did: "8000000000", number: "12345" }, { number: "9876543210" }, { did: "8000000000", number: "9876543210", variables: { "bad name": "x" } }, "not json"]) {
      const r = await post(`${s.gw.url}/api/outbound`, bad, auth);
      expect(r.status).toBe(400);
      expect(((await r.json()) as { error: string }).error.length).toBeGreaterThan(0);
    }
    expect(s.mcube.requests.length).toBe(before);
  });

  test("CONNECTING (or no dialStatus) is answered with the wss_url for the callId", async () => {
    const res = await post(`${s.gw.url}/api/outbound`, { did: "8000000000", number: "9988776655", name: "Ravi" }, auth);
    const { callid } = (await res.json()) as { callid: string };
    const connecting = await s.mcube.postStatus(callid, "CONNECTING");
    expect(connecting).toEqual({ status: 200, body: { wss_url: `wss://bot.example.com/ws/${callid}` } });
    const bare = await s.mcube.postStatus(callid);
    expect(bare.body).toEqual({ wss_url: `wss://bot.example.com/ws/${callid}` });
  });

  test("final statuses are recorded against the attempt and answered ok", async () => {
    for (const dialStatus of ["ANSWER", "BUSY", "CANCEL", "NOANSWER", "Executive Busy"]) {
      const res = await post(`${s.gw.url}/api/outbound`, { did: "8000000000", number: "9812345678" }, auth);
      const { callid, refid } = (await res.json()) as { callid: string; refid: string };
      const answer = await s.mcube.postStatus(callid, dialStatus, { startTime: "2025-01-31 10:00:00", endTime: "2025-01-31 10:01:00", answeredTime: "2025-01-31 10:00:05", filename: `rec/${callid}.wav` });
      expect(answer).toEqual({ status: 200, body: { status: "ok" } });
      const attempt = await s.t.store.findByRefid(refid);
      expect(attempt?.outcome).toMatchObject({ dialStatus, callDirection: "outbound", endTime: "2025-01-31 10:01:00", recordingFilename: `rec/${callid}.wav` });
    }
  });

  test("a status for a call placed elsewhere is answered ok and changes nothing", async () => {
    const res = await post(`${s.gw.url}/mcube/refurl`, { callId: "inbound-123", callDirection: "inbound", fromNumber: "9000000009", toNumber: "8000000000", dialStatus: "ANSWER" });
    expect(await res.json()).toEqual({ status: "ok" });
  });

  test("malformed webhook posts get 400 and change nothing", async () => {
    const res = await post(`${s.gw.url}/api/outbound`, { did: "8000000000", number: "9700000001" }, auth);
    const { callid, refid } = (await res.json()) as { callid: string; refid: string };
    const before = await s.t.store.findByRefid(refid);
    const bodies: unknown[] = [
      "{not json",
      "",
      { callDirection: "outbound", dialStatus: "ANSWER" },
      { callId: "", dialStatus: "ANSWER" },
      { callId: "../../etc/passwd", dialStatus: "ANSWER" },
      { callId: callid, dialStatus: 7 },
      { callId: callid, dialStatus: "ANSWER", endTime: { nested: true } },
      [callid, "ANSWER"],
    ];
    for (const body of bodies) {
      const r = await post(`${s.gw.url}/mcube/refurl`, body);
      expect(r.status).toBe(400);
      expect(((await r.json()) as { error: string }).error).toBeTruthy();
    }
    expect(await s.t.store.findByRefid(refid)).toEqual(before);
  });

  test("a form-encoded post is accepted too", async () => {
    const res = await post(`${s.gw.url}/api/outbound`, { did: "8000000000", number: "9700000002" }, auth);
    const { callid, refid } = (await res.json()) as { callid: string; refid: string };
    const form = await fetch(`${s.gw.url}/mcube/refurl`, { method: "POST", body: new URLSearchParams({ callId: callid, dialStatus: "NOANSWER" }) });
    expect(await form.json()).toEqual({ status: "ok" });
    expect((await s.t.store.findByRefid(refid))?.outcome?.dialStatus).toBe("NOANSWER");
  });

  test("a CONNECTING that outruns Mcube's REST answer still finds the attempt by number", async () => {
    await s.t.store.create({ refid: "hb-early", did: "8000000000", number: "9600000001", variables: { plan: "gold" } });
    const res = await post(`${s.gw.url}/mcube/refurl`, { callId: "mc-early-1", callDirection: "outbound", fromNumber: "8000000000", toNumber: "+919600000001", dialStatus: "CONNECTING" });
    expect(await res.json()).toEqual({ wss_url: "wss://bot.example.com/ws/mc-early-1" });
    expect((await s.t.store.findByCallId("mc-early-1"))?.refid).toBe("hb-early");
  });

  test("neither token appears in any log line", () => {
    const all = s.logs.join("\n");
    expect(all.length).toBeGreaterThan(0);
    expect(all).not.toContain(MCUBE_TOKEN);
    expect(all).not.toContain(ADMIN);
  });
});

describe("webhook and API settings", () => {
  test("without PUBLIC_WS_BASE_URL the wss_url follows the request host, with one warning", async () => {
    const s = await setup();
    try {
      for (const id of ["c-1", "c-2"]) {
        const res = await post(`${s.gw.url}/mcube/refurl`, { callId: id, dialStatus: "CONNECTING" });
        expect(await res.json()).toEqual({ wss_url: `${s.gw.url.replace("http://", "ws://")}/ws/${id}` });
      }
      const forwarded = await post(`${s.gw.url}/mcube/refurl`, { callId: "c-3" }, { "x-forwarded-proto": "https", "x-forwarded-host": "bot.example.com" });
      expect(await forwarded.json()).toEqual({ wss_url: "wss://bot.example.com/ws/c-3" });
      expect(s.logs.filter((l) => l.includes("PUBLIC_WS_BASE_URL is unset")).length).toBe(1);
    } finally {
      await s.stop();
    }
  });

  test("ADMIN_TOKEN unset: 503 saying how to enable; MCUBE_API_TOKEN unset: 503 saying what to set", async () => {
    const noAdmin = await setup({ ADMIN_TOKEN: "" });
    try {
      const res = await post(`${noAdmin.gw.url}/api/outbound`, { did: "8000000000", number: "9876543210" }, auth);
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: string }).error).toContain("set ADMIN_TOKEN");
    } finally {
      await noAdmin.stop();
    }
    const noMcube = await setup({ MCUBE_API_TOKEN: "" });
    try {
      const res = await post(`${noMcube.gw.url}/api/outbound`, { did: "8000000000", number: "9876543210" }, auth);
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: string }).error).toContain("MCUBE_API_TOKEN");
      expect(noMcube.mcube.requests).toHaveLength(0);
    } finally {
      await noMcube.stop();
    }
  });

  test("with the store down, CONNECTING still gets its wss_url and a final status asks Mcube to retry (503)", async () => {
    const s = await setup({ PUBLIC_WS_BASE_URL: "wss://bot.example.com" });
    try {
      await s.t.dbs.close();
      const connecting = await post(`${s.gw.url}/mcube/refurl`, { callId: "down-1", toNumber: "9876543210", dialStatus: "CONNECTING" });
      expect(await connecting.json()).toEqual({ wss_url: "wss://bot.example.com/ws/down-1" });
      const answered = await post(`${s.gw.url}/mcube/refurl`, { callId: "down-1", dialStatus: "ANSWER" });
      expect(answered.status).toBe(503);
      const api = await post(`${s.gw.url}/api/outbound`, { did: "8000000000", number: "9876543210" }, auth);
      expect(api.status).toBe(503);
      expect(s.mcube.requests).toHaveLength(0); // never dial what could not be recorded first
    } finally {
      await s.stop();
    }
  });

  test("with MCUBE_AUTH_TOKEN the webhook wants it, and the wss_url carries it for the /ws upgrade", async () => {
    const gatewayToken = "gateway-ws-token-0123456789";
    const s = await setup({ MCUBE_AUTH_TOKEN: gatewayToken, PUBLIC_WS_BASE_URL: "wss://bot.example.com" });
    try {
      expect((await post(`${s.gw.url}/mcube/refurl`, { callId: "t-1", dialStatus: "CONNECTING" })).status).toBe(401);
      const res = await post(`${s.gw.url}/mcube/refurl?token=${gatewayToken}`, { callId: "t-1", dialStatus: "CONNECTING" });
      expect(await res.json()).toEqual({ wss_url: `wss://bot.example.com/ws/t-1?token=${gatewayToken}` });
    } finally {
      await s.stop();
    }
  });
});
