/**
 * A whole gateway for operations tests: store, recorder, bridge, fake agent, admin routes, captured logs.
 * Calls run in fake time: one TestClock drives the gateway, the recorder, the fake agent and the callers;
 * wait for call events with `h.run(promise)`. The store is real, so its writes take real time but no call time.
 */
import { CallManager } from "../../src/call/call-manager.ts";
import { createMemoryBotResolver } from "../helpers/memory-bot-resolver.ts";
import type { Config } from "../../src/config/index.ts";
import { startGateway, type Gateway } from "../../src/http/server.ts";
import { adminRoutes } from "../../src/http/admin-routes.ts";
import { createLogger, type Logger } from "../../src/log/logger.ts";
import { CallRecorder } from "../../src/store/call-records.ts";
import { startFakeAgentServer, type FakeAgentServer } from "../../src/sim/fake-agent-server.ts";
import { startMcubeCall, type McubeCall } from "../../src/sim/mcube-call.ts";
import { testConfig } from "../helpers/env.ts";
import { TestClock } from "../helpers/test-clock.ts";
import { until, type TestStore } from "./helpers.ts";

export const ADMIN_TOKEN = "ops-admin-token-0123456789";
export const CUSTOMER = "9876543210";

export interface Harness {
  /** The clock of every call, the recorder and the fake agent. */
  clock: TestClock;
  /** Waits for `promise`, moving fake time; `maxMs` bounds it in call time. */
  run<T>(promise: Promise<T>, maxMs?: number, what?: string): Promise<T>;
  config: Config;
  logger: Logger;
  store: TestStore;
  agent: FakeAgentServer;
  manager: CallManager;
  recorder: CallRecorder;
  gateway: Gateway;
  logLines: string[];
}

export async function startHarness(openStore: () => Promise<TestStore>, env: Record<string, string> = {}): Promise<Harness> {
  const store = await openStore();
  const clock = new TestClock();
  const agent = await startFakeAgentServer({ firstMessage: null, clock });
  const config = testConfig({
    ELEVENLABS_BASE_URL: agent.baseUrl,
    ELEVENLABS_AGENT_ID: "agent_ops",
    ADMIN_TOKEN,
    MAX_CONCURRENT_CALLS: "1",
    START_TIMEOUT_MS: "300",
    ...(store.config.database.kind === "mysql"
      ? {
          DATABASE_HOST: "127.0.0.1",
          DATABASE_USER: "root",
          DATABASE_NAME: store.config.database.name,
          DATABASE_MASTER_NAME: store.config.database.masterName,
        }
      : { HOMEBOOK_DB_PATH: store.config.database.sqlitePath }),
    ...env,
  });
  const logLines: string[] = [];
  const logger = createLogger({ level: "info", stdout: "none", sink: (l) => logLines.push(l) });
  const recorder = new CallRecorder({ db: store.dbs.cluster, outboxPath: config.database.outboxPath, logger, clock });
  await recorder.start();
  const manager = new CallManager({ config, logger, clock, bots: createMemoryBotResolver(config), records: recorder });
  const gateway = await startGateway({
    config,
    logger,
    sockets: manager.socketHandler(),
    routes: [adminRoutes({ config, logger, calls: manager, records: recorder })],
  });
  const run = <T>(promise: Promise<T>, maxMs = 10_000, what?: string): Promise<T> => clock.run(promise, maxMs, what);
  return { clock, run, config, logger, store, agent, manager, recorder, gateway, logLines };
}

/** Stops everything the harness started (the gateway may already be stopped by a drain). */
export async function stopHarness(h: Harness): Promise<void> {
  await h.gateway.stop();
  await h.recorder.close();
  await h.agent.stop();
  await h.store.close();
}

export function admin(h: Harness, path: string, token: string | null = ADMIN_TOKEN): Promise<Response> {
  return fetch(`${h.gateway.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
}

/** GET an admin path with the right token; the parsed JSON body. */
export async function adminJson(h: Harness, path: string): Promise<any> {
  return (await admin(h, path)).json();
}

export async function metricValue(h: Harness, series: string): Promise<number> {
  const text = await (await admin(h, "/metrics")).text();
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

export function call(h: Harness, sessionId: string, extra: Partial<Parameters<typeof startMcubeCall>[0]> = {}): Promise<McubeCall> {
  return startMcubeCall({
    url: `${h.gateway.url.replace("http", "ws")}/ws/${sessionId}`,
    callId: `call-${sessionId}`,
    upgradeHeaders: { "X-DID": "08040001234", "X-CustNumber": CUSTOMER },
    clock: h.clock,
    ...extra,
  });
}

/** The stored record of a finished call (waits on the store in real time; call time stands still). */
export async function recorded(h: Harness, sessionId: string) {
  await until(async () => {
    await h.recorder.flush();
    return (await h.recorder.list({ limit: 500 })).calls.some((c) => c.sessionId === sessionId);
  }, 15_000, `the record of ${sessionId}`);
  return (await h.recorder.get(sessionId))!;
}

