/** Gateway processes on a TLS Redis with a password (rediss://, a private redis-server and a test CA): one cluster when the settings are right, calls answered and one clear warning when the password is wrong. */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { startTlsRedis, type TlsRedis } from "../helpers/tls-redis.ts";
import { until } from "../helpers/wait.ts";
import type { GatewayProcess } from "./gateway-processes.ts";
import { processClusterContext } from "./process-cluster.ts";

setDefaultTimeout(90_000);

const t = processClusterContext();
let server: TlsRedis;

beforeAll(async () => {
  server = await startTlsRedis();
});
afterAll(() => server?.stop());

/** This test's prefix and fixture client on the TLS Redis. */
async function setUp(name: string): Promise<void> {
  await t.setUp(name, { url: server.url(), tlsCa: readFileSync(server.caFile, "utf8") });
}

describe("gateways on rediss:// with a password", () => {
  test("with REDIS_TLS_CA_FILE two gateways act as one: a call on each, both listed on either, both connection slots counted", async () => {
    await setUp("tls-cluster");
    const [a, b] = (await t.start(["gw-a", "gw-b"], { REDIS_TLS_CA_FILE: server.caFile })) as [GatewayProcess, GatewayProcess];
    t.keep(await a.call("on-a"));
    t.keep(await b.call("on-b"));
    await until(() => t.tracker.all.length === 2, 10_000, "two conversations");

    for (const gw of [a, b]) {
      await until(async () => (await gw.admin("/calls")).body.count === 2, 10_000, `${gw.instanceId}'s list`);
      const { body } = await gw.admin("/calls");
      // Both calls, each with the gateway that holds it (the two started within the same few ms: order is not the point).
      expect(body.calls.map((c: any) => `${c.session_id}@${c.instance}`).sort()).toEqual(["on-a@gw-a", "on-b@gw-b"]);
    }
    await until(async () => {
      const redis = (await a.health()).components.redis;
      return redis.instances === 2 && redis.agent_connections_in_use === 2;
    }, 10_000, "gw-a's renewal round to count both gateways and both slots");
    expect((await a.health()).components.redis).toMatchObject({ state: "up", redis: `rediss://***@127.0.0.1:${server.port}/0` });
    expect(await t.fx.zset("slots:held")).toHaveLength(2); // held in the TLS Redis itself
    for (const gw of [a, b]) expect(readFileSync(gw.logFile, "utf8")).not.toContain(server.password);
  });

  test("NODE_EXTRA_CA_CERTS trusts the CA as well as REDIS_TLS_CA_FILE does", async () => {
    await setUp("tls-extra-ca");
    const [a] = await t.start(["gw-a"], { NODE_EXTRA_CA_CERTS: server.caFile });
    await until(async () => (await a!.health()).components.redis.state === "up", 10_000, "the link to come up");
    expect(await t.fx.zset("instances")).toEqual([["gw-a", expect.any(Number)]]);
  });

  test("a wrong password: the gateway answers calls on its own share and logs one warning naming the password as the problem, never the password", async () => {
    await setUp("tls-wrong-password");
    const wrong = `wrong-${crypto.randomUUID()}`;
    const connections = async () => Number(/total_connections_received:(\d+)/.exec(String(await t.fx.client.send("INFO", ["stats"])))?.[1]);
    const before = await connections();
    const [a] = await t.start(["gw-a"], { REDIS_TLS_CA_FILE: server.caFile }, server.url(wrong));
    const health = await a!.health();
    expect(health.status).toBe("healthy");
    expect(health.components.redis).toMatchObject({ state: "down", last_error: "redis refused the user and password in REDIS_URL (WRONGPASS)" });

    const call = t.keep(await a!.call("alone"));
    await until(() => t.tracker.all.length === 1, 10_000, "the call's conversation");
    void t.tracker.all[0]!.speak({ durationMs: 300 });
    await call.waitForTimeline("playedStream", 10_000);
    expect(call.received.some((f) => f.event === "transfer")).toBe(false);

    // Redis saw the first attempt and at least one retry (two connections and the probe each), all refused.
    await until(async () => (await connections()) >= before + 6, 10_000, "a retry to be refused too");
    expect((await a!.health()).components.redis.state).toBe("down");
    const warnings = a!.logs().filter((l) => l.level === "warn" && String(l.msg).startsWith("redis unreachable"));
    expect(warnings).toEqual([
      expect.objectContaining({
        msg: "redis unreachable at start: calls go on, limited to this gateway's share of ELEVENLABS_MAX_CONNECTIONS",
        redis: `rediss://***@127.0.0.1:${server.port}/0`,
        reason: "redis refused the user and password in REDIS_URL (WRONGPASS)",
        fix: expect.stringContaining("check the password (and user) in REDIS_URL"),
      }),
    ]);
    expect(readFileSync(a!.logFile, "utf8")).not.toContain(wrong);
  });
});
