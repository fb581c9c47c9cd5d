/** Test helper: a minimal Mcube-facing WebSocket endpoint whose every frame the test sends by hand. */
import type { ServerWebSocket } from "bun";

export interface GatewayLeg {
  sessionId: string;
  headers: Headers;
  frames: any[];
  send(frame: object): void;
  close(code?: number, reason?: string): void;
  waitFor(predicate: (f: any) => boolean, timeoutMs?: number): Promise<any>;
  closed: Promise<{ code: number; reason: string }>;
}

export interface ScriptedGateway {
  port: number;
  url(sessionId: string): string;
  nextLeg(timeoutMs?: number): Promise<GatewayLeg>;
  stop(): Promise<void>;
}

interface LegState extends GatewayLeg {
  ws?: ServerWebSocket<{ leg: LegState }>;
  receive(text: string): void;
  resolveClosed(v: { code: number; reason: string }): void;
}

function createLeg(sessionId: string, headers: Headers): LegState {
  const waiters = new Set<{ predicate: (f: any) => boolean; resolve: (f: any) => void }>();
  let resolveClosed!: (v: { code: number; reason: string }) => void;
  const leg: LegState = {
    sessionId,
    headers,
    frames: [],
    closed: new Promise((resolve) => (resolveClosed = resolve)),
    resolveClosed: (v) => resolveClosed(v),
    send: (frame) => leg.ws?.send(JSON.stringify(frame)),
    close: (code = 1000, reason = "") => leg.ws?.close(code, reason),
    receive(text) {
      const frame = JSON.parse(text);
      leg.frames.push(frame);
      for (const w of [...waiters]) {
        if (w.predicate(frame)) {
          waiters.delete(w);
          w.resolve(frame);
        }
      }
    },
    waitFor(predicate, timeoutMs = 5000) {
      const found = leg.frames.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const w = { predicate, resolve: (f: any) => (clearTimeout(timer), resolve(f)) };
        const timer = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`gateway: no matching frame within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(w);
      });
    },
  };
  return leg;
}

/** Refuses upgrades without `?token=<requireToken>` when given (401), like an authenticated gateway. */
export function startScriptedGateway(options: { requireToken?: string } = {}): ScriptedGateway {
  const legs: LegState[] = [];
  const waiting: ((leg: GatewayLeg) => void)[] = [];
  let handed = 0;
  const server = Bun.serve<{ leg: LegState }>({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req, srv) {
      const url = new URL(req.url);
      const match = /^\/ws\/([^/]+)$/.exec(url.pathname);
      if (!match) return new Response("not found", { status: 404 });
      if (options.requireToken && url.searchParams.get("token") !== options.requireToken) return new Response("unauthorized", { status: 401 });
      const leg = createLeg(match[1]!, req.headers);
      if (srv.upgrade(req, { data: { leg } })) return undefined;
      return new Response("upgrade failed", { status: 400 });
    },
    websocket: {
      open(ws) {
        ws.data.leg.ws = ws;
        legs.push(ws.data.leg);
        const w = waiting.shift();
        if (w) {
          handed += 1;
          w(ws.data.leg);
        }
      },
      message(ws, message) {
        ws.data.leg.receive(String(message));
      },
      close(ws, code, reason) {
        ws.data.leg.resolveClosed({ code, reason });
      },
    },
  });
  const port = server.port ?? 0;
  return {
    port,
    url: (sessionId) => `ws://127.0.0.1:${port}/ws/${sessionId}`,
    nextLeg(timeoutMs = 5000) {
      const ready = legs[handed];
      if (ready) {
        handed += 1;
        return Promise.resolve(ready);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("gateway: no call within timeout")), timeoutMs);
        waiting.push((leg) => {
          clearTimeout(timer);
          resolve(leg);
        });
      });
    },
    stop: () => server.stop(true),
  };
}

/** playAudio as the gateway sends it. */
export function playAudio(streamId: string, mulaw: Uint8Array) {
  return { event: "playAudio", streamId, media: { contentType: "audio/x-mulaw", sampleRate: 8000, payload: Buffer.from(mulaw).toString("base64") } };
}
