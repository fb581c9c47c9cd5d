/**
 * What the cluster costs (`bun bench/cluster.ts`; the machine's Redis on 127.0.0.1:6379, a key
 * prefix of its own, deleted afterwards):
 *
 * 1. Admission cost: claim + acquire per call on one gateway, one call at a time, against the
 *    single-process limiter; release and registry costs per call.
 * 2. Admission throughput: calls admitted per second by three gateways (each its own Redis
 *    connections, in this process) with many admissions in flight.
 * 3. Gateway processes: three `homebook serve` with live calls streaming real-time audio: Redis
 *    commands per call-minute against the media frames they carry, and the time from a call's
 *    socket to its agent conversation with and without REDIS_URL.
 */
import { parseArgs } from "node:util";
import { AgentLimiter } from "../src/call/agent-limiter.ts";
import { startCluster, type ClusterNode } from "../src/cluster/cluster-node.ts";
import { redisLatency } from "../src/cluster/cluster-metrics.ts";
import type { LiveCall } from "../src/call/call-record.ts";
import { silentLogger } from "../src/log/logger.ts";
import { startFakeAgentServer } from "../src/sim/fake-agent-server.ts";
import { testConfig } from "../test/helpers/env.ts";
import { redisFixture, type RedisFixture } from "../test/helpers/redis.ts";
import { ADMIN_TOKEN, startGatewayProcess, type GatewayProcess } from "../test/cluster/gateway-processes.ts";
import { until } from "../test/helpers/wait.ts";

const { values } = parseArgs({
  options: {
    calls: { type: "string", default: "30" },
    seconds: { type: "string", default: "30" },
    "no-processes": { type: "boolean", default: false },
  },
});
const CALLS = Number(values.calls);
const SECONDS = Number(values.seconds);

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const ms = (v: number) => `${v.toFixed(3)} ms`;
const summary = (samples: number[]) => {
  const s = [...samples].sort((a, b) => a - b);
  return `p50 ${ms(percentile(s, 50))}, p90 ${ms(percentile(s, 90))}, p99 ${ms(percentile(s, 99))}`;
};
const meanOf = (operation: string) => {
  const { count, sum } = redisLatency.get({ operation });
  return count === 0 ? NaN : sum / count;
};
const open = () => new AbortController().signal;

function view(sessionId: string, instance: string): LiveCall {
  return { sessionId, instance, state: "live", startedAt: Date.now(), did: "8040001234", botId: "bot_bench", framesIn: 0, framesOut: 0, interruptions: 0, transcript: [] };
}

async function nodes(fx: RedisFixture, count: number, maxConnections: number): Promise<ClusterNode[]> {
  const started: ClusterNode[] = [];
  for (let i = 0; i < count; i++) {
    const config = testConfig({ REDIS_URL: fx.url, REDIS_KEY_PREFIX: fx.prefix, INSTANCE_ID: `bench-${i}`, ELEVENLABS_MAX_CONNECTIONS: String(maxConnections) });
    started.push(await startCluster({ config, logger: silentLogger, bots: { invalidate() {} } }));
  }
  return started;
}

/** One call's admission on a cluster gateway: claim the session id, take a slot. */
async function admit(node: ClusterNode, sessionId: string) {
  await node.registry.claim(sessionId);
  const release = await node.slots.acquire(open());
  return () => {
    release();
    node.registry.release(sessionId);
  };
}

async function admissionCost(fx: RedisFixture): Promise<void> {
  const [node] = await nodes(fx, 1, 100_000);
  const rounds = 2000;
  for (let i = 0; i < 200; i++) (await admit(node!, `warm-${i}`))(); // JIT and script cache
  const cluster: number[] = [];
  const sent = node!.redis.sent;
  for (let i = 0; i < rounds; i++) {
    const startedMs = performance.now();
    const done = await admit(node!, `cost-${i}`);
    cluster.push(performance.now() - startedMs);
    node!.registry.update(view(`cost-${i}`, "bench-0"));
    done();
  }
  await until(() => redisLatency.get({ operation: "drop_call" }).count >= 200 + rounds, 10_000, "the releases to be answered");
  const local = new AgentLimiter(100_000, 5000);
  const single: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const startedMs = performance.now();
    const release = await local.acquire(open());
    single.push(performance.now() - startedMs);
    release();
  }
  console.log(`admission on one gateway, one call at a time (${rounds} calls):`);
  console.log(`  cluster (claim + acquire, 2 round trips): ${summary(cluster)}`);
  console.log(`  single process (AgentLimiter):            ${summary(single)}`);
  console.log(`  added by the cluster path, median: ${ms(percentile([...cluster].sort((a, b) => a - b), 50) - percentile([...single].sort((a, b) => a - b), 50))}`);
  console.log(
    `  mean round trip per script: acquire ${ms(meanOf("acquire"))}, release ${ms(meanOf("release"))}, put_call ${ms(meanOf("put_call"))}, drop_call ${ms(meanOf("drop_call"))}`,
  );
  console.log(`  Redis commands per call (claim, acquire, one state update, release, drop): ${((node!.redis.sent - sent) / rounds).toFixed(2)}`);
  await node!.stop();
}

async function admissionThroughput(fx: RedisFixture): Promise<void> {
  const gateways = await nodes(fx, 3, 100_000);
  const inFlight = 48;
  const maxCalls = 30_000;
  const maxMs = 10_000;
  let admitted = 0;
  const startedMs = performance.now();
  const worker = async (w: number) => {
    for (let n = w; n < maxCalls && performance.now() - startedMs < maxMs; n += inFlight) {
      const done = await admit(gateways[n % 3]!, `tp-${n}`);
      admitted++;
      done();
    }
  };
  await Promise.all(Array.from({ length: inFlight }, (_, w) => worker(w)));
  const seconds = (performance.now() - startedMs) / 1000;
  console.log(`admission throughput, 3 gateways in one process, ${inFlight} admissions in flight: ${(admitted / seconds).toFixed(0)} calls/s (${admitted} in ${seconds.toFixed(1)} s)`);
  for (const g of gateways) await g.stop();
}

/** Sum of a counter's series whose labels contain `match`, from a gateway's /metrics. */
async function counterSum(gw: GatewayProcess, name: string, match = ""): Promise<number> {
  const text = await (await fetch(`${gw.base}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
  return text
    .split("\n")
    .filter((l) => l.startsWith(`${name}{`) && l.includes(match))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);
}

async function gatewayProcesses(fx: RedisFixture): Promise<void> {
  const agent = await startFakeAgentServer({ firstMessage: null, pingIntervalMs: 2000 });
  const env = { ELEVENLABS_MAX_CONNECTIONS: "1000", MAX_CONCURRENT_CALLS: "1000" };
  const cluster = await Promise.all(["gw-1", "gw-2", "gw-3"].map((instanceId) => startGatewayProcess({ instanceId, redisUrl: fx.url, prefix: fx.prefix, agent, env })));
  const alone = await startGatewayProcess({ instanceId: "alone", redisUrl: fx.url, prefix: fx.prefix, agent, env: { ...env, REDIS_URL: "" } });
  try {
    // Time from a call's socket to its agent conversation, one call at a time, alternating.
    const opened = async (gw: GatewayProcess, id: string) => {
      const startedMs = performance.now();
      const call = await gw.call(id);
      const conversation = await agent.nextConversation(10_000);
      const tookMs = performance.now() - startedMs;
      await conversation.init;
      conversation.close(1000);
      await call.closed;
      return tookMs;
    };
    const withRedis: number[] = [];
    const without: number[] = [];
    for (let i = 0; i < 100; i++) {
      withRedis.push(await opened(cluster[0]!, `lat-c-${i}`));
      without.push(await opened(alone, `lat-a-${i}`));
    }
    const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
    console.log("call socket → agent conversation open, measured outside (gateway processes, one call at a time, 100 each, first 20 as warm-up):");
    console.log(`  with REDIS_URL:    ${summary(withRedis.slice(20))}`);
    console.log(`  without REDIS_URL: ${summary(without.slice(20))}`);
    console.log(`  difference of medians: ${ms(median(withRedis.slice(20)) - median(without.slice(20)))}`);

    // Live calls with real-time audio: Redis traffic against media frames.
    const counters = () => Promise.all(cluster.map((gw) => Promise.all([counterSum(gw, "homebook_redis_commands_total"), counterSum(gw, "homebook_audio_frames_total")])));
    const total = (now: [number, number][], then: [number, number][], i: 0 | 1) => now.reduce((sum, row, g) => sum + row[i] - then[g]![i], 0);
    const beforeCalls = await counters();
    const calls = await Promise.all(Array.from({ length: CALLS }, (_, i) => cluster[i % 3]!.call(`live-${i}`)));
    const conversations = await Promise.all(calls.map(() => agent.nextConversation(20_000)));
    for (const c of conversations) void c.speak({ durationMs: (SECONDS + 10) * 1000 });
    await Bun.sleep(2000);
    const windowStart = await counters();
    await Bun.sleep(SECONDS * 1000);
    const windowEnd = await counters();
    for (const c of conversations) c.close(1000);
    await Promise.all(calls.map((c) => c.closed));
    await Bun.sleep(500);
    const afterCalls = await counters();
    const steady = total(windowEnd, windowStart, 0);
    const frames = total(windowEnd, windowStart, 1);
    const lifetime = total(afterCalls, beforeCalls, 0) - steady;
    console.log(`live calls: ${CALLS} calls on 3 gateways, real-time audio both ways, REDIS_LEASE_TTL_MS 10000:`);
    console.log(`  steady ${SECONDS} s window: ${steady} Redis commands = ${(steady / ((CALLS * SECONDS) / 60)).toFixed(1)} per call-minute, against ${frames} audio frames bridged (${(frames / Math.max(1, steady)).toFixed(0)} frames per command)`);
    console.log(`  the rest of each call's life (admission, state updates, release): ${(lifetime / CALLS).toFixed(1)} commands per call (renewal rounds included)`);
  } finally {
    await Promise.all([...cluster, alone].map((gw) => gw.stop("SIGTERM")));
    await agent.stop();
  }
}

const fx = await redisFixture("bench");
try {
  console.log(`cluster bench: Redis ${(await fx.client.send("INFO", ["server"])).match(/redis_version:(\S+)/)?.[1]} on loopback, Bun ${Bun.version}, ${navigator.hardwareConcurrency} cores`);
  await admissionCost(fx);
  await admissionThroughput(fx);
  if (!values["no-processes"]) await gatewayProcesses(fx);
} finally {
  await fx.cleanup();
}
process.exit(0);
