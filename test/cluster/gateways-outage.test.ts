/** Redis cut off in the middle of live calls (a loopback proxy the test controls; the shared Redis keeps running): no call is lost and the cluster recovers. */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import type { McubeCall } from "../../src/sim/mcube-call.ts";
import { until } from "../helpers/wait.ts";
import type { GatewayProcess } from "./gateway-processes.ts";
import { processClusterContext } from "./process-cluster.ts";

setDefaultTimeout(90_000);

const t = processClusterContext();

const UNREACHABLE = "redis unreachable: calls go on, limited to this gateway's share of ELEVENLABS_MAX_CONNECTIONS; the registry shows local calls";

describe("a Redis outage with calls live on two gateways", () => {
  test("the calls go on, a new call is served from the gateway's share, and when Redis returns every lease and call is registered again", async () => {
    await t.setUp("e2e-outage");
    const { fx, tracker } = t;
    const { proxy, url } = await t.proxy();
    const env = { ELEVENLABS_MAX_CONNECTIONS: "4", ELEVENLABS_QUEUE_TIMEOUT_MS: "30000", REDIS_LEASE_TTL_MS: "1500", REDIS_COMMAND_TIMEOUT_MS: "300" };
    const gateways = await t.start(["gw-a", "gw-b"], env, url);
    const [a, b] = gateways as [GatewayProcess, GatewayProcess];
    await until(async () => (await a.health()).components.redis.instances === 2, 10_000, "gw-a to see two gateways");
    const calls = new Map<string, McubeCall>([
      ["a-1", t.keep(await a.call("a-1"))],
      ["b-1", t.keep(await b.call("b-1"))],
    ]);
    await until(() => tracker.all.length === 2, 10_000, "two conversations");

    proxy.cut();
    for (const gw of gateways) await until(async () => (await gw.health()).components.redis.state === "down", 10_000, `${gw.instanceId} to notice`);
    expect((await a.health()).status).toBe("healthy");

    // The live calls carry on: each agent speaks and its caller hears the turn through.
    for (const conversation of tracker.all) {
      const call = calls.get(await tracker.sessionOf(conversation))!;
      void conversation.speak({ durationMs: 300 });
      await call.waitForTimeline("playedStream", 10_000);
    }
    // A new call during the outage: gw-a's share is 4 / 2 gateways, it holds one.
    calls.set("a-2", t.keep(await a.call("a-2")));
    await until(() => tracker.all.length === 3, 10_000, "the new call's conversation");
    expect(await tracker.sessionOf(tracker.all[2]!)).toBe("a-2");

    // Outlast the leases: in Redis every slot and call entry has lapsed before it comes back.
    const lapsed = async () => {
      const now = await fx.time();
      const slots = await fx.zset("slots:held");
      return slots.length === 2 && slots.every(([, expiresAt]) => expiresAt <= now) && !(await fx.client.exists(`${fx.prefix}call:a-1`));
    };
    await until(lapsed, 10_000, "the leases to lapse");

    proxy.restore();
    for (const gw of gateways) await until(async () => (await gw.health()).components.redis.state === "up", 10_000, `${gw.instanceId} to recover`);
    const now = await fx.time();
    const slots = await fx.zset("slots:held");
    expect(slots).toHaveLength(3);
    expect(slots.every(([, expiresAt]) => expiresAt > now)).toBe(true);
    await until(async () => (await b.admin("/calls")).body.count === 3, 10_000, "gw-b to list all three calls");
    const listed = (await b.admin("/calls")).body.calls.map((c: any) => `${c.session_id}@${c.instance}`).sort();
    expect(listed).toEqual(["a-1@gw-a", "a-2@gw-a", "b-1@gw-b"]);

    for (const conversation of [...tracker.all]) await tracker.end(conversation);
    for (const call of calls.values()) {
      expect((await call.closed).code).toBe(1000);
      expect(call.received.some((f) => f.event === "terminate")).toBe(true);
      expect(call.received.some((f) => f.event === "transfer")).toBe(false);
    }
    for (const gw of gateways) expect(gw.logs().filter((l) => l.msg === UNREACHABLE)).toHaveLength(1);
  });

  test("Redis that hangs: its commands time out after REDIS_COMMAND_TIMEOUT_MS, and a new call is admitted and answered from the gateway's share", async () => {
    await t.setUp("e2e-stall");
    const { tracker } = t;
    const { proxy, url } = await t.proxy();
    const [a] = await t.start(["gw-a"], { REDIS_LEASE_TTL_MS: "6000", REDIS_COMMAND_TIMEOUT_MS: "1000" }, url);
    proxy.stall();
    const call = t.keep(await a!.call("during-stall"));
    await until(() => tracker.all.length === 1, 15_000, "the call's conversation");
    expect(await tracker.sessionOf(tracker.all[0]!)).toBe("during-stall");
    const health = await a!.health();
    expect(health.status).toBe("healthy");
    expect(health.components.redis).toMatchObject({ state: "down", last_error: expect.stringContaining("REDIS_COMMAND_TIMEOUT_MS (1000 ms)") });
    void tracker.all[0]!.speak({ durationMs: 300 });
    await call.waitForTimeline("playedStream", 10_000);
    expect(call.received.some((f) => f.event === "transfer")).toBe(false);
  });
});
