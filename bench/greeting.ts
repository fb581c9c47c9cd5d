/**
 * Start → greeting: how long after Mcube's `start` the caller's first playAudio arrives, in real time on
 * loopback. N calls in sequence through a gateway process (`bun <src>/main.ts serve`, its embedded SQLite
 * store, the default agent) to the fake ElevenLabs agent with a fixed-length first message. `--src` points at
 * another checkout's src/ to measure older code with the same caller and the same agent.
 *
 *   bun bench/greeting.ts [--calls 40] [--warmup 5] [--src ../other/src] [--start-delay-ms 20] [--signed]
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { startFakeAgentServer, type FakeAgentServer } from "../src/sim/fake-agent-server.ts";
import { greetingCall } from "./greeting-call.ts";

const { values } = parseArgs({
  options: {
    calls: { type: "string", default: "40" },
    warmup: { type: "string", default: "5" },
    src: { type: "string", default: join(import.meta.dir, "../src") },
    "start-delay-ms": { type: "string", default: "20" },
    "greeting-ms": { type: "string", default: "1500" },
    signed: { type: "boolean", default: false },
  },
});

const calls = Math.min(500, Math.max(1, Number(values.calls)));
const warmup = Math.min(50, Math.max(0, Number(values.warmup)));
const startDelayMs = Math.min(5000, Math.max(0, Number(values["start-delay-ms"])));
const src = resolve(values.src!);
const API_KEY = "xi-bench-key-0123456789";
/** Longest a single call may take before the bench gives up on it. */
const CALL_TIMEOUT_MS = 10_000;
const AGENT_ID = "agent_bench";
const DID = "8040001234";

/** A free loopback port: bound, then released for the gateway to take. */
function freePort(): number {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const { port } = probe;
  probe.stop(true);
  return port;
}

/** The gateway of `src` as a child process on `port`, answering every DID with the default agent. */
async function startGateway(agent: FakeAgentServer, port: number) {
  const dir = mkdtempSync(join(tmpdir(), "homebook-greeting-"));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOST: "127.0.0.1",
    PORT: String(port),
    LOG_LEVEL: "warn",
    LOG_FILE: join(dir, "voicebot.log"),
    HOMEBOOK_DB_PATH: join(dir, "homebook.db"),
    OUTBOX_PATH: join(dir, "outbox.jsonl"),
    ELEVENLABS_BASE_URL: agent.baseUrl,
    ELEVENLABS_AGENT_ID: AGENT_ID,
    ...(values.signed ? { ELEVENLABS_API_KEY: API_KEY } : {}),
  };
  const child = Bun.spawn([process.execPath, join(src, "main.ts"), "serve"], { cwd: dir, env, stdout: "ignore", stderr: "inherit" });
  for (let i = 0; i < 500; i++) {
    if (await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false)) return child;
    await Bun.sleep(20);
  }
  child.kill();
  throw new Error(`the gateway of ${src} did not become healthy`);
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const agent = await startFakeAgentServer({
  firstMessage: { text: "Hello, this is the bench agent.", durationMs: Number(values["greeting-ms"]) },
  pingIntervalMs: 60_000,
  apiKey: values.signed ? API_KEY : undefined,
});
const port = freePort();
const gateway = await startGateway(agent, port);
const samples: number[] = [];
try {
  for (let i = 0; i < warmup + calls; i++) {
    const ms = await greetingCall(port, { index: i, did: DID, startDelayMs, timeoutMs: CALL_TIMEOUT_MS });
    if (i >= warmup) samples.push(ms);
  }
} finally {
  gateway.kill("SIGTERM");
  await gateway.exited;
  await agent.stop();
}
const sorted = [...samples].sort((a, b) => a - b);
const f = (ms: number) => `${ms.toFixed(2)} ms`;
console.log(`start → first playAudio, ${src} (${calls} calls after ${warmup} warm-up, start ${startDelayMs} ms after connect${values.signed ? ", signed URLs" : ""})`);
console.log(`p50 ${f(percentile(sorted, 0.5))}  p90 ${f(percentile(sorted, 0.9))}  max ${f(sorted.at(-1)!)}  min ${f(sorted[0]!)}`);
