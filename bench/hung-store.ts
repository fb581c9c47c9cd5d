/**
 * Start → greeting with a hung MySQL store. One gateway process (`bun src/main.ts serve`) uses MariaDB on
 * this machine (databases of the bench's own, migrated and seeded with a bot for the DID, dropped at the
 * end) through a loopback TCP proxy the bench controls, and the fake agent. Calls in sequence, in phases:
 * (a) healthy store, (b) the proxy stalled (connections accepted, nothing answered) after the bot cache
 * expired, (c) the proxy restored and the store breaker closed by its probe. The same cycle runs for
 * inbound calls and for outbound calls (a callId with a campaign attempt, so the outbound-context lookup
 * has something to find). Prints p50/p90/max per phase, /health's components.store, and the targets.
 *
 *   bun bench/hung-store.ts [--calls 40] [--cache-ttl-ms 1000] [--start-delay-ms 20] [--no-outbound]
 */
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { loadConfig } from "../src/config/index.ts";
import { silentLogger } from "../src/log/logger.ts";
import { startFakeAgentServer, type FakeAgentServer } from "../src/sim/fake-agent-server.ts";
import { createBotAdmin } from "../src/store/bot-admin.ts";
import { openDatabases } from "../src/store/open-databases.ts";
import { createOutboundAttemptStore } from "../src/store/outbound-attempts.ts";
import { startTcpProxy, type TcpProxy } from "../test/helpers/tcp-proxy.ts";
import { MARIADB, mysqlTarget } from "../test/store/stores.ts";
import { greetingCall } from "./greeting-call.ts";
import { startServeChild, summarize, type ServeChild } from "./serve-child.ts";

const { values } = parseArgs({
  options: {
    calls: { type: "string", default: "40" },
    "cache-ttl-ms": { type: "string", default: "1000" },
    "start-delay-ms": { type: "string", default: "20" },
    "no-outbound": { type: "boolean", default: false },
  },
});

/** Calls per phase after its first (the cold one in (a), the one that meets the hang in (b)). */
const calls = Math.min(200, Math.max(2, Number(values.calls)));
const cacheTtlMs = Math.min(10_000, Math.max(100, Number(values["cache-ttl-ms"])));
const startDelayMs = Math.min(1000, Math.max(0, Number(values["start-delay-ms"])));
const kinds: CallKind[] = values["no-outbound"] ? ["inbound"] : ["inbound", "outbound"];

/** The issue's targets: the first call after the hang, and every later call against the healthy store's warm calls. */
const FIRST_CALL_TARGET_MS = 1200;
const LATER_CALLS_SLACK_MS = 50;
/** Longest a single call may take before the bench gives up on it. */
const CALL_TIMEOUT_MS = 10_000;
/** Longest wait for the breaker's probe to close it after the proxy is restored (probe backoff tops out at 5 s). */
const CLOSE_TIMEOUT_MS = 20_000;
const DID = "8040001234";
const BOT_AGENT = "agent_hung_bench_bot";
const DEFAULT_AGENT = "agent_hung_bench_default";

type CallKind = "inbound" | "outbound";

interface StoreHealth {
  state: string;
  opens: number;
  cause?: string;
}

interface Phase {
  name: string;
  /** The phase's first call: cold (healthy) or the one that met the hang. */
  firstMs: number;
  /** The calls after it. */
  laterMs: number[];
  /** Which agent answered each call: the DID's bot (from the store or its cache) or the default agent. */
  bot: number;
  fallback: number;
  /** Calls whose conversation carried the campaign's variables (outbound calls whose context lookup answered). */
  campaign: number;
  /** components.store after the first call and at the end of the phase. */
  storeAfterFirst: StoreHealth;
  storeAtEnd: StoreHealth;
}

interface Cycle {
  kind: CallKind;
  phases: Phase[];
  /** Proxy restored → /health shows the breaker closed. */
  closedAfterMs: number;
}

const target = mysqlTarget("hungbench");
const outboundCallIds = Array.from({ length: 3 * (calls + 1) }, (_, i) => `hb-bench-out-${process.pid}-${i}`);
let callIndex = 0;

async function storeHealth(gateway: ServeChild): Promise<StoreHealth> {
  const res = await fetch(`http://127.0.0.1:${gateway.port}/health`, { signal: AbortSignal.timeout(5000) });
  const body = (await res.json()) as { components?: { store?: StoreHealth } };
  if (!body.components?.store) throw new Error("/health has no components.store: is the gateway on MySQL?");
  return body.components.store;
}

/** Creates the bench's databases, migrates them, adds the DID's bot and one placed campaign attempt per outbound call. */
async function seedStore(): Promise<void> {
  await target.prepare();
  const dbs = await openDatabases(loadConfig({ ELEVENLABS_AGENT_ID: DEFAULT_AGENT, ...target.env }), silentLogger);
  try {
    await createBotAdmin(dbs).addBot("bot_hung_bench", { agentId: BOT_AGENT, name: "Hung bench" }, [DID]);
    const attempts = createOutboundAttemptStore(dbs.cluster);
    for (const [i, callid] of outboundCallIds.entries()) {
      await attempts.create({ refid: `hb-bench-${process.pid}-${i}`, did: DID, number: "9876543210", name: "Asha", variables: { city: "Pune" } });
      await attempts.update(`hb-bench-${process.pid}-${i}`, { status: "placed", callid });
    }
  } finally {
    await dbs.close();
  }
}

/** `count` calls in sequence; the agent that answered each is read off the fake agent's conversations. */
async function placeCalls(count: number, kind: CallKind, gateway: ServeChild, agent: FakeAgentServer) {
  const times: number[] = [];
  let bot = 0;
  let campaign = 0;
  for (let i = 0; i < count; i++) {
    const index = callIndex++;
    const callId = kind === "outbound" ? outboundCallIds.shift() : undefined;
    if (kind === "outbound" && callId === undefined) throw new Error("ran out of seeded outbound attempts");
    const before = agent.conversations.length;
    times.push(await greetingCall(gateway.port, { index, did: DID, callId, startDelayMs, timeoutMs: CALL_TIMEOUT_MS }));
    const conversation = agent.conversations[before];
    if (conversation?.agentId === BOT_AGENT) bot++;
    const init = (await conversation?.init) as { dynamic_variables?: Record<string, unknown> } | null | undefined;
    if (init?.dynamic_variables?.city === "Pune") campaign++;
  }
  return { times, bot, fallback: count - bot, campaign };
}

async function phase(name: string, kind: CallKind, gateway: ServeChild, agent: FakeAgentServer): Promise<Phase> {
  const first = await placeCalls(1, kind, gateway, agent);
  const storeAfterFirst = await storeHealth(gateway);
  const later = await placeCalls(calls, kind, gateway, agent);
  return {
    name,
    firstMs: first.times[0]!,
    laterMs: later.times,
    bot: first.bot + later.bot,
    fallback: first.fallback + later.fallback,
    campaign: first.campaign + later.campaign,
    storeAfterFirst,
    storeAtEnd: await storeHealth(gateway),
  };
}

/** Polls /health until the breaker shows closed; ms since `sinceMs`. */
async function untilClosed(gateway: ServeChild, sinceMs: number): Promise<number> {
  while (performance.now() - sinceMs < CLOSE_TIMEOUT_MS) {
    if ((await storeHealth(gateway)).state === "closed") return performance.now() - sinceMs;
    await Bun.sleep(25);
  }
  throw new Error(`the store breaker did not close within ${CLOSE_TIMEOUT_MS} ms of the store answering again`);
}

/** Past the bot cache's TTL, so the next call's lookup really goes to the store. */
const expireCache = () => Bun.sleep(cacheTtlMs + 250);

async function cycle(kind: CallKind, proxy: TcpProxy, gateway: ServeChild, agent: FakeAgentServer): Promise<Cycle> {
  await expireCache();
  const healthy = await phase("(a) healthy", kind, gateway, agent);
  await expireCache();
  proxy.stall();
  const hung = await phase("(b) hung", kind, gateway, agent);
  proxy.restore();
  const closedAfterMs = await untilClosed(gateway, performance.now());
  const restored = await phase("(c) restored", kind, gateway, agent);
  return { kind, phases: [healthy, hung, restored], closedAfterMs };
}

const ms = (n: number) => `${n.toFixed(1)} ms`;
const store = (h: StoreHealth) => `${h.state}${h.cause ? ` (${h.cause})` : ""}, opens ${h.opens}`;

function report(cycle: Cycle): void {
  const [healthy, hung] = cycle.phases as [Phase, Phase, Phase];
  console.log(`\n${cycle.kind} calls (${calls} after each phase's first)`);
  console.log("phase          first call   later p50   later p90   later max   bot/default  campaign   store after first / at end");
  for (const p of cycle.phases) {
    const s = summarize(p.laterMs);
    console.log(
      `${p.name.padEnd(14)} ${ms(p.firstMs).padStart(10)}  ${ms(s.median).padStart(10)}  ${ms(s.p90).padStart(10)}  ${ms(s.max).padStart(10)}   ${`${p.bot}/${p.fallback}`.padStart(11)}  ${String(p.campaign).padStart(8)}   ${store(p.storeAfterFirst)} / ${store(p.storeAtEnd)}`,
    );
  }
  console.log(`breaker closed ${ms(cycle.closedAfterMs)} after the store answered again`);
  const warm = summarize(healthy.laterMs);
  const later = summarize(hung.laterMs);
  const verdict = (met: boolean) => (met ? "met" : "MISSED");
  console.log(`target: first call after the hang ≤ ${FIRST_CALL_TARGET_MS} ms: ${ms(hung.firstMs)} → ${verdict(hung.firstMs <= FIRST_CALL_TARGET_MS)}`);
  console.log(
    `target: later calls ≤ healthy warm + ${LATER_CALLS_SLACK_MS} ms: p50 ${ms(later.median)} vs ${ms(warm.median + LATER_CALLS_SLACK_MS)} → ${verdict(later.median <= warm.median + LATER_CALLS_SLACK_MS)}; ` +
      `p90 ${ms(later.p90)} vs ${ms(warm.p90 + LATER_CALLS_SLACK_MS)} → ${verdict(later.p90 <= warm.p90 + LATER_CALLS_SLACK_MS)}`,
  );
}

const cleanups: (() => Promise<unknown> | unknown)[] = [];
async function cleanUp(): Promise<void> {
  for (const step of cleanups.splice(0).reverse()) await Promise.resolve().then(step).catch((err) => console.error("clean-up step failed:", err));
}
process.once("SIGINT", () => void cleanUp().finally(() => process.exit(130)));

const cycles: Cycle[] = [];
try {
  cleanups.push(() => target.destroy());
  cleanups.push(() => rmSync(dirname(target.env.LOG_FILE!), { recursive: true, force: true }));
  await seedStore();
  const proxy = await startTcpProxy({ host: MARIADB.host, port: MARIADB.port });
  cleanups.push(() => proxy.stop());
  const agent = await startFakeAgentServer({ firstMessage: { text: "Hello, this is the bench agent.", durationMs: 1500 }, pingIntervalMs: 60_000 });
  cleanups.push(() => agent.stop());
  const gateway = await startServeChild({
    cmd: [process.execPath, join(import.meta.dir, "../src/main.ts"), "serve"],
    cwd: dirname(target.env.LOG_FILE!),
    env: {
      ...target.env,
      DATABASE_PORT: String(proxy.port),
      BOT_CACHE_TTL_MS: String(cacheTtlMs),
      ELEVENLABS_BASE_URL: agent.baseUrl,
      ELEVENLABS_AGENT_ID: DEFAULT_AGENT,
    },
  });
  cleanups.push(() => gateway.stop());
  for (const kind of kinds) cycles.push(await cycle(kind, proxy, gateway, agent));
} finally {
  await cleanUp();
}
const lookup = "BOT_LOOKUP_TIMEOUT_MS 1000 (default)";
console.log(`start → first playAudio with a hung store: MariaDB through a stalled loopback proxy, ${lookup}, BOT_CACHE_TTL_MS ${cacheTtlMs}, start ${startDelayMs} ms after connect`);
for (const c of cycles) report(c);
