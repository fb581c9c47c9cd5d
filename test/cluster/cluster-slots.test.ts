/** The cluster-wide agent-connection limit, with several gateways in one process (each its own Redis connections) on the machine's Redis. */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { HomebookError } from "../../src/base/errors.ts";
import type { ReleaseSlot } from "../../src/call/ports.ts";
import { redisCommands } from "../../src/cluster/cluster-metrics.ts";
import { TestClock } from "../helpers/test-clock.ts";
import type { RedisFixture } from "../helpers/redis.ts";
import { until } from "../helpers/wait.ts";
import { clusterTestContext, settled, type TestNode } from "./nodes.ts";

// Real Redis round trips and lease TTLs of a second or two: room on a loaded 2-core machine.
setDefaultTimeout(30_000);

const t = clusterTestContext();
let fx: RedisFixture;

/** Leases in Redis never lapse during these tests unless the test says so; timers move only with the test clock. */
const STILL = { REDIS_LEASE_TTL_MS: "60000", REDIS_COMMAND_TIMEOUT_MS: "5000" };

async function gateways(name: string, ids: string[], env: Record<string, string>, clock?: TestClock): Promise<TestNode[]> {
  fx = await t.redis(name);
  const nodes: TestNode[] = [];
  for (const instanceId of ids) nodes.push(await t.node({ instanceId, env, clock }));
  return nodes;
}

const open = () => new AbortController().signal;
const queued = async () => Number(await fx.client.send("ZCARD", [`${fx.prefix}slots:queue`]));
const held = async () => Number(await fx.client.send("ZCARD", [`${fx.prefix}slots:held`]));

describe("cluster-wide agent slots", () => {
  test("callers on three gateways get slots in the order they arrived, across gateways", async () => {
    const clock = new TestClock();
    const [a, b, c] = await gateways("fifo", ["gw-a", "gw-b", "gw-c"], { ...STILL, ELEVENLABS_MAX_CONNECTIONS: "1", ELEVENLABS_QUEUE_TIMEOUT_MS: "30000" }, clock);
    const first = await a!.node.slots.acquire(open());
    const granted: string[] = [];
    const releases = new Map<string, ReleaseSlot>();
    const arrive = async (name: string, gw: TestNode) => {
      const before = await queued();
      void gw.node.slots.acquire(open()).then((release) => {
        granted.push(name);
        releases.set(name, release);
      });
      await until(async () => (await queued()) === before + 1, 5000, `${name} to queue`);
    };
    await arrive("b1", b!);
    await arrive("c1", c!);
    await arrive("a2", a!);
    await arrive("b2", b!);
    expect(await held()).toBe(1);

    first();
    await until(() => granted.length === 1, 5000, "the first grant");
    expect(granted).toEqual(["b1"]);
    for (const next of ["c1", "a2", "b2"]) {
      releases.get(granted.at(-1)!)!();
      await until(() => granted.length === ["b1", "c1", "a2", "b2"].indexOf(next) + 1, 5000, `${next}'s grant`);
    }
    expect(granted).toEqual(["b1", "c1", "a2", "b2"]);
    expect(await held()).toBe(1);
    expect(await queued()).toBe(0);
  });

  test("the global limit holds with every gateway asking at once, and counts are cluster-wide", async () => {
    const [a, b, c] = await gateways("limit", ["gw-a", "gw-b", "gw-c"], { ...STILL, ELEVENLABS_MAX_CONNECTIONS: "4", ELEVENLABS_QUEUE_TIMEOUT_MS: "30000" }, new TestClock());
    const held_: ReleaseSlot[] = [];
    const asks = [a!, b!, c!].flatMap((gw) => Array.from({ length: 4 }, () => gw.node.slots.acquire(open()).then((r) => void held_.push(r))));
    await until(async () => (await queued()) === 8, 5000, "eight callers queued");
    expect(held_.length).toBe(4);
    expect(await held()).toBe(4);
    const busiest = await Promise.all([a!, b!, c!].map((gw) => gw.node.slots.renew().then(() => gw.node.slots)));
    for (const slots of busiest) {
      expect(slots.inUse).toBe(4);
      expect(slots.waiting).toBe(8);
      expect(slots.instances).toBe(3);
    }
    for (let served = 4; served < 12; served++) {
      held_.shift()!();
      await until(() => held_.length === 4, 5000, "the next grant");
      expect(await held()).toBe(4);
    }
    for (const release of held_.splice(0)) release();
    await Promise.all(asks);
    await until(async () => (await held()) === 0, 5000, "every slot back");
  });

  test("a caller who waits past ELEVENLABS_QUEUE_TIMEOUT_MS gets a capacity error and gives up its place", async () => {
    const clock = new TestClock();
    fx = await t.redis("timeout");
    const base = { ...STILL, ELEVENLABS_MAX_CONNECTIONS: "1" };
    const a = await t.node({ instanceId: "gw-a", env: { ...base, ELEVENLABS_QUEUE_TIMEOUT_MS: "2000" }, clock });
    const b = await t.node({ instanceId: "gw-b", env: { ...base, ELEVENLABS_QUEUE_TIMEOUT_MS: "10000" }, clock });
    const first = await a.node.slots.acquire(open());
    const impatient = a.node.slots.acquire(open());
    impatient.catch(() => undefined);
    await until(async () => (await queued()) === 1, 5000, "the first caller queued");
    const patient = b.node.slots.acquire(open());
    await until(async () => (await queued()) === 2, 5000, "the second caller queued");

    await clock.advance(1999);
    expect(await settled(impatient)).toBe("pending");
    await clock.advance(1);
    const err = await impatient.then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(HomebookError);
    expect((err as HomebookError).code).toBe("capacity");
    expect((err as HomebookError).message).toContain("no agent connection free within 2000 ms");
    await until(async () => (await queued()) === 1, 5000, "the timed-out place to go");

    first();
    const release = await patient;
    expect(await held()).toBe(1);
    release();
  });

  test("a caller who hangs up while waiting leaves the queue; the next in line is not held up", async () => {
    const [a, b] = await gateways("abort", ["gw-a", "gw-b"], { ...STILL, ELEVENLABS_MAX_CONNECTIONS: "1", ELEVENLABS_QUEUE_TIMEOUT_MS: "30000" }, new TestClock());
    const first = await a!.node.slots.acquire(open());
    const leaving = new AbortController();
    const gone = b!.node.slots.acquire(leaving.signal);
    await until(async () => (await queued()) === 1, 5000, "the caller queued");
    const next = a!.node.slots.acquire(open());
    await until(async () => (await queued()) === 2, 5000, "the next caller queued");
    leaving.abort();
    expect(((await gone.catch((e) => e)) as HomebookError).code).toBe("capacity");
    await until(async () => (await queued()) === 1, 5000, "the place to go");
    first();
    (await next)();
  });

  test("waiting callers cost no Redis traffic of their own: one renewal per interval for the whole gateway", async () => {
    fx = await t.redis("quiet");
    const env = { ...STILL, ELEVENLABS_MAX_CONNECTIONS: "1", ELEVENLABS_QUEUE_TIMEOUT_MS: "600000" };
    const a = await t.node({ instanceId: "gw-a", env, clock: new TestClock() }); // its own clock: its renewals stay out of the count
    const clock = new TestClock();
    const b = await t.node({ instanceId: "gw-b", env, clock });
    const first = await a.node.slots.acquire(open());
    const acquired = redisCommands.get({ operation: "acquire", result: "ok" });
    const waiting = Array.from({ length: 10 }, () => b.node.slots.acquire(open()));
    // Every answer in before time moves: a command still in flight would see its timeout pass.
    await until(() => redisCommands.get({ operation: "acquire", result: "ok" }) === acquired + 10, 5000, "ten callers queued");
    expect(await queued()).toBe(10);
    const sent = b.node.redis.sent;
    const answered = () => redisCommands.get({ operation: "renew_slots", result: "ok" });
    const before = answered();
    for (let round = 1; round <= 3; round++) {
      await clock.advance(20_000); // a third of the TTL
      await until(() => answered() === before + round, 5000, `renewal round ${round}`);
    }
    expect(b.node.redis.sent).toBe(sent + 3);
    // Each caller hangs up at once when served: the ten go through one after another on pub/sub wake-ups.
    for (const w of waiting) void w.then((release) => release());
    first();
    await Promise.all(waiting);
  });
});

describe("gateways that die", () => {
  test("a dead gateway's queued caller promoted to a free slot holds it no longer than its last renewal allows; then the next caller gets it", async () => {
    fx = await t.redis("dead-waiter");
    const { proxy, url } = await t.proxy();
    const env = { ELEVENLABS_MAX_CONNECTIONS: "1", ELEVENLABS_QUEUE_TIMEOUT_MS: "30000", REDIS_LEASE_TTL_MS: "1500", REDIS_COMMAND_TIMEOUT_MS: "300" };
    const a = await t.node({ instanceId: "gw-a", env, url });
    const b = await t.node({ instanceId: "gw-b", env });
    const first = await b.node.slots.acquire(open());
    void a.node.slots.acquire(open()).catch(() => undefined);
    await until(async () => (await queued()) === 1, 5000, "gw-a's caller queued");
    proxy.stall(); // to Redis, gw-a is dead from now on: it renews nothing more
    const [[deadId, placeExpiresAt]] = (await fx.zset("slots:queue-expiry")) as [[string, number]];
    const next = b.node.slots.acquire(open());
    await until(async () => (await queued()) === 2, 5000, "gw-b's next caller queued");

    first();
    await until(async () => (await fx.zset("slots:held")).some(([id]) => id === deadId), 5000, "the dead caller's promotion");
    expect((await fx.zset("slots:held")).find(([id]) => id === deadId)![1]).toBe(placeExpiresAt);
    (await next)();
    expect(await fx.time()).toBeGreaterThanOrEqual(placeExpiresAt);
  });
});

describe("Redis outage", () => {
  test("a gateway cut off from Redis serves its share of the limit, FIFO, and registers its slots again when Redis returns", async () => {
    fx = await t.redis("outage");
    const { proxy, url } = await t.proxy();
    const env = { ELEVENLABS_MAX_CONNECTIONS: "4", ELEVENLABS_QUEUE_TIMEOUT_MS: "30000", REDIS_LEASE_TTL_MS: "1500", REDIS_COMMAND_TIMEOUT_MS: "300" };
    const a = await t.node({ instanceId: "gw-a", env, url });
    const b = await t.node({ instanceId: "gw-b", env });
    await Promise.all([a.node.slots.renew(), b.node.slots.renew()]); // both seen alive: share = 4 / 2
    const a1 = await a.node.slots.acquire(open());
    const b1 = await b.node.slots.acquire(open());
    const b2 = await b.node.slots.acquire(open());
    expect(await held()).toBe(3);

    proxy.cut();
    await until(() => a.node.redis.health.state === "down", 5000, "gw-a to notice");
    expect(a.node.slots.share).toBe(2);
    const a2 = await a.node.slots.acquire(open());
    const a3 = a.node.slots.acquire(open());
    expect(await settled(a3)).toBe("pending");
    expect(a.node.slots.local).toEqual({ inUse: 2, waiting: 1 });
    a1();
    const a3Release = await a3;
    expect(a.node.slots.local).toEqual({ inUse: 2, waiting: 0 });

    proxy.restore();
    await until(() => a.node.redis.health.isUp, 10_000, "gw-a to recover");
    // a1 was released during the outage: its lease lapses within the TTL; a2 and a3 are registered again.
    await until(async () => (await held()) === 4, 10_000, "the cluster count to be exact again");
    const members = (await fx.zset("slots:held")).map(([m]) => m);
    expect(members.filter((m) => m.startsWith("gw-a#")).length).toBe(2);
    expect(members.filter((m) => m.startsWith("gw-b#")).length).toBe(2);
    expect(a.lines("redis unreachable: calls go on, limited to this gateway's share of ELEVENLABS_MAX_CONNECTIONS; the registry shows local calls").length).toBe(1);
    expect(a.lines("redis up again: cluster-wide limits and registry restored").length).toBe(1);

    for (const release of [a2, a3Release, b1, b2]) release();
    await until(async () => (await held()) === 0, 5000, "every slot back");
  });
});
