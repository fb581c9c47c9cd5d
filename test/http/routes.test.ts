import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startGateway, type Gateway } from "../../src/http/server.ts";
import { createLogger } from "../../src/log/logger.ts";
import { testConfig } from "../helpers/env.ts";
import { holdSocket } from "../helpers/hold-socket.ts";
import { VERSION } from "../../src/base/version.ts";

const lines: string[] = [];
const logger = createLogger({ stdout: "none", sink: (l) => lines.push(l) });

/** Opens a WebSocket and reports whether the upgrade succeeded, with the HTTP status when it did not. */
async function tryUpgrade(url: string, headers?: Record<string, string>): Promise<{ opened: boolean; ws?: WebSocket }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, headers ? { headers } : undefined);
    ws.onopen = () => resolve({ opened: true, ws });
    ws.onerror = () => resolve({ opened: false });
  });
}

describe("service routes", () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway({
      config: testConfig(),
      logger,
      sockets: holdSocket(logger),
      routes: [(app) => app.get("/boom", () => { throw new Error("secret internals at /srv/app.ts:12"); })],
    });
  });
  afterAll(() => gw.stop());

  test("GET / answers the original service's message", async () => {
    const res = await fetch(`${gw.url}/`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ message: "Mcube Call Service Server is running!" });
  });

  test("GET /health reports status, service, version, uptime and active calls", async () => {
    const res = await fetch(`${gw.url}/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.status).toBe("healthy");
    expect(body.service).toBe("homebook");
    expect(body.version).toBe(VERSION);
    expect(typeof body.uptime_seconds).toBe("number");
    expect(body.active_calls).toBe(0);
    expect(Number.isNaN(Date.parse(String(body.timestamp)))).toBe(false);
  });

  test("GET /health answers 503 draining while the gateway drains", async () => {
    gw.status.draining = true;
    try {
      const res = await fetch(`${gw.url}/health`);
      expect(res.status).toBe(503);
      expect(((await res.json()) as { status: string }).status).toBe("draining");
    } finally {
      gw.status.draining = false;
    }
  });

  test("GET /health/performance reports CPU, memory, disk and event-loop delay", async () => {
    const res = await fetch(`${gw.url}/health/performance`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, any>;
    expect(body.cpu.cores).toBeGreaterThan(0);
    expect(body.memory.rss_mb).toBeGreaterThan(0);
    expect(body.disk.total_mb).toBeGreaterThan(0);
    expect(typeof body.event_loop_delay.p99_ms).toBe("number");
    expect(body.active_calls).toBe(0);
  });

  test("unknown paths get a JSON 404", async () => {
    const res = await fetch(`${gw.url}/nope`);
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(await res.json()).toEqual({ error: "not found", path: "/nope" });
  });

  test("a failing route gets a JSON 500 without internals", async () => {
    const res = await fetch(`${gw.url}/boom`);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ error: "internal server error" });
    expect(text).not.toContain("/srv/app.ts");
  });
});

describe("/ws/:sessionId upgrade", () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway({ config: testConfig(), logger, sockets: holdSocket(logger) });
  });
  afterAll(() => gw.stop());

  test("a good session id upgrades and the socket is held", async () => {
    const wsUrl = gw.url.replace("http", "ws");
    for (const id of ["x", "abc-123_X.y:z", "a".repeat(128)]) {
      const { opened, ws } = await tryUpgrade(`${wsUrl}/ws/${id}`);
      expect(opened).toBe(true);
      ws!.send(JSON.stringify({ event: "start", start: { callId: "c", streamId: "s" } }));
      ws!.close();
    }
  });

  test("bad session ids get 400 before upgrading", async () => {
    for (const id of ["a".repeat(129), "bad%20id", "semi;colon", "a%2Fb", "caf%C3%A9"]) {
      const res = await fetch(`${gw.url}/ws/${id}`, { headers: { upgrade: "websocket", connection: "Upgrade" } });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toContain("invalid session id");
    }
  });

  test("a plain GET on /ws/x asks for an upgrade", async () => {
    const res = await fetch(`${gw.url}/ws/x`);
    expect(res.status).toBe(426);
  });
});

describe("/ws frame size limit", () => {
  test("frames over MCUBE_MAX_FRAME_BYTES are refused by the socket layer (close 1009); smaller ones pass", async () => {
    const gw = await startGateway({ config: testConfig({ MCUBE_MAX_FRAME_BYTES: "1024" }), logger, sockets: holdSocket(logger) });
    try {
      const { opened, ws } = await tryUpgrade(`${gw.url.replace("http", "ws")}/ws/big-frames`);
      expect(opened).toBe(true);
      const closed = new Promise<number>((resolve) => ws!.addEventListener("close", (e) => resolve(e.code)));
      ws!.send(JSON.stringify({ event: "media", media: { payload: "A".repeat(900) } }));
      await Bun.sleep(50);
      expect(ws!.readyState).toBe(WebSocket.OPEN);
      ws!.send(JSON.stringify({ event: "media", media: { payload: "A".repeat(2000) } }));
      expect(await closed).toBe(1009);
    } finally {
      await gw.stop();
    }
  });
});

describe("/ws access control", () => {
  const token = "0123456789abcdef0123";

  test("with MCUBE_AUTH_TOKEN set, the upgrade needs ?token= or a bearer token", async () => {
    const gw = await startGateway({ config: testConfig({ MCUBE_AUTH_TOKEN: token }), logger, sockets: holdSocket(logger) });
    try {
      const wsUrl = gw.url.replace("http", "ws");
      const none = await fetch(`${gw.url}/ws/x`, { headers: { upgrade: "websocket" } });
      expect(none.status).toBe(401);
      const wrong = await fetch(`${gw.url}/ws/x?token=nope`, { headers: { upgrade: "websocket" } });
      expect(wrong.status).toBe(401);
      const query = await tryUpgrade(`${wsUrl}/ws/x?token=${token}`);
      expect(query.opened).toBe(true);
      query.ws!.close();
      const bearer = await tryUpgrade(`${wsUrl}/ws/y`, { authorization: `Bearer ${token}` });
      expect(bearer.opened).toBe(true);
      bearer.ws!.close();
      expect(lines.join("")).not.toContain(token);
    } finally {
      await gw.stop();
    }
  });

  test("with MCUBE_ALLOWED_IPS set, other addresses get 403", async () => {
    const denied = await startGateway({ config: testConfig({ MCUBE_ALLOWED_IPS: "10.0.0.0/8" }), logger, sockets: holdSocket(logger) });
    const allowed = await startGateway({ config: testConfig({ MCUBE_ALLOWED_IPS: "10.0.0.0/8,127.0.0.1" }), logger, sockets: holdSocket(logger) });
    try {
      const res = await fetch(`${denied.url}/ws/x`, { headers: { upgrade: "websocket" } });
      expect(res.status).toBe(403);
      const ok = await tryUpgrade(`${allowed.url.replace("http", "ws")}/ws/x`);
      expect(ok.opened).toBe(true);
      ok.ws!.close();
    } finally {
      await denied.stop();
      await allowed.stop();
    }
  });
});
