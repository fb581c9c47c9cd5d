/** A hung MariaDB behind a loopback proxy: one bounded wait opens the store breaker, later lookups never touch the store, the probe closes it. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createBotAdmin } from "../../src/store/bot-admin.ts";
import { createBotResolver } from "../../src/store/bot-resolver.ts";
import { openDatabases } from "../../src/store/open-databases.ts";
import { createOutboundAttemptStore } from "../../src/store/outbound-attempts.ts";
import { createStoreBreaker } from "../../src/store/store-breaker.ts";
import { storeBreakerShortCircuits } from "../../src/store/store-metrics.ts";
import { createOutboundContextLookup } from "../../src/outbound/context-lookup.ts";
import { startGateway } from "../../src/http/server.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { type Databases } from "../../src/store/sql.ts";
import { TestClock } from "../helpers/test-clock.ts";
import { StoreProxy } from "../ops/helpers.ts";
import { capturingLogger, configFor, mysqlTarget } from "./stores.ts";

const KNOWN = "8050001000";
const UNSEEN = "8050002000";
const target = mysqlTarget("breaker");
let seed: Databases;

beforeAll(async () => {
  await target.prepare();
  seed = await openDatabases(configFor(target), silentLogger);
  const admin = createBotAdmin(seed);
  await admin.addBot("bot_known", { agentId: "agent_known" }, [KNOWN]);
  await admin.addBot("bot_unseen", { agentId: "agent_unseen" }, [UNSEEN]);
  await createOutboundAttemptStore(seed.cluster).create({ refid: "hb-1", did: KNOWN, number: "9876543210", name: "Asha", variables: { city: "Pune" } });
  await createOutboundAttemptStore(seed.cluster).update("hb-1", { status: "placed", callid: "call-out-1" });
});
afterAll(async () => {
  await seed?.close();
  await target.destroy();
});

/** True when `promise` has settled after a few event-loop turns without moving fake time. */
async function settledAtOnce(clock: TestClock, promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(() => (settled = true));
  await clock.settle();
  return settled;
}

/**
 * The store behind a proxy the test can hang, with the breaker and both call-path lookups on one
 * TestClock. The pool's own deadlines are short so hung connections are given up in real time; the
 * lookups' bound (1000 ms) is on the fake clock.
 */
async function behindProxy() {
  const proxy = new StoreProxy();
  await proxy.start();
  const config = configFor(target, {
    DATABASE_PORT: String(proxy.port),
    BOT_CACHE_TTL_MS: "0",
    BOT_LOOKUP_TIMEOUT_MS: "1000",
    DATABASE_CONNECT_TIMEOUT_MS: "500",
    DATABASE_QUERY_TIMEOUT_MS: "500",
  });
  const dbs = await openDatabases(config, silentLogger);
  const clock = new TestClock();
  const logger = capturingLogger();
  // A generous probe bound in fake time: the probe's real round trip must not race the fake clock.
  const breaker = createStoreBreaker({ dbs, logger, clock, probeTimeoutMs: 60_000 });
  const bots = createBotResolver({ dbs, config, logger, breaker, clock });
  const outbound = createOutboundContextLookup({ store: createOutboundAttemptStore(dbs.cluster), logger, breaker, timeoutMs: 1000, clock });
  return { proxy, config, dbs, clock, logger, breaker, bots, outbound };
}

describe("store breaker on a hung MariaDB", () => {
  test("the first lookups wait BOT_LOOKUP_TIMEOUT_MS once and open it; later ones answer at once without the store; the probe closes it", async () => {
    const { proxy, config, dbs, clock, logger, breaker, bots, outbound } = await behindProxy();
    const gateway = await startGateway({ config, logger: silentLogger, sockets: () => ({ open() {}, message() {}, close() {} }), components: { store: () => breaker.health() } });
    const health = async () => {
      const res = await fetch(`${gateway.url}/health`);
      return { code: res.status, body: (await res.json()) as { status: string; components: { store: { state: string; opens: number } } } };
    };
    const breakerLines = () => logger.lines.filter((l) => String(l.msg).startsWith("store breaker open") || String(l.msg).startsWith("store answers again")).map((l) => l.msg);
    try {
      // Healthy: the store answers (real I/O; fake time does not move).
      expect(await bots.resolve(KNOWN)).toMatchObject({ source: "store", bot: { botId: "bot_known" } });
      expect(await outbound.find("call-out-1")).toMatchObject({ refid: "hb-1", variables: { city: "Pune" } });
      expect((await health()).body.components.store).toEqual({ state: "closed", opens: 0 });

      proxy.hang();
      // The first call: bot and outbound lookups run together and are released together, at the one bound.
      const answeredAt: Record<string, number> = {};
      const firstBot = bots.resolve(KNOWN).then((r) => ((answeredAt.bot = clock.now()), r));
      const firstOutbound = outbound.find("call-out-1").then((r) => ((answeredAt.outbound = clock.now()), r));
      await clock.advance(999);
      expect(answeredAt).toEqual({});
      expect(breaker.isOpen).toBe(false);
      await clock.advance(1);
      expect(await firstBot).toMatchObject({ source: "stale", bot: { botId: "bot_known" } });
      expect(await firstOutbound).toBeUndefined();
      expect(answeredAt).toEqual({ bot: 1000, outbound: 1000 });
      expect(breaker.isOpen).toBe(true);
      expect(proxy.seen.bytes).toBeGreaterThan(0); // the hung store really was asked

      // Later calls: answered within the same instant, and nothing more reaches the store.
      const seen = { ...proxy.seen };
      const shortBefore = storeBreakerShortCircuits.get({ lookup: "bot" });
      const later = [bots.resolve(KNOWN), bots.resolve(UNSEEN), outbound.find("call-out-1")];
      expect(await settledAtOnce(clock, Promise.all(later))).toBe(true);
      expect(clock.now()).toBe(1000);
      expect(await later[0]).toMatchObject({ source: "stale", bot: { botId: "bot_known" } });
      expect(await later[1]).toMatchObject({ source: "default", bot: { botId: "default", agentId: "agent_default" } });
      expect(await later[2]).toBeUndefined();
      expect(proxy.seen).toEqual(seen);
      expect(storeBreakerShortCircuits.get({ lookup: "bot" })).toBe(shortBefore + 2);

      // /health shows the breaker and stays healthy.
      const open = await health();
      expect(open.code).toBe(200);
      expect(open.body.status).toBe("healthy");
      expect(open.body.components.store).toMatchObject({ state: "open", opens: 1, cause: "timeout" });

      // While hung, probes fail and the breaker stays open; healed, the next probe closes it.
      await clock.advance(3000);
      expect(breaker.isOpen).toBe(true);
      proxy.heal();
      await clock.until(() => !breaker.isOpen, 120_000, "the probe to close the breaker", 250);
      expect(await bots.resolve(UNSEEN)).toMatchObject({ source: "store", bot: { botId: "bot_unseen" } });
      expect((await health()).body.components.store).toMatchObject({ state: "closed", opens: 1 });
      expect(breakerLines()).toEqual([
        "store breaker open: calls are answered from the bot cache or the default agent until the store answers",
        "store answers again: store breaker closed, lookups use the store",
      ]);
    } finally {
      breaker.stop();
      await gateway.stop();
      proxy.cut();
      await dbs.close();
    }
  });

  test("lookups of one call that began at different moments are released together when the first finds the store hung", async () => {
    const { proxy, dbs, clock, logger, breaker, bots, outbound } = await behindProxy();
    try {
      expect(await bots.resolve(KNOWN)).toMatchObject({ source: "store" }); // the pool is connected, the bot cached
      proxy.hang();
      // The bot is looked up when Mcube's socket opens; the campaign when its start arrives, 300 ms later.
      const answeredAt: Record<string, number> = {};
      const bot = bots.resolve(KNOWN).then((r) => ((answeredAt.bot = clock.now()), r));
      await clock.advance(300);
      const campaign = outbound.find("call-out-1").then((r) => ((answeredAt.outbound = clock.now()), r));
      await clock.advance(699);
      expect(answeredAt).toEqual({});
      await clock.advance(1);
      await clock.settle();
      // The bot lookup's bound opened the breaker, and the campaign lookup did not wait out its own
      // (checked before the pool's real-time query deadline could answer it).
      expect(answeredAt).toEqual({ bot: 1000, outbound: 1000 });
      expect(await bot).toMatchObject({ source: "stale", bot: { botId: "bot_known" } });
      expect(await campaign).toBeUndefined();
      const lines = logger.lines.map((l) => String(l.msg));
      expect(lines.filter((m) => m.includes("exceeded BOT_LOOKUP_TIMEOUT_MS"))).toEqual(["bot lookup exceeded BOT_LOOKUP_TIMEOUT_MS; answering without waiting"]);
      expect(logger.lines.find((l) => String(l.msg).startsWith("store breaker open"))).toMatchObject({ lookup: "bot", released_lookups: 1 });
    } finally {
      breaker.stop();
      proxy.cut();
      await dbs.close();
    }
  });

  test("a refused connection opens it at once; a bad row or a miss does not", async () => {
    const proxy = new StoreProxy();
    await proxy.start();
    const config = configFor(target, { DATABASE_PORT: String(proxy.port), BOT_CACHE_TTL_MS: "0", DATABASE_CONNECT_TIMEOUT_MS: "500" });
    const dbs = await openDatabases(config, silentLogger);
    const clock = new TestClock();
    const breaker = createStoreBreaker({ dbs, logger: silentLogger, clock, probeTimeoutMs: 60_000 });
    const bots = createBotResolver({ dbs, config, logger: silentLogger, breaker, clock });
    try {
      expect(await bots.resolve("8059999999")).toMatchObject({ source: "default" }); // no bot: not a failure
      expect(breaker.isOpen).toBe(false);
      proxy.cut();
      expect(await bots.resolve(KNOWN)).toMatchObject({ source: "default" });
      expect(breaker.health()).toMatchObject({ state: "open", cause: "connection" });
      await proxy.start(); // same port
      await clock.until(() => !breaker.isOpen, 120_000, "the probe to close the breaker", 250);
      expect(await bots.resolve(KNOWN)).toMatchObject({ source: "store", bot: { botId: "bot_known" } });
    } finally {
      breaker.stop();
      proxy.cut();
      await dbs.close();
    }
  });
});
