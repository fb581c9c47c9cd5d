/** In-process cluster members for tests: each with its own Redis connections, config and captured log lines. */
import { afterEach } from "bun:test";
import type { Clock } from "../../src/base/clock.ts";
import { startCluster, type ClusterNode } from "../../src/cluster/cluster-node.ts";
import type { BotCache } from "../../src/cluster/bot-invalidation.ts";
import type { Config } from "../../src/config/index.ts";
import { createLogger } from "../../src/log/logger.ts";
import { testConfig } from "../helpers/env.ts";
import { redisFixture, REDIS_PORT, type RedisFixture } from "../helpers/redis.ts";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.ts";

export interface TestNode {
  readonly node: ClusterNode;
  readonly config: Config;
  readonly logLines: string[];
  /** Log lines with this message. */
  lines(msg: string): string[];
  stop(): Promise<void>;
}

export interface NodeOptions {
  instanceId: string;
  /** Settings beyond REDIS_URL, REDIS_KEY_PREFIX and INSTANCE_ID. */
  env?: Record<string, string>;
  /** Another REDIS_URL (a proxy in front of the test's Redis). */
  url?: string;
  clock?: Clock;
  /** The bot cache bot changes invalidate; default one that forgets nothing. */
  bots?: BotCache;
}

const NO_BOT_CACHE: BotCache = { invalidate() {} };

export async function startNode(fx: RedisFixture, { instanceId, env = {}, url, clock, bots = NO_BOT_CACHE }: NodeOptions): Promise<TestNode> {
  const config = testConfig({ REDIS_URL: url ?? fx.url, REDIS_KEY_PREFIX: fx.prefix, INSTANCE_ID: instanceId, ...env });
  const logLines: string[] = [];
  const logger = createLogger({ level: "debug", stdout: "none", sink: (line) => logLines.push(line) });
  const node = await startCluster({ config, logger, bots, clock });
  return {
    node,
    config,
    logLines,
    lines: (msg) => logLines.filter((l) => JSON.parse(l).msg === msg),
    stop: () => node.stop(),
  };
}

export interface ClusterTestContext {
  /** This test's Redis key prefix (call first). */
  redis(name: string): Promise<RedisFixture>;
  /** A gateway on this test's prefix. */
  node(options: NodeOptions): Promise<TestNode>;
  /** A proxy in front of Redis: its REDIS_URL for `node({ url })`. */
  proxy(): Promise<{ proxy: TcpProxy; url: string }>;
}

/** One Redis prefix, gateways and proxies per test, all stopped and deleted after it. */
export function clusterTestContext(): ClusterTestContext {
  let fx: RedisFixture | undefined;
  const nodes: TestNode[] = [];
  const proxies: TcpProxy[] = [];
  afterEach(async () => {
    for (const n of nodes.splice(0)) await n.stop();
    for (const p of proxies.splice(0)) p.stop();
    await fx?.cleanup();
    fx = undefined;
  });
  return {
    async redis(name) {
      fx = await redisFixture(name);
      return fx;
    },
    async node(options) {
      const n = await startNode(fx!, options);
      nodes.push(n);
      return n;
    },
    async proxy() {
      const proxy = await startTcpProxy({ port: REDIS_PORT });
      proxies.push(proxy);
      return { proxy, url: `redis://127.0.0.1:${proxy.port}/0` };
    },
  };
}

/** The state of a promise now, without waiting for it. */
export async function settled<T>(promise: Promise<T>): Promise<"pending" | "resolved" | "rejected"> {
  const marker = Symbol("pending");
  try {
    const value = await Promise.race([promise, Promise.resolve(marker)]);
    return value === marker ? "pending" : "resolved";
  } catch {
    return "rejected";
  }
}
