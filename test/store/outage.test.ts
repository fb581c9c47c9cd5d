/** Store outages on MariaDB: a closed port and a server that accepts but never answers. Calls still get a bot, at once. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Config } from "../../src/config/index.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { createBotAdmin } from "../../src/store/bot-admin.ts";
import { createBotResolver } from "../../src/store/bot-resolver.ts";
import { openDatabases } from "../../src/store/open-databases.ts";
import { type Databases } from "../../src/store/sql.ts";
import { capturingLogger, configFor, countingDatabases, mysqlTarget, switchableDatabases } from "./stores.ts";

const target = mysqlTarget("outage");
let healthy: Databases;

beforeAll(async () => {
  await target.prepare();
  healthy = await openDatabases(configFor(target), silentLogger);
  const admin = createBotAdmin(healthy);
  await admin.addBot("bot_known", { agentId: "agent_known", name: "Known" }, ["8050001000"]);
  await admin.addBot("bot_unseen", { agentId: "agent_unseen" }, ["8050002000"]);
});
afterAll(async () => {
  await healthy?.close();
  await target.destroy();
});

/** The same databases at another port on 127.0.0.1. */
function openAtPort(config: Config, port: number): Promise<Databases> {
  return openDatabases({ ...config, database: { ...config.database, port } }, silentLogger);
}

/** A port nothing listens on: bound, then released. */
function closedPort(): number {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}

describe("database outages", () => {
  test("closed port: the last known bot is served (stale), a DID never seen gets the default agent, recovery reads the store again", async () => {
    const config = configFor(target, { BOT_CACHE_TTL_MS: "0" });
    const down = await openAtPort(config, closedPort());
    const dbs = switchableDatabases(healthy);
    const logger = capturingLogger();
    const resolver = createBotResolver({ dbs, config, logger });
    try {
      expect(await resolver.resolve("8050001000")).toMatchObject({ source: "store", bot: { botId: "bot_known" } });
      dbs.use(down);
      expect(await resolver.resolve("+91 80500 01000")).toMatchObject({ source: "stale", bot: { botId: "bot_known", agentId: "agent_known" } });
      expect(await resolver.resolve("8050002000")).toMatchObject({ source: "default", bot: { botId: "default", agentId: "agent_default" } });
      expect(resolver.stats()).toEqual({ hits: 0, misses: 3, stale: 1, errors: 2 });
      const failure = logger.lines.find((l) => l.msg === "bot lookup failed");
      expect(JSON.stringify(failure)).toContain("ECONNREFUSED");
      dbs.use(healthy);
      expect(await resolver.resolve("8050002000")).toMatchObject({ source: "store", bot: { botId: "bot_unseen" } });
    } finally {
      await down.close();
    }
  });

  test("a server that accepts but never answers: the lookup gives up after BOT_LOOKUP_TIMEOUT_MS while the query is still pending", async () => {
    let opened = 0;
    let closedByClient = 0;
    const silent = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open() {
          opened++;
        },
        data() {},
        close() {
          closedByClient++;
        },
      },
    });
    // Connect and query timeouts far beyond the test's 5 s limit: only the lookup bound can end the wait.
    const config = configFor(target, { BOT_CACHE_TTL_MS: "0", DATABASE_CONNECT_TIMEOUT_MS: "30000", DATABASE_QUERY_TIMEOUT_MS: "30000" });
    const hung = await openAtPort(config, silent.port);
    const dbs = switchableDatabases(healthy);
    const resolver = createBotResolver({ dbs, config, logger: silentLogger });
    try {
      expect((await resolver.resolve("8050001000")).source).toBe("store");
      dbs.use(hung);
      const [known, unseen] = await Promise.all([resolver.resolve("8050001000"), resolver.resolve("8050002000")]);
      expect(known).toMatchObject({ source: "stale", bot: { botId: "bot_known" } });
      expect(unseen).toMatchObject({ source: "default", bot: { botId: "default" } });
      expect(opened).toBeGreaterThanOrEqual(1); // the lookups really reached the silent server…
      expect(closedByClient).toBe(0); // …and were still waiting on it when the calls got their bot
      expect(resolver.stats()).toMatchObject({ stale: 1, errors: 2 });
    } finally {
      silent.stop(true);
      await hung.close();
    }
  });

  test("a slow query keeps running after the lookup gives up, and its answer fills the cache", async () => {
    const config = configFor(target, {
      BOT_LOOKUP_TIMEOUT_MS: "100",
      BOT_DID_QUERY: "SELECT bot_id, business_id FROM did_numbers WHERE did = :did AND SLEEP(1) = 0",
    });
    const counted = countingDatabases(healthy);
    const resolver = createBotResolver({ dbs: counted, config, logger: silentLogger });
    expect(await resolver.resolve("8050001000")).toMatchObject({ source: "default" });
    let answer = await resolver.resolve("8050001000");
    for (let i = 0; i < 40 && answer.source !== "cache"; i++) {
      await Bun.sleep(100);
      answer = await resolver.resolve("8050001000");
    }
    expect(answer).toMatchObject({ source: "cache", bot: { botId: "bot_known" } });
    expect(counted.queries()).toBe(2); // one DID query and one bot query, however many callers waited
  });
});

describe("the MySQL layer bounds every statement", () => {
  test("against a silent server: at most DATABASE_POOL_SIZE connections, and each statement fails as store_unavailable after its deadline", async () => {
    // Connections opened before the first one is given up: with every slot hung, the pool must not grow.
    let openedBeforeFirstClose = 0;
    let anyClosed = false;
    const silent = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open() {
          if (!anyClosed) openedBeforeFirstClose++;
        },
        close() {
          anyClosed = true;
        },
        data() {},
      },
    });
    const config = configFor(target, { DATABASE_POOL_SIZE: "2", DATABASE_CONNECT_TIMEOUT_MS: "300", DATABASE_QUERY_TIMEOUT_MS: "200" });
    const hung = await openAtPort(config, silent.port);
    try {
      const results = await Promise.allSettled(Array.from({ length: 5 }, () => hung.cluster.query("SELECT 1")));
      for (const r of results) expect(r).toMatchObject({ status: "rejected", reason: { code: "store_unavailable", retryable: true } });
      expect(openedBeforeFirstClose).toBe(2); // five statements waiting, two connections: the pool size
    } finally {
      silent.stop(true);
      await hung.close();
    }
  });

  test("a statement slower than DATABASE_QUERY_TIMEOUT_MS fails, and the pool keeps serving", async () => {
    const config = configFor(target, { DATABASE_POOL_SIZE: "1", DATABASE_QUERY_TIMEOUT_MS: "200" });
    const dbs = await openDatabases(config, silentLogger);
    try {
      await expect(dbs.cluster.query("SELECT SLEEP(3) AS s")).rejects.toMatchObject({ code: "store_unavailable" });
      expect(await dbs.cluster.query<{ n: number }>("SELECT 1 + 1 AS n")).toEqual([{ n: 2 }]);
    } finally {
      await dbs.close();
    }
  });
});
