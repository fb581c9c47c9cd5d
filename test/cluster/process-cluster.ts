/** The set-up of a multi-process cluster test: a Redis prefix, one fake agent, gateway processes and proxies, all gone after each test. */
import { afterEach } from "bun:test";
import { startFakeAgentServer, type FakeAgentServer } from "../../src/sim/fake-agent-server.ts";
import type { McubeCall } from "../../src/sim/mcube-call.ts";
import { redisFixture, REDIS_PORT, type RedisFixture, type RedisServer } from "../helpers/redis.ts";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.ts";
import { startGatewayProcess, trackConversations, type ConversationTracker, type GatewayProcess } from "./gateway-processes.ts";

export interface ProcessCluster {
  readonly fx: RedisFixture;
  readonly agent: FakeAgentServer;
  readonly tracker: ConversationTracker;
  /** This test's Redis prefix (on the machine's Redis unless `server` says another), the fake agent every gateway uses and its conversation tracker (call first). */
  setUp(name: string, server?: RedisServer): Promise<void>;
  /** A proxy in front of Redis: its REDIS_URL for `start`. */
  proxy(): Promise<{ proxy: TcpProxy; url: string }>;
  /** Gateway processes on this test's prefix, started together. */
  start(ids: string[], env?: Record<string, string>, redisUrl?: string): Promise<GatewayProcess[]>;
  /** A call hung up after the test if still open. */
  keep(call: McubeCall): McubeCall;
}

/** Everything a multi-process cluster test starts, killed and deleted after each test. */
export function processClusterContext(): ProcessCluster {
  let fx: RedisFixture | undefined;
  let agent: FakeAgentServer | undefined;
  let tracker: ConversationTracker | undefined;
  const gateways: GatewayProcess[] = [];
  const proxies: TcpProxy[] = [];
  const calls: McubeCall[] = [];
  afterEach(async () => {
    for (const call of calls.splice(0)) call.hangup();
    await Promise.all(gateways.splice(0).map((g) => g.stop("SIGKILL")));
    for (const p of proxies.splice(0)) p.stop();
    tracker?.stop();
    await agent?.stop();
    await fx?.cleanup();
    fx = agent = tracker = undefined;
  });
  return {
    get fx() {
      return fx!;
    },
    get agent() {
      return agent!;
    },
    get tracker() {
      return tracker!;
    },
    async setUp(name, server) {
      fx = await redisFixture(name, server);
      agent = await startFakeAgentServer({ firstMessage: null });
      tracker = trackConversations(agent);
    },
    async proxy() {
      const proxy = await startTcpProxy({ port: REDIS_PORT });
      proxies.push(proxy);
      return { proxy, url: `redis://127.0.0.1:${proxy.port}/0` };
    },
    async start(ids, env = {}, redisUrl = fx!.url) {
      const started = await Promise.all(ids.map((instanceId) => startGatewayProcess({ instanceId, redisUrl, prefix: fx!.prefix, agent: agent!, env })));
      gateways.push(...started);
      return started;
    },
    keep(call) {
      calls.push(call);
      return call;
    },
  };
}
