/**
 * Soak: thousands of calls of mixed length and ending (caller hang-up, agent end_call, transfer,
 * barge-in, agent drop and reconnect) through ONE `homebook serve` process, `--concurrency` at a
 * time, driven by the Mcube simulator and the scripted fake agent in this process, all on loopback.
 * Prints the gateway's RSS, file descriptors, TCP sockets, armed timers and WebSocket objects at start,
 * after a warm-up and at the end, and checks that every call placed is in the history (`GET /calls`)
 * with the ending its scenario says. Exit 1 when a target is missed.
 *
 * Each figure is taken idle: no call live, a settling pause, then GET /debug/runtime?gc=1 (a full
 * collection in the gateway, refused while a call is live) and /proc/<pid> (VmRSS, fd, net/tcp).
 * Growth is counted from the warm-up, when JIT code, pools and metric children exist.
 *
 *   bun bench/soak.ts [--calls 2000] [--concurrency 50] [--warmup 100] [--max-minutes 20] [--seed 1]
 */
import { rmSync } from "node:fs";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { startFakeAgentServer, type FakeConversation } from "../src/sim/fake-agent-server.ts";
import { startMcubeCall } from "../src/sim/mcube-call.ts";
import { toneMulaw } from "../src/sim/tones.ts";
import { serve } from "../test/ops/serve-process.ts";
import { connectionsOnPort, processFigures, type ProcessFigures } from "./process-figures.ts";
import { agentScript, callerScript, expectedRecord, scenarioFor, seededRandom, type Scenario } from "./soak-scenarios.ts";

const { values } = parseArgs({
  options: {
    calls: { type: "string", default: "2000" },
    concurrency: { type: "string", default: "50" },
    warmup: { type: "string", default: "100" },
    "max-minutes": { type: "string", default: "20" },
    seed: { type: "string", default: "1" },
  },
});
const CALLS = Number(values.calls);
const CONCURRENCY = Number(values.concurrency);
const WARMUP = Number(values.warmup);
const DEADLINE = performance.now() + Number(values["max-minutes"]) * 60_000;
const ADMIN_TOKEN = "soak-admin-token-0123456789";
/** After the last call: time for closing sockets and the record writer to settle before measuring. */
const IDLE_MS = 3000;

const random = seededRandom(Number(values.seed));
const scenarios = new Map<string, Scenario>();
const conversationsOf = new Map<string, number>();
const problems = { refused: 0, stuck: 0, agentScriptErrors: 0, unknownConversations: 0 };

const agent = await startFakeAgentServer({ firstMessage: null });
const gateway = await serve({
  ELEVENLABS_BASE_URL: agent.baseUrl,
  ELEVENLABS_AGENT_ID: "agent_soak",
  ADMIN_TOKEN,
  // Room over the load, so the soak measures leaks, not admission races at the limit.
  MAX_CONCURRENT_CALLS: String(CONCURRENCY + 10),
  ELEVENLABS_MAX_CONNECTIONS: String(CONCURRENCY + 10),
});
const pid = gateway.proc.pid;
const wsBase = gateway.base.replace(/^http/, "ws");

async function admin(path: string): Promise<any> {
  // Connection: close, so these queries leave no socket open in the figures they read.
  const res = await fetch(`${gateway.base}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}`, connection: "close" } });
  return res.json();
}

/** Runs each new agent conversation's script, matched to its call by the session id in its init. */
let tracking = true;
const tracker = (async () => {
  while (tracking) {
    let conv: FakeConversation;
    try {
      conv = await agent.nextConversation(500);
    } catch {
      continue;
    }
    void (async () => {
      const init = (await conv.init) as { dynamic_variables?: { session_id?: string } } | null;
      const sessionId = init?.dynamic_variables?.session_id ?? "";
      const scenario = scenarios.get(sessionId);
      if (!scenario) return void problems.unknownConversations++;
      const attempt = conversationsOf.get(sessionId) ?? 0;
      conversationsOf.set(sessionId, attempt + 1);
      await agentScript(conv, scenario, attempt).catch(() => problems.agentScriptErrors++);
    })();
  }
})();

/** One call from socket to close (a refused socket and a call past its bound are counted in `problems`). */
async function placeCall(sessionId: string, scenario: Scenario): Promise<void> {
  scenarios.set(sessionId, scenario);
  let call;
  try {
    call = await startMcubeCall({
      url: `${wsBase}/ws/${sessionId}`,
      callId: `call-${sessionId}`,
      upgradeHeaders: { "X-DID": "8040001234", "X-CustNumber": "9876543210" },
      audio: toneMulaw(440, 1200),
      endGraceMs: 300,
    });
  } catch {
    problems.refused++;
    return;
  }
  const bound = scenario.greetingMs + scenario.talkMs + 15_000;
  if ((await callerScript(call, scenario, bound)) === "stuck") problems.stuck++;
}

/** Places `count` calls named `prefix-<i>`, `CONCURRENCY` at a time; stops launching at the deadline. */
async function placeCalls(prefix: string, count: number): Promise<string[]> {
  const placed: string[] = [];
  let next = 0;
  let done = 0;
  const startedAt = performance.now();
  const worker = async () => {
    while (next < count && performance.now() < DEADLINE) {
      const sessionId = `${prefix}-${next++}`;
      placed.push(sessionId);
      await placeCall(sessionId, scenarioFor(random));
      if (++done % 250 === 0) console.log(`  ${prefix}: ${done}/${count} calls done, ${((performance.now() - startedAt) / 1000).toFixed(0)} s, load ${loadavg()[0]!.toFixed(1)}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return placed;
}

interface Snapshot {
  proc: ProcessFigures;
  runtime: any;
  onPort: Record<string, number>;
}

/** The gateway idle: no live call, a settling pause, a full collection, then every figure. */
async function idleSnapshot(): Promise<Snapshot> {
  for (let i = 0; i < 600 && (await admin("/debug/runtime")).active_calls > 0; i++) await Bun.sleep(100);
  await Bun.sleep(IDLE_MS);
  const runtime = await admin("/debug/runtime?gc=1");
  return { runtime, proc: processFigures(pid), onPort: connectionsOnPort(gateway.port) };
}

/** Every finished call in the history, through GET /calls (pages of 500). */
async function history(): Promise<Map<string, any>> {
  const calls = new Map<string, any>();
  let cursor: string | null = null;
  do {
    const page: any = await admin(`/calls?since=0&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    for (const call of page.calls) calls.set(call.session_id, call);
    cursor = page.next_cursor;
  } while (cursor);
  return calls;
}

console.log(`soak: ${CALLS} calls (+${WARMUP} warm-up), ${CONCURRENCY} at a time, one gateway process (pid ${pid}, port ${gateway.port}), ${navigator.hardwareConcurrency} cores, load ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
const atStart = await idleSnapshot();
const warm = await placeCalls("warm", WARMUP);
const afterWarmup = await idleSnapshot();
const soakStartedAt = performance.now();
const cpuBefore = processFigures(pid).cpuMs;
const placed = await placeCalls("soak", CALLS);
const soakSeconds = (performance.now() - soakStartedAt) / 1000;
const cpuMs = processFigures(pid).cpuMs - cpuBefore;
const atEnd = await idleSnapshot();
tracking = false;
await tracker;

// Every call placed is in the history, with the ending its scenario says.
const all = [...warm, ...placed];
let stored = await history();
for (let i = 0; i < 100 && all.some((id) => !stored.has(id)); i++) {
  await Bun.sleep(100);
  stored = await history();
}
const missing = all.filter((id) => !stored.has(id));
const wrong: Record<string, number> = {};
const endings: Record<string, number> = {};
for (const id of all) {
  const record = stored.get(id);
  const scenario = scenarios.get(id);
  if (!record || !scenario) continue;
  endings[scenario.ending] = (endings[scenario.ending] ?? 0) + 1;
  const want = expectedRecord(scenario);
  const ok = record.end_reason === want.endReason && (record.reconnects ?? 0) === want.reconnects && (record.interruptions ?? 0) >= want.minInterruptions;
  if (!ok) {
    const key = `${scenario.ending}→${record.end_reason}/reconnects ${record.reconnects ?? 0}/interruptions ${record.interruptions ?? 0}`;
    wrong[key] = (wrong[key] ?? 0) + 1;
  }
}

const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
const row = (label: string, pick: (s: Snapshot) => unknown) => console.log(`  ${label.padEnd(34)} ${[atStart, afterWarmup, atEnd].map((s) => String(pick(s)).padStart(16)).join(" ")}`);
console.log(`\nsoak done: ${placed.length} calls in ${soakSeconds.toFixed(0)} s (${(placed.length / soakSeconds).toFixed(1)} calls/s); gateway CPU ${(cpuMs / 1000).toFixed(1)} s = ${((cpuMs / (soakSeconds * 1000)) * 100).toFixed(0)}% of one core; load now ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
console.log(`  endings placed: ${JSON.stringify(endings)}`);
console.log(`\n  ${"gateway, idle, after a full GC".padEnd(34)} ${["at start", "after warm-up", "at end"].map((s) => s.padStart(16)).join(" ")}`);
row("RSS (/proc VmRSS)", (s) => mib(s.proc.rssKiB));
row("RSS peak (VmHWM)", (s) => mib(s.proc.rssPeakKiB));
row("JS heap", (s) => mib(s.runtime.heap_bytes / 1024));
row("file descriptors", (s) => s.proc.fdTotal);
row("  by kind", (s) => Object.entries(s.proc.fds).map(([k, v]) => `${k} ${v}`).join(", "));
row("TCP sockets of the gateway", (s) => Object.entries(s.proc.tcp).map(([k, v]) => `${k} ${v}`).join(", "));
row(`connections on :${gateway.port} (both ends)`, (s) => Object.entries(s.onPort).map(([k, v]) => `${k} ${v}`).join(", ") || "none");
row("armed timers (process)", (s) => s.runtime.armed_timers);
row("open Mcube sockets", (s) => s.runtime.mcube_sockets);
row("WebSocket objects (heap)", (s) => s.runtime.websocket_objects);
row("live calls / agent slots held", (s) => `${s.runtime.active_calls} / ${s.runtime.agent_connections_in_use}`);
const growthKiB = atEnd.proc.rssKiB - afterWarmup.proc.rssKiB;
const leaks = {
  rss: growthKiB <= 10 * 1024,
  fds: atEnd.proc.fdTotal <= afterWarmup.proc.fdTotal,
  sockets: (atEnd.proc.tcp.established ?? 0) === 0 && (atEnd.proc.fds.socket ?? 0) <= (afterWarmup.proc.fds.socket ?? 0) && atEnd.runtime.mcube_sockets === 0,
  timers: atEnd.runtime.armed_timers <= afterWarmup.runtime.armed_timers,
  websockets: atEnd.runtime.websocket_objects <= afterWarmup.runtime.websocket_objects,
  records: missing.length === 0,
};
console.log(`\n  RSS growth over the ${placed.length} calls (warm-up → end): ${(growthKiB / 1024).toFixed(1)} MiB (target ≤ 10 MiB)`);
console.log(`  calls placed ${all.length}, records in GET /calls ${all.length - missing.length}${missing.length ? ` (missing: ${missing.slice(0, 10).join(", ")}…)` : ""}; endings not as scripted: ${JSON.stringify(wrong)}`);
console.log(`  refused ${problems.refused}, stuck ${problems.stuck}, agent script errors ${problems.agentScriptErrors}, conversations of unknown calls ${problems.unknownConversations}`);
console.log(`  verdict: ${Object.entries(leaks).map(([k, ok]) => `${k} ${ok ? "ok" : "FAIL"}`).join(", ")}`);

gateway.proc.kill("SIGTERM");
await gateway.proc.exited;
await agent.stop();
rmSync(gateway.dir, { recursive: true, force: true }); // its store, outbox and log
process.exit(Object.values(leaks).every(Boolean) && Object.keys(wrong).length === 0 ? 0 : 1);
