/** Real `homebook serve` processes sharing one Redis and one fake agent, and a count of the conversations open on that agent (used by tests and bench/cluster.ts). */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";
import type { FakeAgentServer, FakeConversation } from "../../src/sim/fake-agent-server.ts";
import { startMcubeCall, type McubeCall } from "../../src/sim/mcube-call.ts";
import { tempDir } from "../helpers/env.ts";
import { until } from "../helpers/wait.ts";

const MAIN = resolve(import.meta.dir, "../../src/main.ts");
export const ADMIN_TOKEN = "cluster-admin-token-0123456789";
export const DID = "8040001234";

export interface GatewayProcess {
  readonly instanceId: string;
  readonly proc: Subprocess<"ignore", "ignore", "ignore">;
  readonly base: string;
  /** Its LOG_FILE. */
  readonly logFile: string;
  /** The JSON lines of its LOG_FILE so far. */
  logs(): Record<string, unknown>[];
  /** A simulated Mcube call to /ws/<sessionId>, with the DID in the upgrade headers (the agent starts at once). */
  call(sessionId: string): Promise<McubeCall>;
  /** GET an admin path with the token: status and parsed body. */
  admin(path: string): Promise<{ status: number; body: any }>;
  /** The /health body. */
  health(): Promise<any>;
  /** One unlabelled or labelled series from /metrics, e.g. `homebook_bot_invalidations_total{source="pubsub"}`. */
  metric(series: string): Promise<number>;
  /** SIGTERM (drain) and wait for the exit, or SIGKILL at once. */
  stop(signal?: "SIGTERM" | "SIGKILL"): Promise<number>;
}

export interface GatewayProcessOptions {
  instanceId: string;
  redisUrl: string;
  prefix: string;
  agent: FakeAgentServer;
  env?: Record<string, string>;
  /** Working directory (log, outbox and, unless env says otherwise, the SQLite store): a fresh one by default. */
  dir?: string;
}

/** Starts `homebook serve` on a free port (PORT=0; the port is read from its "listening" line). */
export async function startGatewayProcess({ instanceId, redisUrl, prefix, agent, env = {}, dir = tempDir("homebook-cluster-") }: GatewayProcessOptions): Promise<GatewayProcess> {
  const logFile = join(dir, "voicebot.log");
  const proc = Bun.spawn([process.execPath, MAIN, "serve"], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? "",
      HOST: "127.0.0.1",
      PORT: "0",
      LOG_FILE: logFile,
      HOMEBOOK_DB_PATH: join(dir, "homebook.db"),
      OUTBOX_PATH: join(dir, "outbox.jsonl"),
      ELEVENLABS_BASE_URL: agent.baseUrl,
      ELEVENLABS_AGENT_ID: "agent_cluster",
      ADMIN_TOKEN,
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: prefix,
      INSTANCE_ID: instanceId,
      ...env,
    },
    stdin: "ignore",
    stdout: "ignore",
    stderr: "ignore",
  });
  const logs = (): Record<string, unknown>[] =>
    existsSync(logFile) ? readFileSync(logFile, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line)) : [];
  const listening = await until(() => logs().find((l) => l.msg === "listening") ?? (proc.exitCode !== null ? { exited: proc.exitCode } : undefined), 15_000, `${instanceId} to listen`);
  if (!listening || "exited" in listening) throw new Error(`${instanceId} exited with ${proc.exitCode} before listening`);
  const base = `http://127.0.0.1:${listening.port}`;
  const admin = async (path: string) => {
    const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    return { status: res.status, body: await res.json() };
  };
  return {
    instanceId,
    proc,
    base,
    logFile,
    logs,
    call: (sessionId) =>
      startMcubeCall({ url: `${base.replace("http", "ws")}/ws/${sessionId}`, callId: `call-${sessionId}`, upgradeHeaders: { "X-DID": DID, "X-CustNumber": "9876543210" } }),
    admin,
    health: async () => (await fetch(`${base}/health`)).json(),
    async metric(series) {
      const text = await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
      const line = text.split("\n").find((l) => l.startsWith(`${series} `));
      return line ? Number(line.slice(series.length + 1)) : 0;
    },
    async stop(signal = "SIGTERM") {
      if (proc.exitCode === null) proc.kill(signal);
      return proc.exited;
    },
  };
}

/** Conversations on the fake agent as they open and close, and the most open at once. */
export interface ConversationTracker {
  /** Every conversation opened, in order. */
  readonly all: FakeConversation[];
  /** Open now. */
  readonly open: number;
  /** Most open at once. */
  readonly peak: number;
  /** The session id each conversation was started for (from its dynamic variables). */
  sessionOf(conversation: FakeConversation): Promise<string>;
  /**
   * The agent ends `conversation` (close 1000) once the gateway's first frame has arrived: it stops
   * counting as open at once, before any gateway hears of it.
   */
  end(conversation: FakeConversation): Promise<void>;
  stop(): void;
}

/** Follows `agent.nextConversation()` until stopped (at most `limit` conversations). */
export function trackConversations(agent: FakeAgentServer, limit = 1000): ConversationTracker {
  const all: FakeConversation[] = [];
  const open = new Set<FakeConversation>();
  let peak = 0;
  let stopped = false;
  void (async () => {
    while (!stopped && all.length < limit) {
      let conversation: FakeConversation;
      try {
        conversation = await agent.nextConversation(500);
      } catch {
        continue; // none opened in this half second
      }
      all.push(conversation);
      open.add(conversation);
      peak = Math.max(peak, open.size);
      void conversation.closed.then(() => open.delete(conversation));
    }
  })();
  return {
    all,
    get open() {
      return open.size;
    },
    get peak() {
      return peak;
    },
    async sessionOf(conversation) {
      const init = (await conversation.init) as { dynamic_variables?: { session_id?: string } };
      return init.dynamic_variables?.session_id ?? "";
    },
    async end(conversation) {
      await conversation.init;
      open.delete(conversation);
      conversation.close(1000, "conversation ended");
    },
    stop() {
      stopped = true;
    },
  };
}
