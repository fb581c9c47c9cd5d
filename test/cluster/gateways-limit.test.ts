/** Gateway processes sharing the machine's Redis hold ELEVENLABS_MAX_CONNECTIONS together, in arrival order, and take back a killed gateway's slots. */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import type { McubeCall } from "../../src/sim/mcube-call.ts";
import { until } from "../helpers/wait.ts";
import type { GatewayProcess } from "./gateway-processes.ts";
import { processClusterContext } from "./process-cluster.ts";

// Several gateway processes and real-time calls on a shared 2-core machine.
setDefaultTimeout(90_000);

const t = processClusterContext();

async function cluster(name: string, ids: string[], env: Record<string, string>): Promise<GatewayProcess[]> {
  await t.setUp(name);
  return t.start(ids, env);
}

const queued = async () => Number(await t.fx.client.send("ZCARD", [`${t.fx.prefix}slots:queue`]));

/** Places a call and waits until it is queued for a slot (its place in the arrival order is fixed then). */
async function queue(gw: GatewayProcess, sessionId: string): Promise<McubeCall> {
  const before = await queued();
  const call = t.keep(await gw.call(sessionId));
  await until(async () => (await queued()) === before + 1, 10_000, `${sessionId} to queue`);
  return call;
}

describe("a cluster of gateway processes", () => {
  test("three gateways, three times oversubscribed: never more than ELEVENLABS_MAX_CONNECTIONS conversations, and every caller served", async () => {
    const gws = await cluster("e2e-limit", ["gw-a", "gw-b", "gw-c"], { ELEVENLABS_MAX_CONNECTIONS: "4", ELEVENLABS_QUEUE_TIMEOUT_MS: "60000" });
    const sessions = gws.flatMap((gw) => [1, 2, 3, 4].map((n) => ({ gw, id: `${gw.instanceId}-${n}` })));
    const calls = await Promise.all(sessions.map(async ({ gw, id }) => t.keep(await gw.call(id))));
    const { tracker } = t;
    await until(async () => tracker.all.length === 4 && (await queued()) === 8, 20_000, "four conversations and eight callers waiting");

    // The agent ends the oldest conversation; exactly one waiting caller takes its place.
    for (let served = 4; served < 12; served++) {
      await tracker.end(tracker.all[served - 4]!);
      await until(() => tracker.all.length === served + 1, 20_000, `conversation ${served + 1}`);
      expect(tracker.peak).toBe(4);
    }
    for (const c of tracker.all.slice(8)) await tracker.end(c);

    expect(tracker.peak).toBe(4);
    const served = await Promise.all(tracker.all.map((c) => tracker.sessionOf(c)));
    expect(served.sort()).toEqual(sessions.map((s) => s.id).sort());
    for (const call of calls) expect((await call.closed).code).toBe(1000);
    expect(calls.every((call) => !call.received.some((f) => f.event === "transfer"))).toBe(true);
  });

  test("callers get connections in the order they arrived, whichever gateway they called", async () => {
    const [a, b] = await cluster("e2e-order", ["gw-a", "gw-b"], { ELEVENLABS_MAX_CONNECTIONS: "1", ELEVENLABS_QUEUE_TIMEOUT_MS: "60000" });
    const { tracker } = t;
    t.keep(await a!.call("first"));
    await until(() => tracker.all.length === 1, 10_000, "the first conversation");
    const order = ["b-1", "a-2", "b-3", "a-4"];
    for (const id of order) await queue(id.startsWith("a") ? a! : b!, id);

    for (let i = 0; i < order.length; i++) {
      await tracker.end(tracker.all[i]!);
      await until(() => tracker.all.length === i + 2, 20_000, `the conversation of ${order[i]}`);
    }
    await tracker.end(tracker.all.at(-1)!);
    expect(await Promise.all(tracker.all.map((c) => tracker.sessionOf(c)))).toEqual(["first", ...order]);
    expect(tracker.peak).toBe(1);
  });

  test("kill -9 of a gateway: its slot and its queued caller lapse within REDIS_LEASE_TTL_MS, and the caller waiting elsewhere gets the slot", async () => {
    const ttlMs = 1500;
    const [a, b] = await cluster("e2e-kill", ["gw-a", "gw-b"], {
      ELEVENLABS_MAX_CONNECTIONS: "1",
      ELEVENLABS_QUEUE_TIMEOUT_MS: "60000",
      REDIS_LEASE_TTL_MS: String(ttlMs),
      REDIS_COMMAND_TIMEOUT_MS: "300",
    });
    const { tracker, fx } = t;
    const held = t.keep(await a!.call("a-held"));
    await until(() => tracker.all.length === 1, 10_000, "gw-a's conversation");
    const queuedOnA = await queue(a!, "a-queued");
    const waiting = await queue(b!, "b-waiting");

    expect(await a!.stop("SIGKILL")).not.toBe(0);
    const killedAt = await fx.time();
    const leases = [...(await fx.zset("slots:held")), ...(await fx.zset("slots:queue-expiry"))].filter(([id]) => id.startsWith("gw-a#"));
    expect(leases.length).toBe(2);
    for (const [, expiresAt] of leases) expect(expiresAt - killedAt).toBeLessThanOrEqual(ttlMs);
    expect((await held.closed).code).toBe(1006);
    expect((await queuedOnA.closed).code).toBe(1006);

    await until(() => tracker.all.length === 2, 20_000, "the waiting caller's conversation");
    expect(await tracker.sessionOf(tracker.all[1]!)).toBe("b-waiting");
    expect(waiting.received.some((f) => f.event === "transfer")).toBe(false);
    expect(await fx.zset("slots:held")).toHaveLength(1);
    await tracker.end(tracker.all[1]!);
    expect((await waiting.closed).code).toBe(1000);
  });
});
