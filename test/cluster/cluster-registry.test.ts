/** The cluster call registry: session ids claimed cluster-wide, views kept fresh by the lease, local calls during an outage and registration again after it. */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import type { LiveCall } from "../../src/call/call-record.ts";
import { until } from "../helpers/wait.ts";
import { clusterTestContext } from "./nodes.ts";

// Real Redis round trips and lease TTLs of a second or two: room on a loaded 2-core machine.
setDefaultTimeout(30_000);

const t = clusterTestContext();

const ENV = { REDIS_LEASE_TTL_MS: "1500", REDIS_COMMAND_TIMEOUT_MS: "300" };

function view(sessionId: string, fields: Partial<LiveCall> = {}): LiveCall {
  return {
    sessionId,
    state: "live",
    startedAt: Date.now(),
    did: "8040001234",
    botId: "bot_sales",
    customerNumber: "9876543210",
    framesIn: 10,
    framesOut: 5,
    interruptions: 0,
    transcript: [{ role: "user", text: "my account number is 12345", offsetMs: 900 }],
    ...fields,
  };
}

const ids = (calls: LiveCall[]) => calls.map((c) => c.sessionId).sort();

describe("cluster call registry", () => {
  test("a session id live on one gateway is refused on another; every gateway lists and finds it, without the caller's number or words", async () => {
    const fx = await t.redis("registry");
    const a = await t.node({ instanceId: "gw-a", env: ENV });
    const b = await t.node({ instanceId: "gw-b", env: ENV });
    expect(await a.node.registry.claim("sess-1")).toBe(true);
    expect(await b.node.registry.claim("sess-1")).toBe(false);
    expect(await a.node.registry.claim("sess-1")).toBe(false); // a second socket on the same gateway
    expect(await b.node.registry.claim("sess-2")).toBe(true);

    a.node.registry.update(view("sess-1"));
    await until(async () => (await b.node.registry.find("sess-1"))?.state === "live", 5000, "gw-b to see the update");
    const seen = (await b.node.registry.find("sess-1"))!;
    expect(seen).toMatchObject({ sessionId: "sess-1", instance: "gw-a", state: "live", did: "8040001234", botId: "bot_sales", transcript: [] });
    expect(seen.customerNumber).toBeUndefined();
    expect(JSON.stringify(await fx.client.send("HGETALL", [`${fx.prefix}call:sess-1`]))).not.toContain("9876543210");

    const listed = await a.node.registry.list();
    expect(ids(listed)).toEqual(["sess-1", "sess-2"]);
    expect(listed.find((c) => c.sessionId === "sess-2")!.instance).toBe("gw-b");

    a.node.registry.release("sess-1");
    await until(async () => (await b.node.registry.find("sess-1")) === undefined, 5000, "the entry to go");
    expect(await b.node.registry.claim("sess-1")).toBe(true);
  });

  test("entries are renewed while their gateway reaches Redis, lapse when it cannot, and are written again when Redis returns", async () => {
    const fx = await t.redis("registry-outage");
    const { proxy, url } = await t.proxy();
    const a = await t.node({ instanceId: "gw-a", env: ENV, url });
    const b = await t.node({ instanceId: "gw-b", env: ENV });
    expect(await a.node.registry.claim("kept")).toBe(true);
    a.node.registry.update(view("kept"));
    // A renewal shows as the entry's time to live jumping back up between two readings.
    let last = Infinity;
    await until(async () => {
      const ttl = Number(await fx.client.send("PTTL", [`${fx.prefix}call:kept`]));
      const renewed = ttl > last;
      last = ttl;
      return renewed;
    }, 5000, "a renewal");

    proxy.cut();
    await until(() => a.node.redis.health.state === "down", 5000, "gw-a to notice");
    expect(await a.node.registry.claim("during")).toBe(true); // never refused for Redis's sake
    a.node.registry.update(view("during"));
    expect(await b.node.registry.claim("both")).toBe(true);
    expect(await a.node.registry.claim("both")).toBe(true); // gw-a cannot know
    expect(ids(await a.node.registry.list())).toEqual(["both", "during", "kept"]);
    await until(async () => (await b.node.registry.find("kept")) === undefined, 10_000, "gw-a's entry to lapse");

    proxy.restore();
    await until(async () => ids(await b.node.registry.list()).join() === "both,during,kept", 10_000, "gw-a's calls to be registered again");
    expect((await b.node.registry.find("both"))!.instance).toBe("gw-b");
    expect((await b.node.registry.find("during"))!.instance).toBe("gw-a");
    await until(() => a.lines("another gateway registered a session id this gateway carries (both accepted it while Redis was unreachable)").length === 1, 5000, "the conflict warning");
  });
});
