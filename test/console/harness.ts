/** A gateway with the console for tests: SQLite records, recordings in a temp folder, the scripted fake agent, the console on a chosen clock. */
import { join } from "node:path";
import type { Clock } from "../../src/base/clock.ts";
import { CallManager } from "../../src/call/call-manager.ts";
import type { CallRecord, TranscriptTurn } from "../../src/call/call-record.ts";
import { consoleRoutes } from "../../src/console/console-routes.tsx";
import { liveCallsOf } from "../../src/console/sources.ts";
import { adminRoutes } from "../../src/http/admin-routes.ts";
import { startGateway, type Gateway } from "../../src/http/server.ts";
import { createLogger } from "../../src/log/logger.ts";
import { FileRecordings } from "../../src/recording/recordings.ts";
import { startFakeAgentServer, type FakeAgentServer } from "../../src/sim/fake-agent-server.ts";
import { startMcubeCall, type McubeCall, type McubeCallOptions } from "../../src/sim/mcube-call.ts";
import { CallRecorder } from "../../src/store/call-records.ts";
import { testConfig, tempDir } from "../helpers/env.ts";
import { createMemoryBotResolver } from "../helpers/memory-bot-resolver.ts";
import { sqliteStore, type TestStore } from "../ops/helpers.ts";

export const ADMIN_TOKEN = "console-admin-token-0123456789";

export interface ConsoleHarness {
  url: string;
  gateway: Gateway;
  agent: FakeAgentServer;
  manager: CallManager;
  recorder: CallRecorder;
  recordings: FileRecordings;
  recordingsDir: string;
  store: TestStore;
  logLines: string[];
  /** Places a simulated Mcube call on this gateway. */
  call(sessionId: string, options?: Partial<McubeCallOptions>): Promise<McubeCall>;
  /** Writes finished calls through the real recorder and waits until they are stored. */
  seed(calls: readonly { record: CallRecord; transcript?: TranscriptTurn[] }[]): Promise<void>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  /** ADMIN_TOKEN (null: the console is off). */
  adminToken?: string | null;
  clock?: Clock;
  liveIntervalMs?: number;
}

export async function startConsoleHarness({ adminToken = ADMIN_TOKEN, clock, liveIntervalMs }: HarnessOptions = {}): Promise<ConsoleHarness> {
  const store = await sqliteStore();
  const agent = await startFakeAgentServer({ firstMessage: null });
  const recordingsDir = join(tempDir("homebook-console-"), "recordings");
  const config = testConfig({
    ELEVENLABS_BASE_URL: agent.baseUrl,
    ELEVENLABS_AGENT_ID: "agent_console",
    HOMEBOOK_DB_PATH: store.config.database.sqlitePath,
    RECORDING: "on",
    RECORDINGS_PATH: recordingsDir,
    ...(adminToken ? { ADMIN_TOKEN: adminToken } : {}),
  });
  const logLines: string[] = [];
  const logger = createLogger({ level: "info", stdout: "none", sink: (l) => logLines.push(l) });
  const recorder = new CallRecorder({ db: store.dbs.cluster, outboxPath: config.database.outboxPath, logger });
  await recorder.start();
  const recordings = new FileRecordings({ enabled: true, dir: recordingsDir, logger });
  const manager = new CallManager({ config, logger, bots: createMemoryBotResolver(config), records: recorder, recordings });
  const gateway = await startGateway({
    config,
    logger,
    sockets: manager.socketHandler(),
    activeCalls: () => manager.activeCount,
    routes: [
      adminRoutes({ config, logger, calls: manager, records: recorder }),
      consoleRoutes({ adminToken: config.adminToken, logger, live: liveCallsOf(manager), history: recorder, recordings, clock, liveIntervalMs, botIds: async () => ["default", "sales"] }),
    ],
  });
  return {
    url: gateway.url,
    gateway,
    agent,
    manager,
    recorder,
    recordings,
    recordingsDir,
    store,
    logLines,
    call: (sessionId, options = {}) =>
      startMcubeCall({
        url: `${gateway.url.replace("http", "ws")}/ws/${sessionId}`,
        callId: `mcube-${sessionId}`,
        upgradeHeaders: { "X-DID": "08040007755", "X-CustNumber": "9876512345" },
        ...options,
      }),
    async seed(calls) {
      for (const { record, transcript = [] } of calls) recorder.write(record, transcript);
      await recorder.flush();
    },
    async stop() {
      await gateway.stop();
      await recordings.whenIdle();
      await recorder.close();
      await agent.stop();
      await store.close();
    },
  };
}

/** Signs in through the form; returns the Cookie header value of the session. */
export async function signIn(url: string, token = ADMIN_TOKEN): Promise<string> {
  const res = await fetch(`${url}/console/sign-in`, { method: "POST", body: new URLSearchParams({ token }), redirect: "manual" });
  if (res.status !== 303) throw new Error(`sign-in answered ${res.status}`);
  return res.headers.get("set-cookie")!.split(";")[0]!;
}

/** A finished call with a timeline and a short transcript, as the call core will record it. */
export function finishedCall(n: number, fields: Partial<CallRecord> = {}): { record: CallRecord; transcript: TranscriptTurn[] } {
  const endedAt = Date.now() - n * 60_000;
  return {
    record: {
      sessionId: `hist-${n}`,
      callId: `mcube-hist-${n}`,
      did: "8040001234",
      customerNumber: "9123400000",
      botId: "sales",
      agentId: "agent_console",
      startedAt: endedAt - 42_000,
      endedAt,
      durationMs: 42_000,
      endReason: "agent_end_call",
      framesIn: 2100,
      framesOut: 1900,
      interruptions: 1,
      recorded: false,
      timeline: [
        { atMs: 0, kind: "start" },
        { atMs: 640, kind: "agent_connected" },
        { atMs: 1210, kind: "first_agent_audio" },
        { atMs: 15_400, kind: "barge_in" },
        { atMs: 30_100, kind: "tool_call", detail: "end_call" },
        { atMs: 42_000, kind: "end", detail: "agent_end_call" },
      ],
      ...fields,
    },
    transcript: [
      { role: "agent", text: "Namaste, Sunrise Motors. How can I help?", offsetMs: 1210 },
      { role: "user", text: "I want to book a test drive <b>tomorrow</b>", offsetMs: 6000 },
      { role: "agent", text: "Booked for 11 am. Goodbye!", offsetMs: 29_000 },
    ],
  };
}
