/** Gateway processes sharing Redis: live calls listed and found on any gateway, a live session id refused elsewhere, bot changes seen at once. */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { join, resolve } from "node:path";
import { tempDir } from "../helpers/env.ts";
import { until } from "../helpers/wait.ts";
import { DID, type GatewayProcess } from "./gateway-processes.ts";
import { processClusterContext } from "./process-cluster.ts";

setDefaultTimeout(90_000);

const MAIN = resolve(import.meta.dir, "../../src/main.ts");

const t = processClusterContext();

async function twoGateways(env: Record<string, string> = {}): Promise<[GatewayProcess, GatewayProcess]> {
  return (await t.start(["gw-a", "gw-b"], env)) as [GatewayProcess, GatewayProcess];
}

/** `homebook <args>` with this test's Redis and `env`; exit code and stderr. */
async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  const proc = Bun.spawn([process.execPath, MAIN, ...args], {
    env: { PATH: process.env.PATH ?? "", REDIS_URL: t.fx.url, REDIS_KEY_PREFIX: t.fx.prefix, ...env },
    stdout: "ignore",
    stderr: "pipe",
  });
  const stderr = await new Response(proc.stderr).text();
  return { code: await proc.exited, stderr };
}

describe("the cluster registry across gateway processes", () => {
  test("GET /calls on either gateway lists both gateways' calls with their instance; /calls/{id} finds a call on the other one", async () => {
    await t.setUp("e2e-registry");
    const [a, b] = await twoGateways();
    const { tracker } = t;
    t.keep(await a.call("on-a"));
    t.keep(await b.call("on-b"));
    await until(() => tracker.all.length === 2, 10_000, "two conversations");

    for (const gw of [a, b]) {
      await until(async () => (await gw.admin("/calls")).body.calls.every((c: any) => c.state === "live") && (await gw.admin("/calls")).body.count === 2, 10_000, `${gw.instanceId}'s list`);
      const { body } = await gw.admin("/calls");
      expect(body.live).toBe(true);
      expect(body.calls.map((c: any) => [c.session_id, c.instance, c.did])).toEqual([
        ["on-a", "gw-a", DID],
        ["on-b", "gw-b", DID],
      ]);
    }
    const found = await a.admin("/calls/on-b");
    expect(found.status).toBe(200);
    expect(found.body).toMatchObject({ status: "live", call: { session_id: "on-b", instance: "gw-b", state: "live", transcript: [] } });
    const own = await a.admin("/calls/on-a");
    expect(own.body.call.customer_number).toBe("9876543210"); // the gateway carrying a call shows it whole
    expect(found.body.call.customer_number).toBeUndefined(); // it never goes through Redis

    // A renewal round of gw-b after both calls took their slots counts both gateways and both slots.
    await until(async () => {
      const redis = (await b.health()).components.redis;
      return redis.instances === 2 && redis.agent_connections_in_use === 2;
    }, 10_000, "gw-b's renewal round to count both gateways and both slots");
    const health = await b.health();
    expect(health.status).toBe("healthy");
    expect(health.components.redis).toMatchObject({ state: "up", instance: "gw-b", instances: 2, agent_connections_in_use: 2 });
  });

  test("a session id live on one gateway is refused on the other with 1008; the live call carries on", async () => {
    await t.setUp("e2e-duplicate");
    const [a, b] = await twoGateways();
    const { tracker } = t;
    const live = t.keep(await a.call("twice"));
    await until(() => tracker.all.length === 1, 10_000, "the conversation");
    const duplicate = await b.call("twice");
    expect(await duplicate.closed).toMatchObject({ code: 1008, reason: "session id already live" });
    expect((await a.admin("/calls/twice")).body).toMatchObject({ status: "live", call: { instance: "gw-a" } });
    void tracker.all[0]!.speak({ durationMs: 300 });
    await live.waitForTimeline("playedStream", 10_000);
    expect(tracker.all).toHaveLength(1);
  });
});

describe("draining with the cluster", () => {
  test("a draining gateway stops counting as one taking calls, keeps its live call registered, and leaves the registry when that call ends", async () => {
    await t.setUp("e2e-drain");
    const [a, b] = await twoGateways({ REDIS_LEASE_TTL_MS: "1500", REDIS_COMMAND_TIMEOUT_MS: "300", DRAIN_TIMEOUT_MS: "60000" });
    const { tracker, fx } = t;
    const live = t.keep(await a.call("draining-call"));
    await until(() => tracker.all.length === 1, 10_000, "the conversation");
    await until(async () => (await b.health()).components.redis.instances === 2, 10_000, "both gateways counted");

    a.proc.kill("SIGTERM");
    await until(async () => (await fetch(`${a.base}/health`)).status === 503, 10_000, "gw-a to drain");
    await until(async () => (await b.health()).components.redis.instances === 1, 10_000, "gw-b to count gw-a out");
    expect((await b.admin("/calls/draining-call")).body).toMatchObject({ status: "live", call: { instance: "gw-a" } });
    expect((await (await a.call("too-late")).closed).code).toBe(1013);

    await tracker.end(tracker.all[0]!);
    expect((await live.closed).code).toBe(1000);
    expect(await a.proc.exited).toBe(0);
    expect((await b.admin("/calls")).body.count).toBe(0);
    expect((await fx.zset("instances")).map(([id]) => id)).toEqual(["gw-b"]);
    expect(await fx.client.exists(`${fx.prefix}call:draining-call`)).toBe(false);
  });
});

describe("bot changes", () => {
  test("homebook bots update reaches every gateway at once, long before BOT_CACHE_TTL_MS", async () => {
    const db = join(tempDir("homebook-cluster-bots-"), "bots.db");
    await t.setUp("e2e-bots");
    const { tracker } = t;
    expect((await cli(["bots", "add", "--did", DID, "--agent-id", "agent_one", "--bot-id", "bot_x"], { HOMEBOOK_DB_PATH: db })).code).toBe(0);
    const [a, b] = await twoGateways({ HOMEBOOK_DB_PATH: db, BOT_CACHE_TTL_MS: "3600000" });
    const agentOf = async (gw: GatewayProcess, sessionId: string) => {
      const call = await gw.call(sessionId);
      const conversation = (await until(async () => {
        for (const c of tracker.all) if ((await tracker.sessionOf(c)) === sessionId) return c;
        return undefined;
      }, 10_000, `${sessionId}'s conversation`))!;
      await tracker.end(conversation);
      await call.closed;
      return conversation.agentId;
    };
    expect([await agentOf(a, "before-a"), await agentOf(b, "before-b")]).toEqual(["agent_one", "agent_one"]); // both have it cached now

    const update = await cli(["bots", "update", "--bot-id", "bot_x", "--agent-id", "agent_two"], { HOMEBOOK_DB_PATH: db });
    expect(update).toEqual({ code: 0, stderr: "" });
    for (const gw of [a, b]) await until(async () => (await gw.metric('homebook_bot_invalidations_total{source="pubsub"}')) === 1, 10_000, `${gw.instanceId} to hear of it`);
    expect([await agentOf(a, "after-a"), await agentOf(b, "after-b")]).toEqual(["agent_two", "agent_two"]);

    const cutOff = await cli(["did", "remove", "--did", DID], { HOMEBOOK_DB_PATH: db, REDIS_URL: "redis://127.0.0.1:1/0" });
    expect(cutOff.code).toBe(0);
    expect(cutOff.stderr).toContain("could not reach Redis (REDIS_URL) to tell running gateways; they see the change within BOT_CACHE_TTL_MS");
  });
});
