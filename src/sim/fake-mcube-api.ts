/** Fake of Mcube's outbound-call REST API (and its status webhook calls), for tests and offline trials. */
import type { Server } from "bun";
import { systemClock, type Clock, type Timer } from "../base/clock.ts";
import { mcubeOutboundRequestSchema, type McubeStatusWebhook } from "../telephony/mcube-api-protocol.ts";

export interface FakeMcubeApiOptions {
  port?: number;
  /** Time source for delays, timestamps and waits. Default systemClock. */
  clock?: Clock;
  /** Expected HTTP_AUTHORIZATION; anything else gets 401 {status:false}. */
  token?: string;
  /** Endpoint path below the base URL (MCUBE_OUTBOUND_PATH). */
  path?: string;
  /** Every answer waits this long (a slow Mcube). */
  delayMs?: number;
  /** custnumber → msg: answered as a business error {status:false, msg}. */
  businessErrors?: Record<string, string>;
  /** After accepting a call, post CONNECTING to its refurl (as Mcube does once the customer picks up). */
  autoConnect?: boolean;
}

/** How the next requests fail: an HTTP status (5xx, 429…) or "drop" (connection reset, no answer). */
export type FakeMcubeFailure = number | "drop";

export type FakeMcubeResult = "placed" | "business_error" | "unauthorized" | "bad_request" | "failed" | "dropped";

export interface FakeMcubeRequest {
  /** Clock time (ms) when the request arrived and when its answer left. */
  receivedAtMs: number;
  answeredAtMs?: number;
  /** The JSON body with HTTP_AUTHORIZATION removed (so tests can print it). */
  body: Record<string, unknown>;
  tokenMatched: boolean;
  refid?: string;
  custnumber?: string;
  exenumber?: string;
  result?: FakeMcubeResult;
  callid?: string;
}

export interface FakeMcubeCall {
  callid: string;
  refid: string;
  custnumber: string;
  exenumber: string;
  refurl: string;
}

export interface FakeMcubeConnection {
  call: FakeMcubeCall;
  /** What the gateway's webhook answered to CONNECTING. */
  status: number;
  answer: unknown;
  /** answer.wss_url when there was one. */
  wssUrl?: string;
}

export interface FakeMcubeApi {
  /** Use as MCUBE_API_URL. */
  readonly baseUrl: string;
  readonly port: number;
  readonly path: string;
  readonly token: string;
  readonly requests: FakeMcubeRequest[];
  /** Calls placed (accepted requests), in order. */
  readonly calls: FakeMcubeCall[];
  readonly connections: FakeMcubeConnection[];
  /** Requests being handled right now, and the most there ever were at once. */
  readonly inFlight: number;
  readonly maxInFlight: number;
  /** The next `count` requests fail this way (before any call is placed). */
  failNext(count: number, failure: FakeMcubeFailure): void;
  setDelay(delayMs: number): void;
  /** Answer requests for `number` with {status:false, msg}; undefined clears it. */
  setBusinessError(number: string, msg: string | undefined): void;
  /** Posts a status webhook for a placed call to its refurl, as Mcube does. */
  postStatus(callid: string, dialStatus?: string, extra?: Partial<McubeStatusWebhook>): Promise<{ status: number; body: unknown }>;
  /** Posts CONNECTING and returns what the gateway answered (wss_url). */
  connect(callid: string): Promise<FakeMcubeConnection>;
  /** Resolves with the next auto-connect result (autoConnect: true). */
  nextConnection(timeoutMs?: number): Promise<FakeMcubeConnection>;
  stop(): Promise<void>;
}

const DEFAULT_TOKEN = "fake-mcube-token";

function json(body: unknown, status = 200): Response {
  return Response.json(body, { status });
}

/** A response whose body errors at once: Bun resets the connection without answering. */
function droppedConnection(): Response {
  return new Response(new ReadableStream({ start: (c) => c.error(undefined) }));
}

/**
 * Starts the fake on 127.0.0.1. Point MCUBE_API_URL at `baseUrl` and MCUBE_API_TOKEN at `token`.
 * @example const mcube = await startFakeMcubeApi({ businessErrors: { "9000000001": "DND number" } });
 */
export async function startFakeMcubeApi({
  port = 0,
  clock = systemClock,
  token = DEFAULT_TOKEN,
  path = "outbound-calls-superdash",
  delayMs = 0,
  businessErrors = {},
  autoConnect = false,
}: FakeMcubeApiOptions = {}): Promise<FakeMcubeApi> {
  const requests: FakeMcubeRequest[] = [];
  const calls: FakeMcubeCall[] = [];
  const connections: FakeMcubeConnection[] = [];
  const failures: FakeMcubeFailure[] = [];
  const errors = new Map(Object.entries(businessErrors));
  const connectionWaiters: Array<(c: FakeMcubeConnection) => void> = [];
  const pending = new Set<Promise<unknown>>();
  /** Pending waits: stop() ends them at once so no handler hangs. */
  const timers = new Map<Timer, () => void>();
  let connectionsTaken = 0;
  let delay = delayMs;
  let inFlight = 0;
  let maxInFlight = 0;
  let nextCallNumber = 1;
  let stopped = false;
  const endpoint = `/${path.replace(/^\/+/, "")}`;

  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = clock.setTimer(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.set(timer, resolve);
    });

  const track = <T>(p: Promise<T>): Promise<T> => {
    pending.add(p);
    void p.finally(() => pending.delete(p)).catch(() => undefined);
    return p;
  };

  const postStatus = async (callid: string, dialStatus?: string, extra: Partial<McubeStatusWebhook> = {}) => {
    const call = calls.find((c) => c.callid === callid);
    if (!call) throw new Error(`fake Mcube: no call ${callid}`);
    if (!call.refurl) throw new Error(`fake Mcube: call ${callid} was placed without a refurl`);
    const body: Record<string, unknown> = {
      callId: callid,
      callDirection: "outbound",
      fromNumber: call.exenumber,
      toNumber: call.custnumber,
      ...(dialStatus === undefined ? {} : { dialStatus }),
      ...extra,
    };
    const res = await fetch(call.refurl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed };
  };

  const connect = async (callid: string): Promise<FakeMcubeConnection> => {
    const call = calls.find((c) => c.callid === callid);
    if (!call) throw new Error(`fake Mcube: no call ${callid}`);
    const { status, body } = await postStatus(callid, "CONNECTING");
    const wssUrl = (body as { wss_url?: unknown } | null)?.wss_url;
    const connection: FakeMcubeConnection = { call, status, answer: body, wssUrl: typeof wssUrl === "string" ? wssUrl : undefined };
    connections.push(connection);
    const waiter = connectionWaiters.shift();
    if (waiter) {
      connectionsTaken++;
      waiter(connection);
    }
    return connection;
  };

  const handle = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    if (req.method !== "POST" || url.pathname !== endpoint) return json({ status: false, msg: "Not found" }, 404);
    const record: FakeMcubeRequest = { receivedAtMs: clock.now(), body: {}, tokenMatched: false };
    requests.push(record);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      let raw: unknown;
      try {
        raw = await req.json();
      } catch {
        raw = undefined;
      }
      if (raw && typeof raw === "object") {
        const { HTTP_AUTHORIZATION: given, ...rest } = raw as Record<string, unknown>;
        record.body = rest;
        record.tokenMatched = given === token;
        const text = (v: unknown) => (typeof v === "string" || typeof v === "number" ? String(v) : undefined);
        Object.assign(record, { refid: text(rest.refid), custnumber: text(rest.custnumber), exenumber: text(rest.exenumber) });
      }
      if (delay > 0) await wait(delay);
      const failure = failures.shift();
      if (failure === "drop") {
        record.result = "dropped";
        return droppedConnection();
      }
      if (failure !== undefined) {
        record.result = "failed";
        return json({ status: false, msg: "Internal Server Error" }, failure);
      }
      const parsed = mcubeOutboundRequestSchema.safeParse(raw);
      if (!parsed.success) {
        record.result = "bad_request";
        return json({ status: false, msg: "Invalid request: HTTP_AUTHORIZATION, exenumber and custnumber are required" }, 400);
      }
      const { exenumber, custnumber, refurl, refid } = parsed.data;
      if (!record.tokenMatched) {
        record.result = "unauthorized";
        return json({ status: false, msg: "Invalid token" }, 401);
      }
      if (!/^\d{10}$/.test(custnumber) || !/^\d{10}$/.test(exenumber)) {
        record.result = "business_error";
        return json({ status: false, msg: "Invalid number: use 10 digits" });
      }
      const businessError = errors.get(custnumber);
      if (businessError !== undefined) {
        record.result = "business_error";
        return json({ status: false, msg: businessError });
      }
      const call: FakeMcubeCall = { callid: `fake-call-${nextCallNumber++}`, refid, custnumber, exenumber, refurl };
      calls.push(call);
      record.result = "placed";
      record.callid = call.callid;
      if (autoConnect && refurl) {
        track(wait(5).then(() => (stopped ? undefined : connect(call.callid)))).catch(() => undefined);
      }
      return json({ status: true, callid: call.callid, msg: "Call initiated" });
    } finally {
      record.answeredAtMs = clock.now();
      inFlight--;
    }
  };

  const server: Server<undefined> = Bun.serve({ hostname: "127.0.0.1", port, fetch: (req) => track(handle(req)) });
  const boundPort = server.port ?? port;

  return {
    baseUrl: `http://127.0.0.1:${boundPort}`,
    port: boundPort,
    path: endpoint.slice(1),
    token,
    requests,
    calls,
    connections,
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    failNext(count, failure) {
      for (let i = 0; i < count; i++) failures.push(failure);
    },
    setDelay(ms) {
      delay = ms;
    },
    setBusinessError(number, msg) {
      if (msg === undefined) errors.delete(number);
      else errors.set(number, msg);
    },
    postStatus,
    connect,
    nextConnection(timeoutMs = 5000) {
      const ready = connections[connectionsTaken];
      if (ready) {
        connectionsTaken++;
        return Promise.resolve(ready);
      }
      return new Promise((resolve, reject) => {
        const timer = clock.setTimer(() => {
          const i = connectionWaiters.indexOf(done);
          if (i >= 0) connectionWaiters.splice(i, 1);
          reject(new Error(`fake Mcube: no connection within ${timeoutMs} ms`));
        }, timeoutMs);
        const done = (c: FakeMcubeConnection) => {
          clock.clearTimer(timer);
          resolve(c);
        };
        connectionWaiters.push(done);
      });
    },
    async stop() {
      stopped = true;
      for (const [timer, resolve] of timers) {
        clock.clearTimer(timer);
        resolve();
      }
      timers.clear();
      await server.stop(true);
      await Promise.allSettled([...pending]);
    },
  };
}
